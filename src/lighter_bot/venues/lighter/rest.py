"""Read-only REST calls to Lighter (metadata, account, orders, nonce) over aiohttp, metered.

Each call first takes its cost from the REST budget (waiting briefly if needed) and respects the
429 cooldown; a 429 (code 23000) drains the budget and doubles the cooldown. Errors name the
endpoint and status only: the auth token travels in a header and never appears in a message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from lighter_bot.engine.clock import Clock
from lighter_bot.errors import DataError, RejectedError, RetryableVenueError
from lighter_bot.venues.lighter.parse import error_body
from lighter_bot.venues.lighter.ratelimit import CooldownGate, RestBudget

MAX_BUDGET_WAIT_S = 5.0


class RestClient:
    def __init__(self, base_url: str, clock: Clock, tier: str = "standard", timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.budget = RestBudget(tier, clock)
        self.cooldown = CooldownGate(clock, base_s=1.0, cap_s=10.0)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self.calls = 0
        self.rate_limited = 0

    async def _sess(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def spare(self, endpoint: str, keep: float) -> bool:
        """True when a call now leaves at least `keep` requests' worth of budget (for optional calls)."""
        return self.cooldown.remaining() == 0 and self.budget.bucket.tokens >= self.budget.cost(endpoint) * (1 + keep)

    async def get(
        self, endpoint: str, params: Mapping[str, Any], token: str | None = None, max_wait: float = MAX_BUDGET_WAIT_S
    ) -> dict[str, Any]:
        wait = max(self.cooldown.remaining(), self.budget.wait_time(endpoint))
        if wait > max_wait:
            raise RetryableVenueError(f"GET {endpoint}: client-side rate limit, retry in {wait:.1f}s")
        if wait > 0:
            await asyncio.sleep(wait)
        self.budget.take(endpoint)
        headers = {"authorization": token} if token else {}
        q = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items() if v is not None}
        url = f"{self.base_url}/api/v1/{endpoint}"
        self.calls += 1
        try:
            sess = await self._sess()
            async with sess.get(url, params=q, headers=headers) as resp:
                text = await resp.text()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise RetryableVenueError(f"GET {endpoint}: {type(exc).__name__}") from None
        if status == 429:
            self.rate_limited += 1
            self.budget.bucket.drain()
            delay = self.cooldown.hit()
            raise RetryableVenueError(f"GET {endpoint}: rate limited (23000), backing off {delay:.0f}s")
        if status >= 500:
            raise RetryableVenueError(f"GET {endpoint}: HTTP {status}")
        if status >= 400:
            code, message = error_body(text)
            raise RejectedError(code or status, f"GET {endpoint}: {message or f'HTTP {status}'}")
        self.cooldown.ok()
        try:
            data = json.loads(text)
        except ValueError:
            raise DataError(f"GET {endpoint}: response is not JSON") from None
        if not isinstance(data, dict):
            raise DataError(f"GET {endpoint}: response is not a JSON object")
        body_code = data.get("code")
        if isinstance(body_code, int) and body_code not in (0, 200):
            raise RejectedError(body_code, f"GET {endpoint}: {data.get('message') or 'error'}")
        return data

    # -- the calls the adapter makes -------------------------------------------------------------
    async def order_book_details(self, market_id: int) -> dict[str, Any]:
        return await self.get("orderBookDetails", {"market_id": market_id})

    async def account(self, account_index: int) -> dict[str, Any]:
        return await self.get("account", {"by": "index", "value": account_index})

    async def active_orders(
        self, account_index: int, market_id: int, token: str | None, max_wait: float = MAX_BUDGET_WAIT_S
    ) -> dict[str, Any]:
        return await self.get(
            "accountActiveOrders", {"account_index": account_index, "market_id": market_id}, token, max_wait
        )

    async def orders_by_client_index(self, account_index: int, indexes: list[int], token: str | None) -> dict[str, Any]:
        return await self.get(
            "accountOrders",
            {"account_index": account_index, "client_order_indexes": ",".join(str(i) for i in indexes[:20])},
            token,
        )

    async def next_nonce(self, account_index: int, api_key_index: int) -> dict[str, Any]:
        return await self.get("nextNonce", {"account_index": account_index, "api_key_index": api_key_index})

    async def order_book_depth(self, market_id: int, limit: int = 50) -> dict[str, Any]:
        return await self.get("orderBookOrders", {"market_id": market_id, "limit": limit})
