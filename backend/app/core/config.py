"""Settings come from the environment (or a .env file), so a deployment changes city and database
without touching code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# backend/app/core/config.py → the repository root is three levels above this package.
REPO_ROOT = Path(__file__).resolve().parents[3]
APP_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'xinyidai.db'}"
DEFAULT_CITY_CONFIG = REPO_ROOT / "config" / "city.demo.yml"
DEV_SERVICE_TOKEN = "dev-service-token"
DEV_REPORT_LINK_SECRET = "dev-report-link-secret-change-me"
# Request threads per worker, and so pooled PostgreSQL connections per worker (see Settings).
# Measured with `make bench-backend --sweep` on 2 cores (docs/backend.md, "Cost per request").
REQUEST_THREADS = 3


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy 数据库地址；默认是仓库 var/ 下的 SQLite 文件",
    )
    service_token: str = Field(
        default=DEV_SERVICE_TOKEN,
        min_length=8,
        description="动作服务器等内部调用方使用的 Bearer 令牌；生产环境必须更换",
    )
    city_config: Path = Field(
        default=DEFAULT_CITY_CONFIG,
        description="城市配置文件（YAML）；相对路径按仓库根目录解析",
    )

    staff_session_hours: int = Field(
        default=8, ge=1, le=72, description="坐席登录令牌的有效时长（小时）"
    )
    sms_provider: str = Field(
        default="dev_outbox",
        min_length=1,
        description=(
            "短信通道：dev_outbox（开发用发件箱，写入 sms_outbox 表，可由开发接口读取）"
            "或实现 SmsProvider 的类的导入路径 package.module:Class"
        ),
    )

    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="用户浏览器访问本后端的地址（生成信用报告链接用），如 https://xyd.example.gov.cn",
    )
    chat_webhook_url: str = Field(
        default="http://127.0.0.1:5005/webhooks/h5/webhook",
        description="H5 对话页发送消息的 Rasa 渠道地址；与页面同域部署时可写 /webhooks/h5/webhook",
    )
    report_link_secret: str = Field(
        default=DEV_REPORT_LINK_SECRET,
        min_length=16,
        description="信用报告短时链接的签名密钥；生产环境必须更换",
    )
    report_link_minutes: int = Field(
        default=15, ge=1, le=1440, description="信用报告链接的有效时长（分钟）"
    )

    # The hotline console's script assistant asks Rasa what the caller's words mean.
    rasa_url: str = Field(
        default="http://127.0.0.1:5005",
        description="Rasa 服务地址（坐席助手调用其 /model/parse 理解来电人的话），如 http://rasa:5005",
    )
    rasa_token: str | None = Field(
        default=None,
        description="Rasa HTTP API 的令牌（rasa run --auth-token）；设置后以 ?token= 携带",
    )
    rasa_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=30,
        description="调用 Rasa 的超时（秒）：坐席在通话中等待，超时即提示服务不可用",
    )

    # Promotion events' WeChat QR codes are made by the Rasa WeChat channel, which holds the
    # Official Account's access_token (one refresher for the whole deployment).
    wechat_qrcode_url: str = Field(
        default="",
        description=(
            "Rasa 微信渠道创建带参数临时二维码的内部地址，如 http://rasa:5005/webhooks/wechat/qrcodes；"
            "留空表示未接入公众号，活动只提供 H5 链接二维码"
        ),
    )

    evidence_max_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="单个证明材料文件的最大字节数（默认 5 MiB）；超过时上传被拒绝（413）",
    )

    # How a worker serves requests (docs/backend.md, "Cost per request"; `make bench-backend
    # --sweep` measures other values).
    request_threads: int = Field(
        default=REQUEST_THREADS,
        ge=1,
        le=200,
        description=(
            "每个 worker 运行同步接口的线程数（也是它保持的 PostgreSQL 连接数）；多出的请求在"
            "事件循环里按先后排队等线程。线程少，GIL 争抢少、尾延迟低（见 docs/backend.md"
            "“Cost per request”）"
        ),
    )
    db_pool_size: int | None = Field(
        default=None,
        ge=1,
        le=200,
        description="每个 worker 保持的 PostgreSQL 连接数；默认与 request_threads 相同",
    )

    @field_validator("city_config")
    @classmethod
    def _resolve_city_config(cls, value: Path) -> Path:
        # Make and the backend run from different working directories; anchoring relative paths
        # at the repo root makes CITY_CONFIG=config/foo.yml mean the same thing everywhere.
        return value if value.is_absolute() else (REPO_ROOT / value).resolve()

    @property
    def pool_size(self) -> int:
        return self.db_pool_size or self.request_threads

    @field_validator("public_base_url", "rasa_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def uses_dev_token(self) -> bool:
        return self.service_token == DEV_SERVICE_TOKEN


@lru_cache
def get_settings() -> Settings:
    return Settings()


def uses_dev_report_secret(settings: Settings) -> bool:
    return settings.report_link_secret == DEV_REPORT_LINK_SECRET
