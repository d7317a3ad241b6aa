"""What a trader asks of a backtest before anything else: where the PnL came from, how the closing
trades went, how deep the drawdowns were, and how much the sample can say.

* PnL split. Each fill earns `spread capture` = side x (mid at the fill - fill price) x size against
  the mid at fill time; `fees` are what was paid; `inventory` = total PnL + fees - spread capture is
  what holding the position through mid moves made or lost (it equals the sum of position x mid
  change, marked at the run's last mid). The three add up to the total exactly.
* Closing trades (average cost, as the ledger books them): a fill that reduces the position closes
  part of it; win rate = closes with a gain / closes; profit factor = gross gains / gross losses
  (before fees, which the split shows).
* Caveats: a per-minute Sharpe from N one-minute changes is stated with N; it is annualised only
  when the run covers at least a day. Few fills, one seed and simulated fills are said out loud.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, Protocol

from lighter_bot.domain.position import PositionState, apply_fill

MINUTES_PER_YEAR = 525_600.0
ANNUALISE_AFTER_S = 86_400.0  # below a day of data an annualised Sharpe is a number without meaning
FEW_FILLS = 30


class Fill(Protocol):
    @property
    def t(self) -> float: ...
    @property
    def sign(self) -> int: ...  # +1 we bought, -1 we sold
    @property
    def price(self) -> float: ...  # USD
    @property
    def size(self) -> float: ...  # base units
    @property
    def fee(self) -> float: ...  # USD paid (negative = rebate)


def pnl_split(fills: Sequence[Fill], mids: Sequence[float | None], total_pnl: float) -> dict[str, float]:
    """{spread_capture, inventory, fees, total} in USD; `mids[i]` is the mid when fills[i] happened."""
    capture = sum(f.sign * (m - f.price) * f.size for f, m in zip(fills, mids, strict=True) if m is not None)
    fees = sum(f.fee for f in fills)
    return {"spread_capture": capture, "inventory": total_pnl + fees - capture, "fees": fees, "total": total_pnl}


def closing_trades(fills: Sequence[Fill]) -> dict[str, float | int | None]:
    """Win rate and profit factor of the fills that reduced the position (average cost, before fees)."""
    pos = PositionState()
    gains, losses, wins, closes = 0.0, 0.0, 0, 0
    for f in sorted(fills, key=lambda x: x.t):
        before = pos.realized
        reduces = pos.qty != 0 and (pos.qty > 0) != (f.sign > 0)
        pos = apply_fill(pos, f.sign * f.size, f.price, 0.0)
        if reduces:
            pnl = pos.realized - before
            closes += 1
            if pnl > 0:
                wins += 1
                gains += pnl
            else:
                losses -= pnl
    return {
        "closing_fills": closes,
        "win_rate": wins / closes if closes else None,
        "gross_gain": gains,
        "gross_loss": losses,
        "profit_factor": gains / losses if losses > 0 else (None if gains == 0 else math.inf),
    }


def drawdown(equity: Sequence[float]) -> list[float]:
    """Below the running peak at each sample (USD, >= 0)."""
    out, peak = [], -math.inf
    for e in equity:
        peak = max(peak, e)
        out.append(peak - e)
    return out


def sharpe(t: Sequence[float], equity: Sequence[float], span_s: float) -> dict[str, float | int | None]:
    """Mean / std of one-minute equity changes, with how many there were; annualised only past a day."""
    marks: list[float] = []
    nxt = t[0] if t else 0.0
    for ti, e in zip(t, equity, strict=True):
        if ti >= nxt:
            marks.append(e)
            nxt = ti + 60.0 - 1e-9
    rets = [b - a for a, b in itertools.pairwise(marks)]
    out: dict[str, float | int | None] = {"per_minute": None, "minutes": len(rets), "annualised": None}
    if len(rets) < 2:
        return out
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    if var <= 1e-18:
        return out
    s = mean / math.sqrt(var)
    out["per_minute"] = s
    if span_s >= ANNUALISE_AFTER_S:
        out["annualised"] = s * math.sqrt(MINUTES_PER_YEAR)
    return out


def caveats(m: dict[str, Any], seeds: int = 1, simulated: bool = True) -> list[str]:
    out = []
    minutes = m["sim_seconds"] / 60.0
    sh = m["sharpe"]
    if m["sim_seconds"] < ANNUALISE_AFTER_S:
        out.append(f"Short sample: {minutes:.0f} simulated minutes. The Sharpe ratio is per minute over "
                   f"{sh['minutes']} one-minute changes and is not annualised (that needs at least a day of data).")
    if m["fills"] < FEW_FILLS:
        out.append(f"Only {m['fills']} fills: PnL per fill and the win rate are mostly noise at this size.")
    if seeds == 1:
        out.append("One seed: run `lighter-bot matrix` for the spread over seeds (standard errors).")
    if simulated:
        out.append("Fills are simulated (queue position, latency and fees modelled, docs/simulator.md): live "
                   "results differ; the baseline column ran on the same market events.")
    return out
