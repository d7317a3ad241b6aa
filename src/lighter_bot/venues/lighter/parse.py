"""Lighter payloads to domain values: `parse*.py` are the ONLY place raw JSON or SDK types become bot
values, for the live venue and for the operator tools (ops/: market metadata, trade history) and
ledger imports (`metrics import-json`) alike. Unknown or missing fields degrade to "no information"
(None / empty), never to a zero that could be mistaken for a fact (the old bot zeroed its inventory
that way).

This module: the shared scalar and row helpers (a bad row costs that row, `RowErrors`), the order
book, market stats, `sendTx` replies and SDK exceptions, auth tokens and frames. Market metadata is
parse_markets.py, trades and fills parse_trades.py, orders, positions and the account
parse_account.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar

from lighter_bot.domain.book import BookView, Level
from lighter_bot.domain.market import MarketSpec
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


def _opt_int(v: Any) -> int | None:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _opt_dec(v: Any, what: str) -> Decimal | None:
    return None if v is None or v == "" else _dec(v, what)


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
