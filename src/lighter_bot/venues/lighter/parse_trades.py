"""Trades: public trades, our fills from account trades (role, fee, both halves of a self-trade),
and Lighter trades as ledger rows (`account_fills`, trade history and imports)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from lighter_bot.domain.fills import AccountFill
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side
from lighter_bot.errors import DataError
from lighter_bot.venues.lighter.parse import (
    Json,
    RowErrors,
    _dec,
    _in_market,
    _int,
    _of_market,
    _opt_dec,
    _opt_int,
    _rows,
    _units,
)

# -- trades ---------------------------------------------------------------------------------------
# A Lighter trade names both accounts; ours is the side whose `{ask,bid}_account_id` is our account.
# `is_maker_ask` says which side rested, so our role follows from our side. The fee fields
# `maker_fee` / `taker_fee` are integers in millionths of the notional (196 = 0.0196 %), omitted when
# zero; the notional is `usd_amount` (= size x price, computed when absent).

FEE_UNITS_PER_NOTIONAL = 1_000_000

_Num = TypeVar("_Num", float, Decimal)


def trade_fee(notional: _Num, fee_units: int) -> _Num:
    """Quote paid for a trade fee field of `fee_units` on `notional` (negative = rebate)."""
    return notional * fee_units / FEE_UNITS_PER_NOTIONAL


def role_of(side: Side, is_maker_ask: bool) -> Role:
    """Our role on `side` of a trade: the ask was the maker exactly when is_maker_ask."""
    return Role.MAKER if (side is Side.ASK) == is_maker_ask else Role.TAKER


def our_sides(bid_account: int | None, ask_account: int | None, account_index: int) -> list[Side]:
    """The side(s) `account_index` traded on: none, one, or both (a self-trade), bid first."""
    return [side for side, acct in ((Side.BID, bid_account), (Side.ASK, ask_account)) if acct == account_index]


def _trade_id(row: Json) -> str:
    tid = row.get("trade_id_str") or row.get("trade_id")
    if tid is None:
        raise DataError("trade without trade_id")
    return str(tid)


def _notional(row: Json, size: Decimal, price: Decimal, what: str) -> Decimal:
    usd = row.get("usd_amount")
    return size * price if usd is None or usd == "" else _dec(usd, f"{what}usd_amount")


def _fee_units(row: Json, role: Role, what: str) -> int:
    v = row.get(f"{role.value}_fee")
    return 0 if v is None or v == "" else _int(v, f"{what}{role.value}_fee")


def _client_id(row: Json, side: Side) -> int | None:
    return _opt_int(row.get(f"{side.value}_client_id_str", row.get(f"{side.value}_client_id")))


def _order_index(row: Json, side: Side) -> int | None:
    return _opt_int(row.get(f"{side.value}_id_str", row.get(f"{side.value}_id")))


@dataclass(frozen=True, slots=True)
class TradeInfo:
    trade_id: str
    market_id: int
    price: int  # ticks
    size: int  # lots
    usd_amount: float
    ask_account: int | None
    bid_account: int | None
    ask_client_id: int | None
    bid_client_id: int | None
    ask_order_index: int | None
    bid_order_index: int | None
    is_maker_ask: bool
    taker_fee: int  # 1e-6 of notional (Lighter omits zero fees)
    maker_fee: int
    exchange_ts_ms: int | None

    @property
    def taker_side(self) -> Side:
        """The aggressor: if the maker was the ask, the taker bought."""
        return Side.BID if self.is_maker_ask else Side.ASK


def trade(row: Json, spec: MarketSpec) -> TradeInfo:
    tid = _trade_id(row)
    price = _dec(row.get("price"), "trade.price")
    size = _dec(row.get("size"), "trade.size")
    return TradeInfo(
        trade_id=tid,
        market_id=_int(row.get("market_id", spec.market_id), "market_id"),
        price=_units(price, spec.price_decimals),
        size=_units(size, spec.size_decimals),
        usd_amount=float(_notional(row, size, price, "trade.")),
        ask_account=_opt_int(row.get("ask_account_id")),
        bid_account=_opt_int(row.get("bid_account_id")),
        ask_client_id=_client_id(row, Side.ASK),
        bid_client_id=_client_id(row, Side.BID),
        ask_order_index=_order_index(row, Side.ASK),
        bid_order_index=_order_index(row, Side.BID),
        is_maker_ask=bool(row.get("is_maker_ask")),
        taker_fee=_opt_int(row.get("taker_fee")) or 0,
        maker_fee=_opt_int(row.get("maker_fee")) or 0,
        exchange_ts_ms=_opt_int(row.get("timestamp")),
    )


def trades_of(rows: Any, spec: MarketSpec, errors: RowErrors | None = None) -> list[TradeInfo]:
    """A list of Trade objects (market trades or one market of account trades), oldest first."""
    out = _rows(rows, "trade", lambda r: trade(r, spec), _in_market("market_id", spec), errors)
    out.sort(key=lambda t: (t.exchange_ts_ms or 0, _opt_int(t.trade_id) or 0))
    return [t for t in out if t.market_id == spec.market_id]


def trade_frame(msg: Json, spec: MarketSpec, errors: RowErrors | None = None) -> list[TradeInfo]:
    """`trade/{M}` frame (or REST `recentTrades`) -> this market's trades, oldest first."""
    return trades_of(msg.get("trades"), spec, errors) + trades_of(msg.get("liquidation_trades"), spec, errors)


