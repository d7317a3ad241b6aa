"""Our account: orders (REST and WS), positions (account_all_positions frames and the REST account
are full snapshots: a market they leave out is flat), the account snapshot and nextNonce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.venues.lighter.parse import (
    CANCELED_PREFIX,
    LIVE_STATUSES,
    Json,
    RowErrors,
    _in_market,
    _int,
    _list,
    _of_market,
    _opt_float,
    _opt_int,
    _rows,
    scaled,
)

# -- orders ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OrderInfo:
    order_index: int
    client_order_index: int
    market_id: int
    is_ask: bool
    price: int  # ticks
    initial: int  # lots
    remaining: int  # lots
    filled: int  # lots
    status: str
    reduce_only: bool
    time_in_force: str

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def canceled(self) -> bool:
        return self.status.startswith(CANCELED_PREFIX)


def order(row: Json, spec: MarketSpec) -> OrderInfo:
    return OrderInfo(
        order_index=_int(row.get("order_index", row.get("order_id")), "order_index"),
        client_order_index=_int(row.get("client_order_index", row.get("client_order_id", 0)), "client_order_index"),
        market_id=_int(row.get("market_index", spec.market_id), "market_index"),
        is_ask=bool(row.get("is_ask")),
        price=scaled(row.get("price"), spec.price_decimals, "order.price"),
        initial=scaled(row.get("initial_base_amount", "0"), spec.size_decimals, "order.initial_base_amount"),
        remaining=scaled(row.get("remaining_base_amount", "0"), spec.size_decimals, "order.remaining_base_amount"),
        filled=scaled(row.get("filled_base_amount", "0"), spec.size_decimals, "order.filled_base_amount"),
        status=str(row.get("status") or ""),
        reduce_only=bool(row.get("reduce_only")),
        time_in_force=str(row.get("time_in_force") or ""),
    )


def orders_of(rows: Any, spec: MarketSpec, errors: RowErrors | None = None) -> list[OrderInfo]:
    out = _rows(rows, "order", lambda r: order(r, spec), _in_market("market_index", spec), errors)
    return [o for o in out if o.market_id == spec.market_id]


def orders_body(body: Json, spec: MarketSpec, errors: RowErrors | None = None) -> list[OrderInfo]:
    """REST `orders[]` or WS `orders{market: [Order]}` -> this market's orders."""
    return orders_of(_of_market(body.get("orders"), spec), spec, errors)

# -- positions ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PositionInfo:
    lots: int  # signed
    avg_entry_price: float | None


def _position(row: Json, spec: MarketSpec) -> PositionInfo:
    size = scaled(row.get("position", "0"), spec.size_decimals, "position")
    sign = _opt_int(row.get("sign"))
    if sign is not None and sign < 0:
        size = -abs(size)
    avg = _opt_float(row.get("avg_entry_price"))
    return PositionInfo(size, avg if size else None)


def positions_frame(
    msg: Json, spec: MarketSpec, snapshot: bool = False, errors: RowErrors | None = None
) -> PositionInfo | None:
    """`account_all_positions` / `account_all` frame -> our position in this market.

    `snapshot`: the frame lists every position of the account (`account_all_positions` frames and the
    REST account are full snapshots), so a market it leaves out is flat. Otherwise None when the frame
    says nothing about this market. None too for a garbled row (counted in `errors` if given).
    """
    pos = msg.get("positions")
    row: Any = None
    if isinstance(pos, Mapping):
        row = pos.get(str(spec.market_id))
    elif isinstance(pos, list):
        row = next((r for r in pos if isinstance(r, Mapping) and _opt_int(r.get("market_id")) == spec.market_id), None)
    else:
        return None
    if not isinstance(row, Mapping):
        return PositionInfo(0, None) if snapshot and row is None else None
    try:
        return _position(row, spec)
    except DataError as exc:
        if errors is None:
            raise
        errors.add("position", exc)
        return None


@dataclass(frozen=True, slots=True)
class AccountInfo:
    index: int
    position: PositionInfo  # flat when the full snapshot lists no position for the market
    cancel_all_time_ms: int
    collateral: float | None


def account(body: Json, spec: MarketSpec, account_index: int) -> AccountInfo:
    """REST `account` (a full snapshot): a market it does not list is flat."""
    for acc in _list(body.get("accounts")):
        if not isinstance(acc, Mapping):
            continue
        idx = _opt_int(acc.get("account_index", acc.get("index")))
        if idx != account_index:
            continue
        pos = positions_frame(acc, spec, snapshot=True) or PositionInfo(0, None)
        return AccountInfo(
            index=account_index,
            position=pos,
            cancel_all_time_ms=_opt_int(acc.get("cancel_all_time")) or 0,
            collateral=_opt_float(acc.get("collateral")),
        )
    raise DataError(f"account {account_index} not found in the account response")


def next_nonce(body: Json) -> int:
    return _int(body.get("nonce"), "nextNonce.nonce")
