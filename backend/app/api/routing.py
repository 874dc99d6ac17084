"""The route class of every API router: a plain `def` endpoint gives its database connection
back before FastAPI validates its reply (app.core.db.release_connection says why)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import fastapi
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.core.db import release_connection


def _releasing_connections(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint) or getattr(endpoint, "releases_connections", False):
        return endpoint  # async endpoints do no database work on the loop; already wrapped

    @functools.wraps(endpoint)  # FastAPI reads the signature through __wrapped__
    def run(*args: Any, **kwargs: Any) -> Any:
        sessions = [value for value in kwargs.values() if isinstance(value, Session)]
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            for session in sessions:
                release_connection(session, failed=True)
            raise
        for session in sessions:
            release_connection(session)
        return result

    run.releases_connections = True  # type: ignore[attr-defined]
    return run


class ConnectionReleasingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _releasing_connections(endpoint), **kwargs)


class APIRouter(fastapi.APIRouter):
    """fastapi.APIRouter whose routes are ConnectionReleasingRoute."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", ConnectionReleasingRoute)
        super().__init__(**kwargs)
