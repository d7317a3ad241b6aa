"""Helpers of the emulator's REST handlers: the JSON answer, query integers, the market check, auth,
and which account a request is about (what the request budget charges)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from lighter_bot.venues.emulator.auth import check_token, parse_token
from lighter_bot.venues.emulator.txinfo import ApiError

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange

Handler = Callable[[web.Request], Awaitable[dict[str, Any]]]


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, separators=(",", ":")))


def qint(req: web.Request, name: str, default: int | None = None) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        if default is None:
            raise ApiError(20001, f"invalid param: {name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(20001, f"invalid param: {name} must be an integer") from None


def account_of(request: web.Request, endpoint: str) -> int | None:
    """The account a REST request is about (what Lighter meters it against): `account_index`, the
    `account` lookup by index, or the auth token's account; None for public market data."""
    q = request.query
    by_index = endpoint == "account" and q.get("by", "index") == "index"
    for raw in (q.get("account_index"), q.get("value") if by_index else None):
        if raw is not None and raw.isdigit():
            return int(raw)
    token = request.headers.get("authorization") or q.get("auth")
    if token:
        with contextlib.suppress(ApiError):
            return parse_token(token).account_index
    return None


def auth(ex: EmulatedExchange, request: web.Request, account_index: int) -> None:
    token = request.headers.get("authorization") or request.query.get("auth")
    check_token(token, account_index, ex.now(), ex.config.max_auth_expiry_s, ex.key_registered)


def check_market(ex: EmulatedExchange, request: web.Request, required: bool) -> int | None:
    m = ex.market
    if "market_id" not in request.query and not required:
        return None
    mid = qint(request, "market_id", None if required else m.market_id)
    if mid not in (m.market_id, 255) and not (mid == -1 and not required):
        raise ApiError(21605, f"invalid market id {mid}")
    return mid
