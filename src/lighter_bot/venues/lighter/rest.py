"""Read-only REST calls to Lighter (metadata, account, orders, nonce) over aiohttp, metered.

Every call is counted in the adapter's one request gate (ratelimit.RequestGate: on Standard the same
60 per minute that transactions use), waiting briefly if its priority's share is not free yet; a 429
(code 23000) fills the gate and starts the cooldown. Errors name the endpoint and status only: the
auth token travels in a header and never appears in a message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from lighter_bot.errors import DataError, RejectedError, RetryableVenueError
from lighter_bot.venues.lighter.parse import error_body
from lighter_bot.venues.lighter.ratelimit import RequestGate, TxPriority

MAX_BUDGET_WAIT_S = 5.0
CHUNK = 20  # accountOrders takes at most 20 client order indexes per call


class RestClient:
    def __init__(self, base_url: str, gate: RequestGate, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.gate = gate
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

    def spare(self, endpoint: str, priority: TxPriority = TxPriority.OPTIONAL) -> bool:
        """True when a call of this priority could go now (for calls that may as well wait)."""
        return self.gate.spare(endpoint, priority)

    async def get(
        self, endpoint: str, params: Mapping[str, Any], token: str | None = None, max_wait: float = MAX_BUDGET_WAIT_S,
        priority: TxPriority = TxPriority.READ,
    ) -> dict[str, Any]:
        wait = self.gate.rest_wait(endpoint, priority)
        if wait > max_wait:
            raise RetryableVenueError(f"GET {endpoint}: client-side rate limit, retry in {wait:.1f}s")
        if wait > 0:
            await asyncio.sleep(wait)
        self.gate.take_rest(endpoint)
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
            delay = self.gate.on_rate_limited(rest=True)
            raise RetryableVenueError(f"GET {endpoint}: rate limited (23000), backing off {delay:.0f}s")
        if status >= 500:
            raise RetryableVenueError(f"GET {endpoint}: HTTP {status}")
        if status >= 400:
            code, message = error_body(text)
            raise RejectedError(code or status, f"GET {endpoint}: {message or f'HTTP {status}'}")
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

    async def account(self, account_index: int, priority: TxPriority = TxPriority.READ) -> dict[str, Any]:
        return await self.get("account", {"by": "index", "value": account_index}, priority=priority)

    async def active_orders(
        self, account_index: int, market_id: int, token: str | None, max_wait: float = MAX_BUDGET_WAIT_S
    ) -> dict[str, Any]:
        return await self.get(
            "accountActiveOrders", {"account_index": account_index, "market_id": market_id}, token, max_wait
        )

    async def orders_by_client_index(self, account_index: int, indexes: list[int], token: str | None) -> dict[str, Any]:
        """One accountOrders call: at most CHUNK indexes (callers split longer lists)."""
        if not 1 <= len(indexes) <= CHUNK:
            raise ValueError(f"accountOrders takes 1..{CHUNK} client order indexes, got {len(indexes)}")
        return await self.get(
            "accountOrders",
            {"account_index": account_index, "client_order_indexes": ",".join(str(i) for i in indexes)},
            token,
        )

    async def next_nonce(self, account_index: int, api_key_index: int) -> dict[str, Any]:
        return await self.get("nextNonce", {"account_index": account_index, "api_key_index": api_key_index})

    async def order_book_depth(self, market_id: int, limit: int = 50) -> dict[str, Any]:
        return await self.get("orderBookOrders", {"market_id": market_id, "limit": limit})
