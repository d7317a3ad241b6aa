"""Lighter payloads to domain values: the ONLY place raw JSON or SDK types become bot values.

Everything Lighter sends is decoded here: REST bodies, WebSocket frames, `sendTx` replies and SDK
exceptions, for the live venue and for the operator tools (ops/: market metadata, trade history) and
ledger imports (`metrics import-json`) alike. The rest of the adapter works with the small frozen records below and with domain
values (ticks, lots). Unknown or missing fields degrade to "no information" (None / empty), never to
a zero that could be mistaken for a fact (the old bot zeroed its inventory that way).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar

from lighter_bot.domain.book import BookView, Level
from lighter_bot.domain.fills import AccountFill
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side
from lighter_bot.errors import DataError

Json = Mapping[str, Any]

# Lighter's order statuses that mean "the order is gone with its remainder unfilled".
CANCELED_PREFIX = "canceled"
LIVE_STATUSES = frozenset({"open", "pending", "in-progress"})
CLIENT_INDEX_LIMIT = 2**48  # client_order_index < 2**48 <= exchange order_index


# -- scalars --------------------------------------------------------------------------------------

def _dec(v: Any, what: str) -> Decimal:
    if isinstance(v, bool) or v is None:
        raise DataError(f"{what}: expected a number, got {v!r}")
    try:
        return Decimal(str(v))
    except InvalidOperation:
        raise DataError(f"{what}: not a number: {v!r}") from None


def _units(d: Decimal, decimals: int) -> int:
    return int(d.scaleb(decimals).to_integral_value(ROUND_HALF_EVEN))


def scaled(v: Any, decimals: int, what: str) -> int:
    """A decimal string ("2064.54") as an integer scaled by 10**decimals (exact on Lighter's data)."""
    return _units(_dec(v, what), decimals)


def _int(v: Any, what: str) -> int:
    if isinstance(v, bool):
        raise DataError(f"{what}: expected an integer, got {v!r}")
    try:
        return int(v)
    except (TypeError, ValueError):
        raise DataError(f"{what}: expected an integer, got {v!r}") from None


def _opt_float(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list) else []


@dataclass
class RowErrors:
    """Rows of a frame that could not be decoded. With one of these, a bad row costs that row, not the
    frame (one garbled order must not hide the others, one bad trade of another market must not drop
    our fills); each is counted by kind for /metrics. Without one, decoding raises as before."""

    counts: dict[str, int] = field(default_factory=dict)
    last: str = ""

    def add(self, kind: str, error: DataError) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.last = f"{kind}: {error}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


T_ = TypeVar("T_")


def _rows(rows: Any, kind: str, decode: Callable[[Json], T_], keep: Callable[[Json], bool],
          errors: RowErrors | None) -> list[T_]:
    out: list[T_] = []
    for r in _list(rows):
        if not isinstance(r, Mapping) or not keep(r):
            continue
        if errors is None:
            out.append(decode(r))
            continue
        try:
            out.append(decode(r))
        except DataError as exc:
            errors.add(kind, exc)
    return out


def _in_market(key: str, spec: MarketSpec) -> Callable[[Json], bool]:
    """Rows of other markets are skipped before decoding (a row that names no market is kept)."""

    def keep(row: Json) -> bool:
        m = _opt_int(row.get(key))
        return m is None or m == spec.market_id

    return keep


def _of_market(v: Any, spec: MarketSpec) -> Any:
    """Account frames key their per-market lists by market id (`{"0": [...]}`); REST sends the list."""
    return v.get(str(spec.market_id)) if isinstance(v, Mapping) else v


# -- market metadata ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MarketInfo:
    """One market as `orderBookDetails` (or `orderBooks`) describes it (Decimal amounts, 1e-4 margin units)."""

    market_id: int
    symbol: str
    status: str
    market_type: str
    min_base_amount: Decimal
    min_quote_amount: Decimal
    size_decimals: int
    price_decimals: int
    last_trade_price: Decimal
    default_initial_margin_fraction: int  # 1e-4 units: 500 = 5 % = 20x
    maintenance_margin_fraction: int
    maker_fee: Decimal  # percent of notional: "0.0040" = 0.004 %
    taker_fee: Decimal
    daily_quote_volume: Decimal
    daily_trades_count: int
    daily_price_low: Decimal
    daily_price_high: Decimal
    open_interest: Decimal
    hidden: bool = False

    @property
    def spec(self) -> MarketSpec:
        return MarketSpec(
            market_id=self.market_id,
            symbol=self.symbol,
            price_decimals=self.price_decimals,
            size_decimals=self.size_decimals,
            min_base_size=self.min_base_amount,
            min_quote=self.min_quote_amount,
        )

    @property
    def initial_margin(self) -> Decimal:
        """Initial margin as a fraction (0.05 for 20x)."""
        return Decimal(self.default_initial_margin_fraction) / Decimal(10_000)

    @property
    def daily_range_bps(self) -> Decimal | None:
        if self.last_trade_price <= 0 or self.daily_price_high <= 0 or self.daily_price_low <= 0:
            return None
        return (self.daily_price_high - self.daily_price_low) / self.last_trade_price * 10_000


def market_info(entry: Json) -> MarketInfo:
    """One `orderBookDetails` / `orderBooks` entry; a missing or garbled field names the entry and field."""
    where = f"orderBookDetails entry {entry.get('symbol', '?')!r}"

    def dec(key: str, default: Any = None) -> Decimal:
        return _dec(entry.get(key, default), f"{where} {key}")

    def integer(key: str, default: Any = None) -> int:
        return _int(entry.get(key, default), f"{where} {key}")

    config = entry.get("market_config")
    market_id = integer("market_id")
    return MarketInfo(
        market_id=market_id,
        symbol=str(entry.get("symbol") or f"market_{market_id}"),
        status=str(entry.get("status") or "unknown"),
        market_type=str(entry.get("market_type") or "perp"),
        min_base_amount=dec("min_base_amount"),
        min_quote_amount=dec("min_quote_amount"),
        size_decimals=integer("size_decimals", entry.get("supported_size_decimals")),
        price_decimals=integer("price_decimals", entry.get("supported_price_decimals")),
        last_trade_price=dec("last_trade_price", "0"),
        default_initial_margin_fraction=integer("default_initial_margin_fraction", 10_000),
        maintenance_margin_fraction=integer("maintenance_margin_fraction", 0),
        maker_fee=dec("maker_fee", "0"),
        taker_fee=dec("taker_fee", "0"),
        daily_quote_volume=dec("daily_quote_token_volume", "0"),
        daily_trades_count=integer("daily_trades_count", 0),
        daily_price_low=dec("daily_price_low", "0"),
        daily_price_high=dec("daily_price_high", "0"),
        open_interest=dec("open_interest", "0"),
        hidden=isinstance(config, Mapping) and bool(config.get("hidden", False)),
    )


def perp_markets(body: Json) -> list[MarketInfo]:
    """The perp markets of an `orderBookDetails` answer (spot markets are not for this bot)."""
    entries = body.get("order_book_details")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise DataError("orderBookDetails: order_book_details is not a list")
    return [market_info(e) for e in entries if isinstance(e, Mapping)]


def market_spec(body: Json, market_id: int) -> MarketSpec:
    """`orderBookDetails` (or `orderBooks`) response -> MarketSpec of `market_id`."""
    rows = _list(body.get("order_book_details")) or _list(body.get("order_books"))
    rows += _list(body.get("spot_order_book_details"))
    for row in rows:
        if isinstance(row, Mapping) and _int(row.get("market_id"), "market_id") == market_id:
            return market_info(row).spec
    known = sorted(_int(r.get("market_id"), "market_id") for r in rows if isinstance(r, Mapping))
    raise DataError(f"market {market_id} not listed by orderBookDetails (markets: {known[:20]})")


# -- order book -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BookFrame:
    """One `order_book` message: a full snapshot (subscribed) or a set of changed levels (update)."""

    market_id: int
    snapshot: bool
    bids: tuple[Level, ...]  # (ticks, lots); lots == 0 removes the level
    asks: tuple[Level, ...]
    nonce: int
    begin_nonce: int
    exchange_ts_ms: int | None


def channel_market(channel: Any) -> int | None:
    """`order_book:0` / `trade:2` / `account_orders:2:65` -> the market id (first number)."""
    if not isinstance(channel, str):
        return None
    parts = channel.replace("/", ":").split(":")
    if len(parts) < 2:
        return None
    try:
        return int(parts[1])
    except ValueError:
        return None


def _levels(rows: Any, spec: MarketSpec, what: str) -> tuple[Level, ...]:
    out: list[Level] = []
    for r in _list(rows):
        if not isinstance(r, Mapping):
            raise DataError(f"{what}: level is not an object: {r!r}")
        out.append(
            (scaled(r.get("price"), spec.price_decimals, f"{what}.price"), scaled(r.get("size"), spec.size_decimals, f"{what}.size"))
        )
    return tuple(out)


def book_frame(msg: Json, spec: MarketSpec) -> BookFrame:
    ob = msg.get("order_book")
    if not isinstance(ob, Mapping):
        raise DataError("order_book frame without an order_book object")
    typ = str(msg.get("type", ""))
    ts = msg.get("timestamp")
    m = channel_market(msg.get("channel"))
    return BookFrame(
        market_id=spec.market_id if m is None else m,
        snapshot=typ.startswith("subscribed/"),
        bids=_levels(ob.get("bids"), spec, "bids"),
        asks=_levels(ob.get("asks"), spec, "asks"),
        nonce=_int(ob.get("nonce", 0), "nonce"),
        begin_nonce=_int(ob.get("begin_nonce", 0), "begin_nonce"),
        exchange_ts_ms=_int(ts, "timestamp") if ts is not None else None,
    )


def book_view(bids: Mapping[int, int], asks: Mapping[int, int], depth: int) -> BookView:
    b = sorted(((p, s) for p, s in bids.items() if s > 0), reverse=True)[:depth]
    a = sorted((p, s) for p, s in asks.items() if s > 0)[:depth]
    return BookView(tuple(b), tuple(a))


def _finite(v: Any) -> Decimal | None:
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def order_book_touch(body: Json) -> tuple[Decimal, Decimal] | None:
    """(best bid, best ask) in quote units of an `orderBookOrders` answer: orders in any order, emptied
    or unreadable ones skipped; None when a side has none."""

    def prices(side: str) -> list[Decimal]:
        out: list[Decimal] = []
        for o in _list(body.get(side)):
            if not isinstance(o, Mapping):
                continue
            remaining, price = _finite(o.get("remaining_base_amount", "1")), _finite(o.get("price"))
            if remaining is not None and remaining > 0 and price is not None:
                out.append(price)
        return out

    bids, asks = prices("bids"), prices("asks")
    return (max(bids), min(asks)) if bids and asks else None


def depth_book(body: Json, spec: MarketSpec, depth: int = 50) -> BookView:
    """REST depth snapshot ({asks, bids} of {price, size}) -> BookView."""
    bids = dict(_levels(body.get("bids"), spec, "bids"))
    asks = dict(_levels(body.get("asks"), spec, "asks"))
    return book_view(bids, asks, depth)


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


def _opt_int(v: Any) -> int | None:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _opt_dec(v: Any, what: str) -> Decimal | None:
    return None if v is None or v == "" else _dec(v, what)


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


# -- market stats ---------------------------------------------------------------------------------

def mark_price(msg: Json, spec: MarketSpec) -> int | None:
    """`market_stats` frame (single or `all`) -> this market's mark price in ticks, if given."""
    stats = msg.get("market_stats")
    if not isinstance(stats, Mapping):
        return None
    if "mark_price" not in stats and str(spec.market_id) in stats:
        stats = stats[str(spec.market_id)]
        if not isinstance(stats, Mapping):
            return None
    if _opt_int(stats.get("market_id")) not in (None, spec.market_id):
        return None
    mp = stats.get("mark_price")
    if mp in (None, ""):
        return None
    return scaled(mp, spec.price_decimals, "mark_price")


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


# -- transaction replies and errors ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What one sendTx / sendTxBatch call came to.

    kind: "ok" (accepted into the sequencer), "rejected" (a definitive 400 with Lighter's code),
    "rate_limited" (429 / 23000), "uncertain" (timeout, 5xx, connection error: it may have landed).
    """

    kind: str
    code: int
    message: str
    volume_quota_remaining: int | None = None  # Premium: what the answer reports (None: not said)

    @property
    def invalid_nonce(self) -> bool:
        return self.code in (21104, 21105) or "invalid nonce" in self.message.lower()


OK = SendOutcome("ok", 200, "")


def error_body(body: Any) -> tuple[int, str]:
    """`{"code": N, "message": "..."}` (as text or object) -> (code, message)."""
    data: Any = body
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            data = json.loads(body)
        except ValueError:
            return 0, body.strip()[:200]
    if isinstance(data, Mapping):
        code = _opt_int(data.get("code")) or 0
        return code, str(data.get("message") or "")[:200]
    return 0, ""


def send_reply(code: Any, message: Any, volume_quota_remaining: Any = None) -> SendOutcome:
    """A 200 reply's body `code` (RespSendTx.code): 200 is accepted, anything else a rejection."""
    c = _opt_int(code) or 0
    if c == 200:
        quota = _opt_int(volume_quota_remaining)
        return OK if quota is None else SendOutcome("ok", 200, "", quota)
    return SendOutcome("rejected", c, str(message or ""))


def send_exception(exc: BaseException) -> SendOutcome:
    """Classify an exception raised by the SDK's send path (without ever echoing request data)."""
    status = _opt_int(getattr(exc, "status", None))
    body = getattr(exc, "body", None)
    code, message = error_body(body) if body is not None else (0, "")
    if status == 429 or code == 23000:
        return SendOutcome("rate_limited", 23000, message or "Too Many Requests")
    if status == 400:
        return SendOutcome("rejected", code or 400, message)
    if status is not None and 400 < status < 500:
        return SendOutcome("rejected", code or status, message or f"HTTP {status}")
    label = f"HTTP {status}" if status else type(exc).__name__
    return SendOutcome("uncertain", code, message or label)


# -- auth tokens ----------------------------------------------------------------------------------

def token_expiry(token: str) -> float | None:
    """Expiry (epoch s) of an auth token `{expiry}:{account}:{key}:{hex}` (or read-only `ro:...`)."""
    parts = token.split(":")
    if len(parts) >= 4 and parts[0] == "ro":
        v = _opt_int(parts[3])
        return float(v) if v is not None else None
    v = _opt_int(parts[0]) if parts else None
    return float(v) if v is not None else None


def frame_type(msg: Json) -> str:
    return str(msg.get("type") or "")


def error_frame(msg: Json) -> tuple[int, str, str] | None:
    """(code, message, channel) of an error frame, in either shape Lighter sends:
    `{"type": "error", "code": .., "message": .., "channel": ..}` or `{"error": {"code": .., "message": ..}}`;
    None for any other frame."""
    nested = msg.get("error")
    if frame_type(msg) == "error":
        code, message = error_body(nested if isinstance(nested, Mapping) else msg)
    elif isinstance(nested, Mapping):
        code, message = error_body(nested)
    else:
        return None
    channel = msg.get("channel") or (nested.get("channel") if isinstance(nested, Mapping) else None)
    return code, message, str(channel or "")


def iter_frames(text: str) -> Iterable[Json]:
    """A WS text message -> JSON objects (Lighter sends one per message)."""
    data = json.loads(text)
    if isinstance(data, Mapping):
        yield data
    elif isinstance(data, list):
        yield from (d for d in data if isinstance(d, Mapping))
