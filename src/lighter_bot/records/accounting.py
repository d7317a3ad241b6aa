"""PnL accounting over ledger rows: average-cost realized PnL (fees included), unrealized at a mark,
fees and volumes by role, over all time or a trailing window.

The position arithmetic is `domain.position.apply_fill` (the same as the engine's). A window's
`realized_quote` is the realized PnL earned by the fills inside the window, computed with the
average cost carried in from every earlier fill, so windows never count cash flow as PnL.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lighter_bot.domain.position import PositionState, apply_fill
from lighter_bot.records.ledger import normalize_ts, trade_key


@dataclass(frozen=True, slots=True)
class LedgerFill:
    """A ledger row as numbers."""

    ts: float
    market: str
    role: str  # maker | taker
    side: str  # bid | ask
    size: float  # > 0, base units
    price: float
    fee: float  # quote paid (negative = rebate)
    mid: float | None
    trade_id: str | None
    purpose: str | None
    source: str

    @property
    def signed(self) -> float:
        return self.size if self.side == "bid" else -self.size

    @property
    def notional(self) -> float:
        return self.size * self.price

    @property
    def is_hedge(self) -> bool:
        # The maker only ever posts post-only orders, so a taker fill of unknown purpose (imports,
        # old rows) can only be a hedge that crossed.
        if self.purpose is not None:
            return self.purpose.startswith("hedge")
        return self.role == "taker"


def _num(v: Any) -> float:
    x = float(v)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {v!r}")
    return x


def parse_fill(row: dict[str, Any]) -> LedgerFill | None:
    """A LedgerFill from a ledger row, or None when the row is not a usable fill."""
    try:
        side = str(row.get("side") or "").lower()
        size = abs(_num(row["size"]))
        if side not in ("bid", "ask"):
            # Old rows may lack `side`: derive it from the sign of base_delta.
            side = "bid" if _num(row["base_delta"]) > 0 else "ask"
        mid = row.get("mid_price")
        return LedgerFill(
            ts=normalize_ts(_num(row["timestamp"])),
            market=str(row.get("market") or "market:?"),
            role=str(row.get("role") or "maker").lower(),
            side=side,
            size=size,
            price=_num(row["price"]),
            fee=_num(row.get("fee_paid") or 0),
            mid=None if mid in (None, "") else _num(mid),
            trade_id=trade_key(row),
            purpose=row.get("purpose") or None,
            source=str(row.get("source") or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None


EARLIEST_TS = 1_483_228_800.0  # 2017-01-01: no fill of this bot is older
FUTURE_SLACK_S = 86_400.0


def suspicious_rows(rows: Iterable[dict[str, Any]], now: float) -> dict[str, int]:
    """Rows that are counted but look wrong, by kind: a side that is not bid/ask (taken from the sign
    of base_delta), no trade id (cannot be deduplicated), a timestamp before 2017 or more than a day
    ahead (it bends the windows). Empty when all is well."""
    out = {"unknown side": 0, "no trade id": 0, "absurd timestamp": 0}
    for r in rows:
        if parse_fill(r) is None:
            continue  # unreadable: counted as such elsewhere
        if str(r.get("side") or "").lower() not in ("bid", "ask"):
            out["unknown side"] += 1
        if trade_key(r) is None:
            out["no trade id"] += 1
        ts = normalize_ts(_num(r["timestamp"]))
        if not EARLIEST_TS <= ts <= now + FUTURE_SLACK_S:
            out["absurd timestamp"] += 1
    return {k: v for k, v in out.items() if v}


def parse_fills(rows: Iterable[dict[str, Any]]) -> tuple[list[LedgerFill], int]:
    """Usable fills sorted by time (stable), deduplicated by trade id; plus the count of bad rows."""
    out: list[LedgerFill] = []
    seen: set[str] = set()
    bad = 0
    for r in rows:
        f = parse_fill(r)
        if f is None:
            bad += 1
            continue
        if f.trade_id is not None:
            if f.trade_id in seen:
                continue
            seen.add(f.trade_id)
        out.append(f)
    out.sort(key=lambda f: f.ts)
    return out, bad


@dataclass(frozen=True, slots=True)
class Booked:
    fill: LedgerFill
    realized: float  # realized PnL this fill added, its fee included
    position_after: float


@dataclass
class Totals:
    realized_quote: float = 0.0
    fees_paid: float = 0.0
    maker_volume: float = 0.0
    taker_volume: float = 0.0
    hedger_volume: float = 0.0
    volume_base: float = 0.0
    fills: int = 0
    maker_fills: int = 0
    taker_fills: int = 0
    hedger_fills: int = 0
    first_ts: float | None = None
    last_ts: float | None = None

    def add(self, b: Booked) -> None:
        f = b.fill
        self.realized_quote += b.realized
        self.fees_paid += f.fee
        self.volume_base += f.size
        self.fills += 1
        if f.role == "taker":
            self.taker_volume += f.notional
            self.taker_fills += 1
        else:
            self.maker_volume += f.notional
            self.maker_fills += 1
        if f.is_hedge:
            self.hedger_volume += f.notional
            self.hedger_fills += 1
        self.first_ts = f.ts if self.first_ts is None else min(self.first_ts, f.ts)
        self.last_ts = f.ts if self.last_ts is None else max(self.last_ts, f.ts)


def market_slug(market: str) -> str:
    return market.replace(":", "_")


@dataclass
class Accountant:
    """Running books over fills in time order. `keep_seconds` bounds the per-fill history kept for
    windows (the running bot keeps 6 h); None keeps everything (the CLI)."""

    keep_seconds: float | None = None
    positions: dict[str, PositionState] = field(default_factory=dict)
    last_mark: dict[str, float] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    booked: deque[Booked] = field(default_factory=deque)

    def add(self, f: LedgerFill) -> Booked:
        before = self.positions.get(f.market, PositionState())
        after = apply_fill(before, f.signed, f.price, f.fee)
        self.positions[f.market] = after
        self.last_mark[f.market] = f.mid if f.mid is not None else f.price
        b = Booked(f, after.realized - before.realized, after.qty)
        self.totals.add(b)
        self.booked.append(b)
        if self.keep_seconds is not None:
            self.prune(f.ts)
        return b

    def extend(self, fills: Iterable[LedgerFill]) -> None:
        for f in fills:
            self.add(f)

    def prune(self, now: float) -> None:
        if self.keep_seconds is None:
            return
        horizon = now - self.keep_seconds
        while self.booked and self.booked[0].fill.ts < horizon:
            self.booked.popleft()

    def unrealized(self, marks: dict[str, float] | None = None) -> float:
        total = 0.0
        for m, p in self.positions.items():
            mark = (marks or {}).get(m, self.last_mark.get(m))
            if mark is not None:
                total += p.unrealized(mark)
        return total

    def window(self, since: float | None, until: float | None) -> Totals:
        """Totals of the fills with since < ts <= until (None = unbounded)."""
        t = Totals()
        for b in self.booked:
            ts = b.fill.ts
            if (since is None or ts > since) and (until is None or ts <= until):
                t.add(b)
        return t

    def snapshot(self, marks: dict[str, float] | None = None, since: float | None = None,
                 until: float | None = None) -> dict[str, Any]:
        """The operator's snapshot keys (realized_quote, fees_paid, volumes, fills, unrealized_quote,
        total_quote, inventory_<market>, start_ts, end_ts). Unrealized is the open position's, now."""
        t = self.totals if since is None and until is None else self.window(since, until)
        unreal = self.unrealized(marks)
        out: dict[str, Any] = {
            "realized_quote": t.realized_quote,
            "fees_paid": t.fees_paid,
            "maker_volume": t.maker_volume,
            "taker_volume": t.taker_volume,
            "hedger_volume": t.hedger_volume,
            "volume_base": t.volume_base,
            "fills": t.fills,
            "maker_fills": t.maker_fills,
            "taker_fills": t.taker_fills,
            "hedger_fills": t.hedger_fills,
            "unrealized_quote": unreal,
            "total_quote": t.realized_quote + unreal,
            "start_ts": since if since is not None else t.first_ts,
            "end_ts": until if until is not None else t.last_ts,
        }
        for m, p in sorted(self.positions.items()):
            slug = market_slug(m)
            out[f"inventory_{slug}"] = p.qty
            out[f"avg_entry_{slug}"] = p.avg_price
            mark = (marks or {}).get(m, self.last_mark.get(m))
            out[f"mark_{slug}"] = mark
        return out


def build(rows: Iterable[dict[str, Any]], keep_seconds: float | None = None) -> tuple[Accountant, int]:
    fills, bad = parse_fills(rows)
    acc = Accountant(keep_seconds=keep_seconds)
    acc.extend(fills)
    return acc, bad
