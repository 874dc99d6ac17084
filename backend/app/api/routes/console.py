"""The hotline console (坐席助手) at /console: sign-in, the caller-turn page (script assistant),
look-ups by ticket number and USCC, the objection queue, and promotion events (QR codes to print,
live statistics for the screen on site).

The pages are server-rendered shells with no data in them: their one script (static/console.js)
signs in through the staff API, keeps the staff token in the tab's sessionStorage (gone when the
tab closes, never in a cookie, so no request can be forged with it from another site) and loads
everything with that token. It calls the staff API under /console/api (app/main.py), the only
path of the backend that nginx lets through besides the pages themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from app.api.deps import CityDep
from app.api.routes.chat import PRIVATE_PAGE_HEADERS, TEMPLATES
from app.api.routing import APIRouter

API_BASE = "/console/api"

# Only the page's own script, style and API: no inline script, no framing, no form posts away.
CONSOLE_HEADERS = {
    **PRIVATE_PAGE_HEADERS,
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}

# Why the sign-in page was opened, as the script reports it; the text is ours, never the query's.
SIGN_IN_MESSAGES = {
    "expired": "登录已过期，请重新登录。",
    "signed_out": "您已退出登录。",
}

PAGES = {
    "assist": "话术助手",
    "lookup": "查询",
    "queue": "异议队列",
    "events": "推广活动",
}

router = APIRouter(prefix="/console", tags=["坐席控制台"], include_in_schema=False)


def _page(request: Request, city: CityDep, page: str, **context: object) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        f"console_{page}.html",
        {
            "city": city,
            "page": page,
            "pages": PAGES,
            "config": {"api": API_BASE, "page": page},
            **context,
        },
        headers=CONSOLE_HEADERS,
    )


@router.get("", response_class=HTMLResponse)
async def assist_page(request: Request, city: CityDep) -> HTMLResponse:
    return _page(request, city, "assist")


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    city: CityDep,
    reason: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _page(request, city, "login", notice=SIGN_IN_MESSAGES.get(reason or ""))


@router.get("/lookup", response_class=HTMLResponse)
async def lookup_page(request: Request, city: CityDep) -> HTMLResponse:
    return _page(request, city, "lookup")


@router.get("/queue", response_class=HTMLResponse)
async def queue_page(request: Request, city: CityDep) -> HTMLResponse:
    return _page(request, city, "queue")


@router.get("/events", response_class=HTMLResponse)
async def events_page(request: Request, city: CityDep) -> HTMLResponse:
    return _page(request, city, "events")
