"""One error type for everything the API refuses, rendered as {"code", "message"} with a 4xx.

The code is for programs (the action server branches on it); the message is simplified Chinese fit
to show an end user as-is. Bad input must never surface as a 500 or a stack trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy.exc
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

log = structlog.get_logger(__name__)


class AppError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        status_code: int = 400,
        *,
        fields: Sequence[str] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.fields = list(fields)
        self.headers = headers

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


# Request fields as users know them; unknown fields fall back to their API name.
FIELD_LABELS: dict[str, str] = {
    "channel": "渠道",
    "user_id": "用户标识",
    "X-Chat-Channel": "渠道",
    "X-Chat-User-Id": "用户标识",
    "uscc": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "person_name": "姓名",
    "role": "身份",
    "enterprise_id": "企业编号",
    "record_id": "记录编号",
    "reason": "异议理由",
    "description": "情况说明",
    "evidence": "证明材料",
    "contact_phone": "联系电话",
    "commitment_version": "承诺书版本",
    "commitment_accepted": "信用承诺确认",
    "proof": "整改证明材料",
    "summary": "对话摘要",
    "q": "记录描述",
    "note": "说明",
    "status": "状态",
    "notification_id": "通知编号",
    "phone": "手机号",
    "sms_code": "短信验证码",
    "event_code": "活动码",
    "username": "登录名",
    "password": "口令",
    "display_name": "显示名称",
    "place": "活动地点",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "amount": "贷款金额",
    "term_months": "贷款期限",
    "purpose": "贷款用途",
    "consent": "同意确认",
    "notice_version": "告知书版本",
    "data_categories": "授权数据类别",
    "institutions": "授权机构",
    "period_months": "授权期限（月）",
    "authorization_id": "授权编号",
    "category": "信息类别",
    "product_code": "产品代码",
    "number": "申请编号",
    "approved_amount": "审批金额",
    "approved_rate": "年化利率",
    "approved_term_months": "审批期限",
}


def _describe(error: dict[str, Any]) -> tuple[str | None, str]:
    """Turn one pydantic error into (field, Chinese sentence)."""
    loc = [part for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    # The innermost named field: a bad list item ("data_categories", 0) names its list.
    field = next((part for part in reversed(loc) if isinstance(part, str)), None)
    label = FIELD_LABELS.get(field or "", field or "请求内容")
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}

    if kind == "json_invalid":
        return None, "请求内容不是有效的 JSON。"
    if kind == "missing":
        return field, f"缺少{label}。"
    if kind == "string_too_short":
        return field, f"{label}不能为空。"
    if kind == "string_too_long":
        return field, f"{label}过长（最多{ctx.get('max_length', '')}个字符）。"
    if kind == "string_pattern_mismatch":
        return field, f"{label}格式不正确。"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", "、")
        return field, f"{label}只能是：{expected}。"
    if kind in ("dict_type", "model_attributes_type") and field is None:
        return None, "请求内容应为 JSON 对象。"
    if kind.startswith(("int_", "string_", "bool_", "float_")):
        return field, f"{label}的类型或取值不正确。"
    return field, f"{label}填写有误。"


async def _app_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


def _invalid_input(errors: Sequence[dict[str, Any]]) -> JSONResponse:
    described = [_describe(err) for err in errors]
    fields = list(dict.fromkeys(field for field, _ in described if field))
    sentences = list(dict.fromkeys(sentence for _, sentence in described))
    error = AppError("invalid_input", "输入有误：" + "".join(sentences), 422, fields=fields)
    return JSONResponse(error.body(), status_code=error.status_code)


async def _validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _invalid_input(exc.errors())


_HTTP_MESSAGES = {
    404: ("not_found", "请求的地址不存在。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's 405 names only the methods of
    the first route whose path matched (`Allow: POST` where GET is served too)."""
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's answer to a JSON body that is not UTF-8 (RFC 8259 requires it): the same
        # refusal as any other body that is not JSON.
        return _invalid_input([{"type": "json_invalid", "loc": ("body",)}])
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理。"))
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
    return JSONResponse(
        {"code": code, "message": message}, status_code=exc.status_code, headers=headers
    )


async def _database_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    # The database is down, restarting or out of connections: a moment later the same request
    # may well work, so the caller (the bot) is told so rather than given an internal error.
    log.warning("request.database_unavailable", path=request.url.path, error=type(exc).__name__)
    return JSONResponse(
        {"code": "database_unavailable", "message": "数据库暂时不可用，请稍后再试。"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def _unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # Logged with the traceback for operators; the caller only gets a neutral message.
    log.exception("request.unhandled_error", path=request.url.path, error=type(exc).__name__)
    return JSONResponse(
        {"code": "internal_error", "message": "系统繁忙，请稍后再试。"}, status_code=500
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    for unavailable in (sqlalchemy.exc.OperationalError, psycopg.OperationalError, PoolTimeout):
        app.add_exception_handler(unavailable, _database_unavailable_handler)
    app.add_exception_handler(Exception, _unexpected_error_handler)
