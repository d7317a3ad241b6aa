"""What the bot is doing and why, as plain values: the trading state, which sides are quoted, what the
quoted width is made of, and each Positive-PnL plan step's state (PnL guard level, edge first's floor
and size pin, the sides hit quality defends, hedge alpha's vetoes); and `PlanWatch`, which turns a
sequence of those looks into the changes worth telling an operator.

One reading of the engine for every consumer: the operator log (telemetry/oplog.py), the dashboard
(telemetry/dashboard.py) and the backtest report (backtest/recorder.py). Read-only and synchronous:
`plan_view(core)` never changes the core.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lighter_bot.domain.orders import Side
from lighter_bot.engine.core import EngineCore, TradingState
from lighter_bot.strategy.signals import Trend

SIDES = ("bid", "ask")
SPREAD_STEP_BPS = 1.0  # a width change smaller than this (since the last one reported) is not news
# Edge first "holds the floor" once it adds >= FLOOR_ON_BPS and "releases" it below FLOOR_OFF_BPS: a band
# wandering a hair under the floor is not news.
FLOOR_ON_BPS, FLOOR_OFF_BPS = 0.5, 0.1


@dataclass(frozen=True, slots=True)
class PlanView:
    ts: float
    trading_state: str  # ACTIVE / REDUCING / HALTED
    reasons: tuple[str, ...]  # why not ACTIVE
    quoted: tuple[str, ...]  # sides with a live quote order of ours ("bid", "ask")
    spread_bps: float | None  # full width the maker wants (None while HALTED: nothing is quoted)
    spread_parts: tuple[tuple[str, float], ...]  # what that width is made of (bps), in order
    volatility_bps: float
    trend: str  # none / up / down
    guard_level: int  # self-healing PnL guard (plan step 2)
    guard_extra_bps: float
    guard_size_mult: float
    guard_last_slice: float | None  # realized PnL of the last closed slice (USD)
    edge_floor_bps: float  # width edge first adds to hold the floor (plan step 1; 0 = not holding)
    edge_clips_pinned: bool  # clips pinned to maker.size_min until realized PnL proves itself
    defended: tuple[str, ...]  # sides hit quality defends (plan step 3)
    hedge_vetoes: int  # crosses hedge alpha vetoed so far (plan step 4)
    hedge_note: str  # hedge alpha's last veto reason
    hedger_phase: str
    maker_notes: tuple[str, ...]  # the maker's (and hit quality's) notes on missing or reduced sides
    blocked: tuple[str, ...]  # sides the caps block

    def as_dict(self) -> dict[str, Any]:
        return {
            "trading_state": self.trading_state, "reasons": list(self.reasons), "quoted": list(self.quoted),
            "spread_bps": self.spread_bps, "spread_parts": [[k, v] for k, v in self.spread_parts],
            "volatility_bps": self.volatility_bps, "trend": self.trend,
            "pnl_guard": {"level": self.guard_level, "extra_bps": self.guard_extra_bps,
                          "size_multiplier": self.guard_size_mult, "last_slice_usd": self.guard_last_slice},
            "edge_first": {"floor_extra_bps": self.edge_floor_bps, "clips_pinned": self.edge_clips_pinned},
            "hit_quality": {"defended": list(self.defended)},
            "hedge_alpha": {"vetoes": self.hedge_vetoes, "last_veto": self.hedge_note},
            "hedger_phase": self.hedger_phase, "notes": list(self.maker_notes), "blocked": list(self.blocked),
        }


def plan_view(core: EngineCore) -> PlanView:
    st = core.status()
    prog, cfg = core.program, core.config
    now = core.state.now
    halted = st.trading_state is TradingState.HALTED
    trend = core.trend.state if cfg.maker.trend.enabled else Trend.NONE
    mk = cfg.maker
    band = core.maker.width_bps(st.volatility_bps, Trend.NONE, 0.0)
    trend_extra = core.maker.width_bps(st.volatility_bps, trend, 0.0) - band
    parts: list[tuple[str, float]] = [("volatility band" if mk.volatility.enabled else "base spread", band)]
    # as pnl_program.quote_adjustments adds it (nothing while the edge model places the quotes)
    edge_places = mk.edge.enabled and mk.model == "band"
    edge = 0.0 if edge_places else prog.edge_first.extra_bps(band + trend_extra + st.pnl_guard_extra_bps)
    for name, v in (("trend", trend_extra), ("PnL guard", st.pnl_guard_extra_bps), ("edge first floor", edge)):
        if v > 0:
            parts.append((name, v))
    if mk.model != "band" and st.spread_bps is not None:
        parts = [(f"{mk.model} model", st.spread_bps)]  # a reference strategy sets the width itself
    elif edge_places and st.spread_bps is not None:
        parts = [("edge model placement", st.spread_bps)]
    defended = tuple(s.value for s in (Side.BID, Side.ASK) if prog.hit_quality.defended(s, now))
    ef = prog.edge_first
    pinned = ef.cfg.enabled and ef.cfg.min_size_until_proven and not ef.proven
    return PlanView(
        ts=now,
        trading_state=st.trading_state.value,
        reasons=st.reasons,
        quoted=tuple(s.value for s in st.quoted_sides),
        spread_bps=None if halted else st.spread_bps,
        spread_parts=() if halted or st.spread_bps is None else tuple(parts),
        volatility_bps=st.volatility_bps,
        trend=st.trend,
        guard_level=st.pnl_guard_level,
        guard_extra_bps=st.pnl_guard_extra_bps,
        guard_size_mult=st.pnl_guard_size_multiplier,
        guard_last_slice=st.pnl_guard_last_slice,
        edge_floor_bps=edge,
        edge_clips_pinned=pinned,
        defended=defended,
        hedge_vetoes=st.hedge_alpha_vetoes,
        hedge_note=prog.hedge_note,
        hedger_phase=st.hedger_phase,
        maker_notes=st.maker_notes + prog.hit_quality.notes,
        blocked=tuple(s.value for s in st.blocked_sides),
    )


def why_not_quoted(v: PlanView, side: str) -> str:
    """The most specific reason `side` has no quote, from what the view holds."""
    if v.trading_state == TradingState.HALTED.value:
        return "HALTED: " + (", ".join(v.reasons) or "not trading")
    if v.trading_state == TradingState.REDUCING.value:
        return "REDUCING (only the side that reduces the position): " + ", ".join(v.reasons)
    if side in v.blocked:
        return f"caps: a {side} could take the position past a cap (backing off)"
    notes = [n for n in v.maker_notes if side in n or "pause" in n or "dry run" in n]
    if notes:
        return "; ".join(notes)
    if v.hedger_phase != "idle":
        return f"the hedger is working ({v.hedger_phase}): no quote it could trade against"
    return "replacing or repricing the order"


def spread_why(v: PlanView) -> str:
    """`volatility band 7.0 (vol 4.1 bps) + trend 2.5 + PnL guard 4.0 + edge first floor 5.0`."""
    out = []
    for name, bps in v.spread_parts:
        extra = f" (volatility {v.volatility_bps:.1f} bps)" if name == "volatility band" else ""
        out.append(f"{name} {bps:.1f}{extra}")
    return " + ".join(out)


@dataclass(frozen=True, slots=True)
class PlanChange:
    """One change worth a log line: `kind` groups them for rate limits (state, quote, plan, spread)."""

    ts: float
    kind: str
    event: str
    message: str
    warn: bool = False
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlanWatch:
    """Compares each new look with what was last reported. A quote side must hold its new state for
    `settle_s` before it is reported (a cancel-and-replace is not news); everything else is at once."""

    settle_s: float = 1.0
    _last: PlanView | None = None
    _quoted: set[str] = field(default_factory=set)
    _spread: float | None = None
    _pending: dict[str, float] = field(default_factory=dict)  # side -> since when its new state holds
    _floor: bool = False  # edge first's floor engaged (with hysteresis)

    def update(self, v: PlanView) -> list[PlanChange]:
        r = self._last
        if r is None:
            self._last, self._quoted, self._spread = v, set(v.quoted), v.spread_bps
            self._floor = v.edge_floor_bps >= FLOOR_ON_BPS
            return []
        out: list[PlanChange] = []
        if v.trading_state != r.trading_state:
            why = ", ".join(v.reasons) or "all checks pass"
            out.append(PlanChange(v.ts, "state", "trading_state", f"trading {r.trading_state} -> {v.trading_state}: {why}",
                                  v.trading_state != TradingState.ACTIVE.value,
                                  {"from": r.trading_state, "to": v.trading_state, "reasons": list(v.reasons)}))
        floor = v.edge_floor_bps >= FLOOR_ON_BPS if not self._floor else v.edge_floor_bps >= FLOOR_OFF_BPS
        out += _plan_steps(r, v, floor if floor != self._floor else None)
        self._floor = floor
        out += self._sides(v)
        out += self._spread_change(v)
        self._last = v
        return out

    def _sides(self, v: PlanView) -> list[PlanChange]:
        out: list[PlanChange] = []
        for side in SIDES:
            now_q, was_q = side in v.quoted, side in self._quoted
            if now_q == was_q:
                self._pending.pop(side, None)
                continue
            since = self._pending.setdefault(side, v.ts)
            if v.ts - since < self.settle_s:
                continue
            del self._pending[side]
            if now_q:
                self._quoted.add(side)
                msg = f"{side} quote up" + (f" ({v.spread_bps:.1f} bps wide)" if v.spread_bps is not None else "")
                out.append(PlanChange(v.ts, "quote", "quote_side", msg, False, {"side": side, "quoted": True}))
            else:
                self._quoted.discard(side)
                why = why_not_quoted(v, side)
                out.append(PlanChange(v.ts, "quote", "quote_side", f"{side} quote down: {why}", False,
                                      {"side": side, "quoted": False, "why": why}))
        return out

    def _spread_change(self, v: PlanView) -> list[PlanChange]:
        new, old = v.spread_bps, self._spread
        if new is None:
            return []
        if old is not None and abs(new - old) < SPREAD_STEP_BPS:
            return []
        self._spread = new
        if old is None:
            return []
        why = spread_why(v)
        return [PlanChange(v.ts, "spread", "spread_changed", f"spread {old:.1f} -> {new:.1f} bps = {why}", False,
                           {"from_bps": round(old, 2), "to_bps": round(new, 2),
                            "parts": {k: round(x, 2) for k, x in v.spread_parts}})]


def _plan_steps(r: PlanView, v: PlanView, floor_on: bool | None) -> list[PlanChange]:
    """`floor_on`: edge first's floor just engaged (True) or released (False), else None."""
    out: list[PlanChange] = []
    if v.guard_level != r.guard_level:
        event = "pnl_guard_engaged" if r.guard_level == 0 else (
            "pnl_guard_released" if v.guard_level == 0 else "pnl_guard_step")
        last = "n/a" if v.guard_last_slice is None else f"{v.guard_last_slice:+.4f} USD"
        msg = (f"PnL guard level {r.guard_level} -> {v.guard_level}: +{v.guard_extra_bps:g} bps, size "
               f"x{v.guard_size_mult:.2f} (last 5-min slice {last})")
        out.append(PlanChange(v.ts, "plan", event, msg, v.guard_level > r.guard_level,
                              {"level_from": r.guard_level, "level_to": v.guard_level, "extra_bps": v.guard_extra_bps,
                               "size_multiplier": v.guard_size_mult, "last_slice_pnl": v.guard_last_slice}))
    if floor_on is not None:
        msg = (f"edge first: holding the width at its floor (+{v.edge_floor_bps:.1f} bps; recent fills have not "
               "earned a tighter band)" if floor_on else
               "edge first: floor released (tightening earned, or the band is at the floor anyway)")
        out.append(PlanChange(v.ts, "plan", "edge_first_floor", msg, False, {"extra_bps": round(v.edge_floor_bps, 2)}))
    if v.edge_clips_pinned != r.edge_clips_pinned:
        msg = ("edge first: clips pinned to size_min until realized PnL holds >= 0" if v.edge_clips_pinned
               else "edge first: realized PnL held >= 0 long enough, clips may grow")
        out.append(PlanChange(v.ts, "plan", "edge_first_size", msg, False, {"pinned": v.edge_clips_pinned}))
    for side in _added(r.defended, v.defended):
        notes = "; ".join(n for n in v.maker_notes if n.startswith("hit quality")) or "widened"
        out.append(PlanChange(v.ts, "plan", "hit_quality_defends", f"hit quality: {side} picked off, defending it ({notes})",
                              True, {"side": side}))
    for side in _added(v.defended, r.defended):
        out.append(PlanChange(v.ts, "plan", "hit_quality_released", f"hit quality: {side} no longer defended", False,
                              {"side": side}))
    if v.hedge_vetoes > r.hedge_vetoes:
        n = v.hedge_vetoes - r.hedge_vetoes
        msg = f"hedge alpha: hedger's cross vetoed ({v.hedge_note or 'kickback wait'})" + (f" x{n}" if n > 1 else "")
        out.append(PlanChange(v.ts, "plan", "hedge_alpha_veto", msg, False,
                              {"vetoes": v.hedge_vetoes, "reason": v.hedge_note}))
    return out


def _added(old: Iterable[str], new: Iterable[str]) -> list[str]:
    was = set(old)
    return [s for s in new if s not in was]
