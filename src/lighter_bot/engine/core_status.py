"""What the engine core reports of itself (`EngineCore.status()`): trading state and reasons, the maker's
and hedger's state, the plan steps' engagements, markouts, race fills and the edge placement; read by
the metrics, the dashboard, the operator's log and the backtest report."""

from __future__ import annotations

from dataclasses import dataclass

from lighter_bot.domain.orders import Side
from lighter_bot.engine.placement import EdgeSideStatus
from lighter_bot.risk.guard import TradingState
from lighter_bot.strategy.race import RaceStatus
from lighter_bot.strategy.signals import MarkoutStats

__all__ = ["CoreStatus"]


@dataclass(frozen=True, slots=True)
class CoreStatus:
    trading_state: TradingState
    reasons: tuple[str, ...]
    last_quote_ts: float | None
    quoted_sides: tuple[Side, ...]  # sides with a live quote order of ours
    spread_bps: float | None  # full width the maker wants (bps)
    volatility_bps: float = 0.0  # EWMA std-dev over maker.volatility.horizon_seconds (bps)
    trend: str = "none"  # none | up | down
    trend_change_bps: float = 0.0  # mid change over the trend lookback (bps)
    trend_threshold_bps: float = 0.0  # trend entry threshold in force, after noise scaling (bps)
    paused: bool = False  # volatility pause in force
    pnl_guard_level: int = 0
    pnl_guard_extra_bps: float = 0.0
    pnl_guard_size_multiplier: float = 1.0
    pnl_guard_last_slice: float | None = None  # realized PnL of the last closed slice (USD)
    pnl_guard_engagements: int = 0  # times the guard went from off to engaged (pnl_program.GuardWatch)
    hit_quality_engagements: int = 0  # times a side was found picked off (hit_quality)
    hedge_alpha_vetoes: int = 0  # crosses abandoned for spread widening or kickback waits (hedge_alpha)
    hedge_kickback_tier_quotes: int = 0  # decisions where the kickback tier held the reducing quote back
    size_multiplier: float = 1.0  # volatility x PnL-guard multiplier on maker.size
    maker_notes: tuple[str, ...] = ()  # why a side is not quoted or is reduce-only
    desired_bid: int | None = None  # ticks
    desired_ask: int | None = None
    blocked_sides: tuple[Side, ...] = ()  # sides the caps blocked (backing off)
    hedger_phase: str = "idle"
    hedger_note: str = ""
    hedges_planned: int = 0
    hedges_abandoned: int = 0
    hedge_filled_lots: int = 0
    tx_used_last_minute: int = 0
    markouts: tuple[MarkoutStats, ...] = ()
    race: RaceStatus | None = None  # normal and race fills apart, quotes pulled (strategy/race.py)
    fair_shift_bps: float = 0.0  # fair value minus mid (bps)
    edge: tuple[EdgeSideStatus, ...] = ()  # per side, when maker.edge places the quotes
