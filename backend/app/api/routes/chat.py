"""The city app's H5 pages: the chat at /chat and the full self-check report behind a signed link.

The chat page only renders; it talks to Rasa's `h5` channel (bot/channels/h5.py) with the city
app's JWT, which the app puts in the page's fragment (`/chat#token=…`: a fragment never reaches a
server or its logs). The report page is served here because the backend holds the records.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.deps import NowDep, SessionDep, SettingsDep
from app.api.routing import APIRouter
from app.core.config import APP_DIR
from app.enums import DataClass
from app.errors import AppError
from app.schemas.credit import registration_public
from app.services.report_links import open_report
from app.services.working_days import CHINA_TZ

TEMPLATES = Jinja2Templates(directory=APP_DIR / "templates")
# The report is one person's credit data: never cached, never indexed, and its URL (the link's
# signature) never sent on as a Referer.
PRIVATE_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(prefix="/chat", tags=["H5 页面"], include_in_schema=False)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


@router.get("", response_class=HTMLResponse)
async def chat_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    rasa_origin = _origin(settings.chat_webhook_url)
    headers = {
        **PRIVATE_PAGE_HEADERS,
        "Content-Security-Policy": (
            f"default-src 'self'; img-src 'self' data:; connect-src 'self' {rasa_origin}".rstrip()
            + "; frame-ancestors 'self'"
        ),
    }
    return TEMPLATES.TemplateResponse(
        request,
        "chat.html",
        {"webhook_url": settings.chat_webhook_url, "city": request.app.state.city},
        headers=headers,
    )


@router.get("/report/{token}", response_class=HTMLResponse)
def report_page(
    request: Request,
    token: Annotated[str, PathParam(max_length=1024)],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> HTMLResponse:
    try:
        report = open_report(session, settings, token, now)
    except AppError as error:
        return TEMPLATES.TemplateResponse(
            request,
            "report_error.html",
            {"message": error.message},
            status_code=error.status_code,
            headers=PRIVATE_PAGE_HEADERS,
        )
    facts = report.check.facts
    context = {
        "enterprise_name": facts.enterprise_name,
        "registration": registration_public(facts),
        "evaluation": facts.grade and {"grade": facts.grade, "reasons": facts.reasons or []},
        "evaluated_on": facts.evaluated_on,
        "white_listed": facts.white_listed,
        "counts": report.check.counts,
        "records": report.records,
        "non_public": DataClass.NON_PUBLIC,
        "expires_at": report.expires_at,
        "china": CHINA_TZ,
    }
    return TEMPLATES.TemplateResponse(request, "report.html", context, headers=PRIVATE_PAGE_HEADERS)
