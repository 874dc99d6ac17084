"""Replies a route builds itself."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def json_reply(model: BaseModel, status_code: int = 200) -> Response:
    """The model as JSON, serialised once by pydantic in the endpoint's own thread.

    A plain `def` endpoint that returns a model has FastAPI validate it again against the
    route's response_model, in a second hop to the thread pool, before serialising it. A route
    whose reply model is built (and so validated) from the route's own values can return this
    instead; it still declares `response_model=` for the OpenAPI schema. The bytes are the same
    as FastAPI's own serialisation of that model."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
