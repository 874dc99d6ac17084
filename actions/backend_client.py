"""The one client the action server uses to reach the credit-data backend over HTTP."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

import httpx


class BackendUnavailable(Exception):
    """The backend could not be reached, timed out or failed on its side (5xx)."""


@dataclass
class BackendError(Exception):
    """The backend refused the request (4xx) with a machine code and a Chinese message; `body`
    holds the rest of the answer (the fields it names, tries left, seconds to wait)."""

    status: int
    code: str
    message: str
    body: dict[str, Any] = field(default_factory=dict)


class BackendClient:
    def __init__(self, base_url: str, service_token: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_token = service_token
        self.timeout = timeout
        # One pooled client per event loop: rasa-sdk serves on one loop, tests create new ones.
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    @classmethod
    def from_env(cls) -> BackendClient:
        return cls(
            base_url=os.environ.get("BACKEND_URL", "http://127.0.0.1:8000"),
            service_token=os.environ.get("SERVICE_TOKEN", "dev-service-token"),
            timeout=float(os.environ.get("BACKEND_TIMEOUT_SECONDS", "5")),
        )

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            for stale_loop in [known for known in self._clients if known.is_closed()]:
                del self._clients[stale_loop]
            client = httpx.AsyncClient(
                base_url=f"{self.base_url}/api/v1",
                headers={"Authorization": f"Bearer {self.service_token}"},
                timeout=self.timeout,
            )
            self._clients[loop] = client
        return client

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client().request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise BackendUnavailable(f"{method} {path}: {error!r}") from error
        if response.status_code >= 500:
            raise BackendUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise BackendError(
                status=response.status_code,
                code=str(body.get("code", "error")),
                message=str(body.get("message", "请求未能完成，请稍后再试。")),
                body=body if isinstance(body, dict) else {},
            )
        return response.json()

    async def city(self) -> dict[str, Any]:
        return await self._request("GET", "/city")

    async def bound_enterprises(self, channel: str, user_id: str) -> list[dict[str, Any]]:
        body = await self._request("GET", "/me/enterprises", headers=_acting(channel, user_id))
        return body["items"]

    async def credit_summary(
        self, enterprise_id: int, channel: str, user_id: str
    ) -> dict[str, Any]:
        return await self._request(
            "GET",
            f"/enterprises/{enterprise_id}/credit-summary",
            headers=_acting(channel, user_id),
        )

    async def report_link(self, enterprise_id: int, channel: str, user_id: str) -> dict[str, Any]:
        return await self._request(
            "POST",
            f"/enterprises/{enterprise_id}/report-links",
            headers=_acting(channel, user_id),
        )

    async def check_uscc(self, uscc: str) -> dict[str, Any]:
        return await self._request("POST", "/registrations/uscc-checks", json={"uscc": uscc})

    async def send_sms_code(self, phone: str, channel: str, user_id: str) -> dict[str, Any]:
        return await self._request(
            "POST",
            "/registrations/sms-codes",
            json={"phone": phone},
            headers=_acting(channel, user_id),
        )

    async def register(
        self, registration: dict[str, Any], channel: str, user_id: str, idempotency_key: str
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            "/registrations",
            json=registration,
            headers={**_acting(channel, user_id), "Idempotency-Key": idempotency_key},
        )

    # ---- 授权 authorization

    async def authorization_notice(self) -> dict[str, Any]:
        """The current risk notice (version, text) and the scope choices: data categories,
        the platform's institutions, the period bounds."""
        return await self._request("GET", "/authorizations/notice")

    async def create_authorization(
        self,
        enterprise_id: int,
        authorization: dict[str, Any],
        channel: str,
        user_id: str,
        idempotency_key: str,
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            f"/enterprises/{enterprise_id}/authorizations",
            json=authorization,
            headers={**_acting(channel, user_id), "Idempotency-Key": idempotency_key},
        )

    async def list_authorizations(
        self, enterprise_id: int, channel: str, user_id: str
    ) -> list[dict[str, Any]]:
        body = await self._request(
            "GET",
            f"/enterprises/{enterprise_id}/authorizations",
            headers=_acting(channel, user_id),
        )
        return body["items"]

    async def revoke_authorization(
        self, enterprise_id: int, authorization_id: int, channel: str, user_id: str
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            f"/enterprises/{enterprise_id}/authorizations/{authorization_id}/revoke",
            headers=_acting(channel, user_id),
        )

    # ---- 产品匹配与申请 products and applications

    async def products(self) -> list[dict[str, Any]]:
        body = await self._request("GET", "/products")
        return body["items"]

    async def match_products(
        self, enterprise_id: int, need: dict[str, Any], channel: str, user_id: str
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            f"/enterprises/{enterprise_id}/product-matches",
            json=need,
            headers=_acting(channel, user_id),
        )

    async def apply_product(
        self,
        enterprise_id: int,
        application: dict[str, Any],
        channel: str,
        user_id: str,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """{"created": bool, "application": …}: created false is the product's application that
        is already under way (one active application per product and enterprise)."""
        return await self._request(
            "POST",
            f"/enterprises/{enterprise_id}/applications",
            json=application,
            headers={**_acting(channel, user_id), "Idempotency-Key": idempotency_key},
        )

    # ---- 信用自查 details, 异议申诉, 信用修复

    async def credit_records(
        self, enterprise_id: int, category: str, channel: str, user_id: str
    ) -> dict[str, Any]:
        return await self._request(
            "GET",
            f"/enterprises/{enterprise_id}/records",
            params={"category": category},
            headers=_acting(channel, user_id),
        )

    async def search_records(
        self, enterprise_id: int, query: str, channel: str, user_id: str, limit: int = 5
    ) -> dict[str, Any]:
        return await self._request(
            "GET",
            f"/enterprises/{enterprise_id}/records/search",
            params={"q": query, "limit": limit},
            headers=_acting(channel, user_id),
        )

    async def file_objection(
        self,
        enterprise_id: int,
        objection: dict[str, Any],
        channel: str,
        user_id: str,
        idempotency_key: str,
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            f"/enterprises/{enterprise_id}/objections",
            json=objection,
            headers={**_acting(channel, user_id), "Idempotency-Key": idempotency_key},
        )

    async def repair_commitment(self) -> dict[str, Any]:
        return await self._request("GET", "/repairs/commitment")

    async def apply_repair(
        self,
        enterprise_id: int,
        repair: dict[str, Any],
        channel: str,
        user_id: str,
        idempotency_key: str,
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            f"/enterprises/{enterprise_id}/repairs",
            json=repair,
            headers={**_acting(channel, user_id), "Idempotency-Key": idempotency_key},
        )

    # ---- 进度查询 progress, 转人工 hand-off

    async def my_tickets(self, channel: str, user_id: str) -> list[dict[str, Any]]:
        """The user's objection, repair and hand-off tickets, open ones first."""
        body = await self._request("GET", "/me/tickets", headers=_acting(channel, user_id))
        return body["items"]

    async def ticket(self, number: str, channel: str, user_id: str) -> dict[str, Any]:
        """One ticket (YY/XF/RG) with its history; someone else's answers 404 like a missing one."""
        return await self._request("GET", f"/tickets/{number}", headers=_acting(channel, user_id))

    async def application(self, number: str, channel: str, user_id: str) -> dict[str, Any]:
        """One product application (SQ) of any enterprise bound to the user; else 404."""
        return await self._request(
            "GET", f"/applications/{number}", headers=_acting(channel, user_id)
        )

    async def enterprise_applications(
        self, enterprise_id: int, channel: str, user_id: str
    ) -> list[dict[str, Any]]:
        body = await self._request(
            "GET",
            f"/enterprises/{enterprise_id}/applications",
            headers=_acting(channel, user_id),
        )
        return body["items"]

    async def request_handoff(
        self, handoff: dict[str, Any], channel: str, user_id: str, idempotency_key: str
    ) -> dict[str, Any]:
        """{"created": bool, "ticket": …}: created false is the user's hand-off still open."""
        return await self._request(
            "POST",
            "/handoffs",
            json=handoff,
            headers={**_acting(channel, user_id), "Idempotency-Key": idempotency_key},
        )


def _acting(channel: str, user_id: str) -> dict[str, str]:
    """The chat user a call acts for: the backend checks every object against these headers."""
    return {"X-Chat-Channel": channel, "X-Chat-User-Id": user_id}


backend = BackendClient.from_env()
