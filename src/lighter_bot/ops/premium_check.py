"""Premium only after proof (plan step 5): does the live ledger justify switching to the Premium tier?

Reads the fills ledger (records.ledger / records.accounting, the same books as the dashboard) and
the position snapshots (for mids after each fill). Only live fills are evidence: simulator and
backtest rows (`records.ledger.is_live_row`) are left out and counted. It checks over the last
`horizon_hours`:

* coverage: the ledger spans at least the horizon (evidence, not a lucky hour);
* evidence: at least `min_maker_fills` maker fills, at a rate of at least `min_fills_per_hour`;
* PnL: realized PnL over the horizon (average cost, fees included) >= -`neutral_usd`;
* guard: the self-healing PnL guard was on in the config that produced the fills (every fill row
  in the horizon carries that config's hash, or none);
* markouts: the maker fills' mean markout at `markout_horizon_s` >= `min_markout_bps`.

It also prices the recorded fills at Premium's fees (fees.maker_premium_rate / taker_premium_rate):
what Premium would have cost, and the realized PnL after that cost. It never changes anything.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lighter_bot.config import BotConfig
from lighter_bot.errors import DataError
from lighter_bot.records.accounting import LedgerFill, build, parse_fills
from lighter_bot.records.ledger import Ledger, PositionsLog, is_live_row, normalize_ts


@dataclass(frozen=True, slots=True)
class PremiumCriteria:
    horizon_hours: float = 24.0
    neutral_usd: float = 0.0  # realized PnL may be this far below zero and still count as neutral (USD)
    min_maker_fills: int = 20
    min_fills_per_hour: float = 1.0
    markout_horizon_s: float = 30.0
    min_markout_bps: float = 0.0
    require_guard: bool = True


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class PremiumVerdict:
    justified: bool
    checks: list[Check] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"justified": self.justified, "checks": [c.__dict__ for c in self.checks], "numbers": self.numbers}


def _mid_series(fills: list[LedgerFill], position_rows: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    pts: list[tuple[float, float]] = [(f.ts, f.mid) for f in fills if f.mid is not None]
    for r in position_rows:
        try:
            mid = r.get("mid")
            if mid is not None:
                pts.append((normalize_ts(float(r["timestamp"])), float(mid)))
        except (KeyError, TypeError, ValueError):
            continue
    pts.sort()
    return [t for t, _ in pts], [m for _, m in pts]


def markout_bps(fills: list[LedgerFill], ts: list[float], mids: list[float], horizon_s: float) -> tuple[float, int]:
    """Mean side * (mid(t + h) - price) / price in bps over fills with a mid recorded after t + h."""
    vals: list[float] = []
    for f in fills:
        i = bisect.bisect_left(ts, f.ts + horizon_s)
        if i >= len(ts) or f.price <= 0:
            continue
        sign = 1.0 if f.side == "bid" else -1.0
        vals.append(sign * (mids[i] - f.price) / f.price * 1e4)
    return (sum(vals) / len(vals) if vals else 0.0), len(vals)


def evaluate(rows: list[dict[str, Any]], position_rows: list[dict[str, Any]], cfg: BotConfig,
             crit: PremiumCriteria, now: float | None = None) -> PremiumVerdict:
    live = [r for r in rows if is_live_row(r)]
    ignored = len(rows) - len(live)
    rows = live
    fills, _bad = parse_fills(rows)
    fills.sort(key=lambda f: f.ts)
    if not fills:
        why = "the ledger holds no live fills" + (f" ({ignored} simulated fill(s) ignored)" if ignored else "")
        return PremiumVerdict(False, [Check("evidence", False, why)], {"fills": 0, "ignored_simulated_fills": ignored})
    end = max(fills[-1].ts, now or 0.0)
    start = end - crit.horizon_hours * 3600.0
    acc, _ = build(rows)
    win = acc.window(start, end)
    inside = [f for f in fills if f.ts > start]
    maker = [f for f in inside if f.role == "maker"]
    taker = [f for f in inside if f.role != "maker"]
    hours = crit.horizon_hours
    checks: list[Check] = []
    span_h = (end - fills[0].ts) / 3600.0
    checks.append(Check("coverage", span_h >= hours * 0.999,
                        f"ledger spans {span_h:.2f} h, the horizon is {hours:g} h"))
    rate = len(maker) / hours if hours > 0 else 0.0
    checks.append(Check("evidence", len(maker) >= crit.min_maker_fills and rate >= crit.min_fills_per_hour,
                        f"{len(maker)} maker fills ({rate:.2f}/h); need >= {crit.min_maker_fills} "
                        f"and >= {crit.min_fills_per_hour:g}/h"))
    realized = win.realized_quote
    checks.append(Check("realized_pnl", realized >= -crit.neutral_usd,
                        f"realized {realized:+.4f} USD over the horizon (neutral floor {-crit.neutral_usd:+.4f})"))
    if crit.require_guard:
        h = cfg.config_hash()
        foreign = sorted({str(r.get("config_hash")) for r in rows if r.get("config_hash") not in (None, "", h)
                          and normalize_ts(float(r.get("timestamp") or 0)) > start})
        guard_on = cfg.maker.pnl_guard.enabled
        checks.append(Check("guard", guard_on and not foreign,
                            ("maker.pnl_guard.enabled is false" if not guard_on else
                             f"fills from other configs in the horizon: {', '.join(foreign)}" if foreign else
                             f"PnL guard on; every fill from config {h}")))
    ts, mids = _mid_series(fills, position_rows)
    mo, n_mo = markout_bps(maker, ts, mids, crit.markout_horizon_s)
    checks.append(Check("markouts", n_mo >= min(crit.min_maker_fills, len(maker)) and n_mo > 0
                        and mo >= crit.min_markout_bps,
                        f"maker markout at {crit.markout_horizon_s:g} s: {mo:+.2f} bps over {n_mo} fills "
                        f"(need >= {crit.min_markout_bps:+.2f})"))
    f = cfg.fees
    maker_notional = sum(x.notional for x in maker)
    taker_notional = sum(x.notional for x in taker)
    actual_fees = sum(x.fee for x in inside)
    premium_fees = maker_notional * f.maker_premium_rate + taker_notional * f.taker_premium_rate
    extra = premium_fees - actual_fees
    numbers = {
        "ignored_simulated_fills": ignored,
        "horizon_hours": hours,
        "window_start": start,
        "window_end": end,
        "fills": len(inside),
        "maker_fills": len(maker),
        "taker_fills": len(taker),
        "maker_notional": maker_notional,
        "taker_notional": taker_notional,
        "realized_pnl": realized,
        "markout_bps": mo,
        "markout_fills": n_mo,
        "actual_fees": actual_fees,
        "premium_fees": premium_fees,
        "premium_extra_cost": extra,
        "realized_pnl_at_premium_fees": realized - extra,
        "premium_maker_bps": f.maker_premium_rate * 1e4,
        "premium_taker_bps": f.taker_premium_rate * 1e4,
    }
    return PremiumVerdict(all(c.ok for c in checks), checks, numbers)


def load_and_evaluate(ledger_path: Path, archive_dir: Path | None, positions_path: Path | None, cfg: BotConfig,
                      crit: PremiumCriteria, now: float | None = None) -> PremiumVerdict:
    if not ledger_path.exists():
        raise DataError(f"--ledger {ledger_path}: file not found (the bot writes it at metrics.ledger_path)")
    ledger = Ledger(ledger_path, archive_dir=archive_dir, max_bytes=None, fsync=False)
    rows = ledger.rows()
    pos_rows: list[dict[str, Any]] = []
    if positions_path is not None and positions_path.exists():
        pos_rows = list(PositionsLog(positions_path, archive_dir).rows())
    return evaluate(rows, pos_rows, cfg, crit, now)
