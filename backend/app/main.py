"""FastAPI application factory. `uvicorn app.main:app` (from backend/) serves the default app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.api.deps import require_service_token
from app.api.main import api_router, institution_api_router, staff_api_router
from app.api.routes import chat, console, health
from app.city import load_city
from app.core.config import APP_DIR, Settings, get_settings, uses_dev_report_secret
from app.core.db import create_async_pool, create_db_engine, create_session_factory
from app.core.log_filters import mask_access_log
from app.errors import register_error_handlers
from app.schemas import ErrorPublic
from app.services.assist import load_script_book
from app.services.sms import load_provider as load_sms_provider

log = structlog.get_logger(__name__)

API_PREFIX = "/api/v1"

DESCRIPTION = """
信易贷助手后端：为城市融资信用服务平台的对话助手（Rasa 动作服务器等）提供实名注册、
信用自查等数据与规则服务。

`/api/v1` 下的接口都需要 `Authorization: Bearer <服务令牌>`；坐席与推广活动接口例外，
使用坐席登录取得的 `Authorization: Bearer <坐席令牌>`；`/api/v1/institution/…` 供接入机构调用，
使用机构自己的 `Authorization: Bearer <机构令牌>`。出错时统一返回
`{"code": "...", "message": "中文说明"}`，`code` 供程序判断，`message` 可直接展示给用户。
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Load the city first: a broken city file should stop the start-up with a clear message.
    city = load_city(settings.city_config)
    script_book = load_script_book()  # the console's scripts: a broken file stops it too
    engine = create_db_engine(settings.database_url, pool_size=settings.pool_size)

    @asynccontextmanager
    async def lifespan(running_app: FastAPI) -> AsyncIterator[None]:
        # No more request threads than pooled connections (Settings.request_threads); requests
        # beyond them wait on the event loop for a thread.
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        if settings.uses_dev_token:
            log.warning("service_token.is_development_default")
        if uses_dev_report_secret(settings):
            log.warning("report_link_secret.is_development_default")
        if settings.sms_provider == "dev_outbox":
            # Codes go to the sms_outbox table, not to phones: fine for development only.
            log.warning("sms_provider.is_development_outbox")
        # Made here, not with the engine: an asyncio pool belongs to the event loop it was opened
        # on, and a lifespan may run more than once (tests start an app on several loops).
        async_pool = create_async_pool(settings.database_url, settings.pool_size)
        running_app.state.async_pool = async_pool
        if async_pool is not None:
            # Connects on demand: a database that is down does not stop the start-up.
            await async_pool.open(wait=False)
        try:
            yield
        finally:
            running_app.state.async_pool = None
            if async_pool is not None:
                await async_pool.close()
            engine.dispose()

    app = FastAPI(
        title="信易贷助手后端",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=[
            {"name": "运维", "description": "健康检查"},
            {"name": "城市", "description": "城市、平台、机构与产品"},
            {"name": "会话用户", "description": "会话用户与其绑定的企业"},
            {"name": "实名注册", "description": "短信验证码、市场主体登记核验与绑定"},
            {"name": "信用自查", "description": "企业查询自身信用信息"},
            {"name": "授权", "description": "风险告知、授权共享非公开信用信息、查看与撤回授权"},
            {"name": "异议申诉", "description": "按描述查找记录、对信用记录提出异议（YY 工单）"},
            {"name": "信用修复", "description": "承诺书、申请修复行政处罚或失信记录（XF 工单）"},
            {"name": "转人工", "description": "附对话摘要的转人工工单（RG 工单），供热线坐席处理"},
            {"name": "工单进度", "description": "用户查看自己的工单、状态历史与转交期限"},
            {"name": "通知", "description": "工单状态变化通知：渠道拉取待送达通知并确认送达"},
            {"name": "产品申请", "description": "申请信贷产品、查看申请进度与融资成效"},
            {"name": "接入机构", "description": "机构查询企业信用信息、处理产品申请（机构令牌）"},
            {
                "name": "坐席",
                "description": (
                    "坐席登录与账号、工单与企业查询、异议转交队列、话术助手"
                    "（使用坐席令牌，而非服务令牌）"
                ),
            },
            {"name": "推广活动", "description": "创建活动、活动码与实时统计（坐席令牌）"},
            {"name": "开发", "description": "仅开发环境：读取开发用短信发件箱"},
            {"name": "产品匹配", "description": "信贷产品目录与按融资需求匹配产品"},
        ],
    )
    app.state.settings = settings
    app.state.city = city
    app.state.script_book = script_book
    app.state.engine = engine
    app.state.async_pool = None  # until the lifespan starts
    app.state.session_factory = create_session_factory(engine)
    app.state.sms_provider = load_sms_provider(settings.sms_provider)
    mask_access_log()  # phone numbers in query strings stay out of the access log

    register_error_handlers(app)
    app.include_router(health.router)
    # The city app's H5 pages (no token: the chat carries the app's JWT to Rasa, the report page
    # its signed link).
    app.include_router(chat.router)
    # The hotline console's pages (no token in the page: its script keeps the staff token).
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=APP_DIR / "static"), name="static")
    app.include_router(
        api_router,
        prefix=API_PREFIX,
        dependencies=[Depends(require_service_token)],
        responses={
            401: {"model": ErrorPublic, "description": "unauthorized：缺少或无效的服务令牌"},
            422: {"model": ErrorPublic, "description": "invalid_input：请求参数有误"},
        },
    )
    # Staff routes authenticate each request with a staff token (StaffDep) instead.
    app.include_router(
        staff_api_router,
        prefix=API_PREFIX,
        responses={
            401: {"model": ErrorPublic, "description": "staff_session_invalid：坐席未登录或已失效"},
            422: {"model": ErrorPublic, "description": "invalid_input：请求参数有误"},
        },
    )
    # The console's pages call the staff API here as well: behind nginx only /console/ reaches
    # the backend from outside (docker/nginx.conf), and /api/v1 stays internal.
    app.include_router(staff_api_router, prefix="/console/api", include_in_schema=False)
    # Institution routes authenticate each request with the institution's token instead.
    app.include_router(
        institution_api_router,
        prefix=API_PREFIX,
        responses={
            401: {"model": ErrorPublic, "description": "institution_unauthorized：机构令牌无效"},
            422: {"model": ErrorPublic, "description": "invalid_input：请求参数有误"},
        },
    )
    return app


app = create_app()