def account_trades(msg: Json, spec: MarketSpec, errors: RowErrors | None = None) -> list[TradeInfo]:
    """`account_all_trades` frame: trades{market: [Trade]} -> this market's trades, oldest first."""
    return trades_of(_of_market(msg.get("trades"), spec), spec, errors)


@dataclass(frozen=True, slots=True)
class OurFill:
    """One side of a trade that belongs to our account."""

    trade_id: str
    client_order_index: int | None
    order_index: int | None
    side: Side
    price: int
    size: int
    fee: float
    role: Role


def our_fills(t: TradeInfo, account_index: int) -> list[OurFill]:
    """Our side(s) of a trade; two entries (ids suffixed /bid, /ask) if we were on both sides."""
    sides = our_sides(t.bid_account, t.ask_account, account_index)
    out: list[OurFill] = []
    for side in sides:
        role = role_of(side, t.is_maker_ask)
        out.append(
            OurFill(
                trade_id=t.trade_id if len(sides) == 1 else f"{t.trade_id}/{side.value}",
                client_order_index=t.bid_client_id if side is Side.BID else t.ask_client_id,
                order_index=t.bid_order_index if side is Side.BID else t.ask_order_index,
                side=side,
                price=t.price,
                size=t.size,
                fee=trade_fee(t.usd_amount, t.maker_fee if role is Role.MAKER else t.taker_fee),
                role=role,
            )
        )
    return out


def account_fills(row: Json, account_index: int) -> list[AccountFill]:
    """Our side(s) of one Lighter trade (REST `/api/v1/trades` or `recentTrades`, WS
    `account_all_trades`) in the exchange's decimal units, for trade history and ledger imports.

    [] when neither side is `account_index`; both halves (same trade id) of a self-trade. A trade of
    ours with a missing or garbled field raises DataError naming the trade and the field.
    """
    sides = our_sides(_opt_int(row.get("bid_account_id")), _opt_int(row.get("ask_account_id")), account_index)
    if not sides:
        return []
    tid = _trade_id(row)
    what = f"trade {tid}: "
    size, price = _dec(row.get("size"), f"{what}size"), _dec(row.get("price"), f"{what}price")
    if size <= 0 or price <= 0:
        raise DataError(f"{what}size and price must be positive (got {size} @ {price})")
    ts = float(_dec(row.get("timestamp"), f"{what}timestamp")) / 1000.0  # Lighter sends milliseconds
    market_id = _int(row.get("market_id"), f"{what}market_id")
    notional = _notional(row, size, price, what)
    maker_ask = bool(row.get("is_maker_ask"))
    out: list[AccountFill] = []
    for side in sides:
        role = role_of(side, maker_ask)
        order_index = _order_index(row, side)
        out.append(
            AccountFill(
                trade_id=tid,
                ts=ts,
                market_id=market_id,
                side=side,
                role=role,
                size=size,
                price=price,
                notional=notional,
                fee=trade_fee(notional, _fee_units(row, role, what)),
                client_order_id=_client_id(row, side),
                order_id=None if order_index is None else str(order_index),
                position_before=_opt_dec(row.get(f"{role.value}_position_size_before"), f"{what}{role.value}_position_size_before"),
                entry_quote_before=_opt_dec(row.get(f"{role.value}_entry_quote_before"), f"{what}{role.value}_entry_quote_before"),
            )
        )
    return out
