"""Configuration: pydantic v2 models (frozen, unknown keys rejected) for config.yaml, profiles and
environment secrets. Defaults are the operator's numbers (state packet of 2025-11-10).

Every knob's description states its unit; `lighter-bot config show` prints them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo

from lighter_bot.errors import ConfigError

DEFAULT_CONFIG_PATH = "config.yaml"
# `--config builtin-defaults` (or LIGHTER_CONFIG=builtin-defaults): run on the built-in defaults on
# purpose. Without it a missing config file is an error, never a silent fallback.
BUILTIN_DEFAULTS = "builtin-defaults"
PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]

# Lighter accepts a resting order's expiry from 5 minutes to 30 days ahead (lighter-api.md 1.6).
MIN_ORDER_EXPIRY_S = 300.0
MAX_ORDER_EXPIRY_S = 30 * 86_400.0
# Every number is finite (no .inf/.nan) and at most this large in the unit its description ends
# with, so a typo cannot switch a cap off or overflow a computation. A field may bound itself tighter.
UNIT_LIMITS: dict[str, float] = {
    "bps": 10_000.0,  # 100 %
    "s": 30 * 86_400.0,
    "base units": 1e9,
    "USD": 1e9,
    "x": 1_000.0,
    "ratio": 1.0,
    "fraction": 1.0,
    "count": 1e6,
    "tx": 1e6,
    "requests": 1e6,
    "integer": 1e12,
    "bytes": 1e12,
}
NO_UNIT_LIMIT = 1e18  # seeds, ports: bounded only against absurd values


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False)


def _le(problems: list[str], path: str, lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if lo > hi:
        problems.append(f"{path}.{lo_name} ({lo:g}) must be <= {path}.{hi_name} ({hi:g})")


class VolatilityConfig(_Model):
    enabled: bool = Field(True, description="use the volatility band instead of the fixed spread_bps (on/off)")
    ema_halflife_seconds: PosFloat = Field(45.0, description="half-life of the EWMA variance (s)")
    horizon_seconds: PosFloat = Field(
        60.0, description="volatility is reported as the std-dev of mid returns over this horizon (s)"
    )
    sample_seconds: PosFloat = Field(
        1.0, description="the mid is sampled on this time grid, so the estimate ignores the event rate (s)"
    )
    low_bps: NonNegFloat = Field(6.0, description="volatility at or below which the band is at its calm end (bps)")
    high_bps: NonNegFloat = Field(22.0, description="volatility at or above which the band is at its wide end (bps)")
    min_spread_bps: PosFloat = Field(7.0, description="full quoted width in calm markets (bps)")
    max_spread_bps: PosFloat = Field(13.0, description="full quoted width in volatile markets (bps)")
    max_size_multiplier: PosFloat = Field(1.1, description="size multiplier in calm markets (x)")
    min_size_multiplier: PosFloat = Field(0.7, description="size multiplier in volatile markets (x)")
    pause_threshold_bps: PosFloat = Field(30.0, description="stop quoting when volatility >= this (bps)")
    resume_threshold_bps: PosFloat = Field(18.0, description="resume only when volatility <= this (bps)")
    resume_inventory_ratio: Annotated[float, Field(ge=0, le=1)] = Field(
        0.25, description="...and |inventory| <= this fraction of maker.inventory_soft_cap (ratio)"
    )

    def problems(self, path: str) -> list[str]:
        out: list[str] = []
        _le(out, path, "low_bps", self.low_bps, "high_bps", self.high_bps)
        _le(out, path, "min_spread_bps", self.min_spread_bps, "max_spread_bps", self.max_spread_bps)
        _le(out, path, "min_size_multiplier", self.min_size_multiplier, "max_size_multiplier", self.max_size_multiplier)
        _le(out, path, "resume_threshold_bps", self.resume_threshold_bps, "pause_threshold_bps", self.pause_threshold_bps)
        return out


class TrendConfig(_Model):
    enabled: bool = Field(True, description="trend filter: extra width and side gating while trending (on/off)")
    lookback_seconds: PosFloat = Field(45.0, description="trend = mid change over this window (s)")
    threshold_bps: PosFloat = Field(12.0, description="enter a trend when |change| >= this (bps)")
    resume_threshold_bps: PosFloat = Field(6.0, description="leave the trend when |change| < this (bps)")
    extra_spread_bps: NonNegFloat = Field(2.5, description="added to the full width while trending (bps)")
    gate_sides: bool = Field(True, description="stop quoting the side that trades into the trend, except to reduce inventory (on/off)")
    noise_multiple: NonNegFloat = Field(
        1.5,
        description="a trend must also be this many std-devs of the mid's noise over the lookback; thresholds scale up "
        "in volatile markets, never below threshold_bps; 0 = fixed thresholds (x)",
    )

    def problems(self, path: str) -> list[str]:
        out: list[str] = []
        _le(out, path, "resume_threshold_bps", self.resume_threshold_bps, "threshold_bps", self.threshold_bps)
        return out


class PnlGuardConfig(_Model):
    enabled: bool = Field(True, description="realized-PnL watchdog (on/off)")
    window_seconds: Annotated[float, Field(ge=10)] = Field(
        300.0, description="realized-PnL slice length, at least 10 (s)"
    )
    realized_floor_quote: float = Field(
        0.0, description="a losing slice (realized PnL < 0) at or below this is bad; 0 = every losing slice (USD)"
    )
    trigger_consecutive: Annotated[int, Field(ge=1)] = Field(2, description="bad slices in a row to engage (count)")
    widen_bps: NonNegFloat = Field(4.0, description="extra width per engaged step (bps)")
    max_extra_bps: NonNegFloat = Field(8.0, description="cap on the guard's extra width (bps)")
    size_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(0.85, description="size factor per engaged step (x)")
    min_size_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(0.6, description="floor of the size factor (x)")
    clear_consecutive: Annotated[int, Field(ge=1)] = Field(2, description="good slices in a row to step back (count)")
    clear_above_quote: float = Field(
        0.0, description="a slice counts as good when its realized PnL is >= this; above the floor = hysteresis (USD)"
    )

    def problems(self, path: str) -> list[str]:
        out: list[str] = []
        _le(out, path, "realized_floor_quote", self.realized_floor_quote, "clear_above_quote", self.clear_above_quote)
        _le(out, path, "min_size_multiplier", self.min_size_multiplier, "size_multiplier", self.size_multiplier)
        return out


class EdgeFirstConfig(_Model):
    """Plan step 1 (strategy/edge_first.py): earn the right to tighten and to size up."""

    enabled: bool = Field(True, description="edge-first gating (on/off)")
    floor_spread_bps: PosFloat = Field(
        12.0, description="full width the volatility band may not go below until recent fills are profitable (bps)"
    )
    markout_horizon_seconds: PosFloat = Field(5.0, description="fills are judged by their markout at this horizon (s)")
    min_fills: Annotated[int, Field(ge=1)] = Field(
        4, description="settled markouts needed before the band may tighten (count)"
    )
    window_fills: Annotated[int, Field(ge=1)] = Field(30, description="recent fills the markout average covers (count)")
    tighten_above_bps: float = Field(
        0.0, description="the band may tighten only while the recent mean markout is >= this (bps)"
    )
    min_size_until_proven: bool = Field(True, description="quote maker.size_min until realized PnL has held >= 0 (on/off)")
    proof_seconds: PosFloat = Field(1800.0, description="how long realized PnL must hold >= 0 before sizes may grow (s)")


class HitQualityConfig(_Model):
    """Plan step 3 (strategy/hit_quality.py): per-side pick-off detection, real-time widening, safe-side quoting."""

    enabled: bool = Field(True, description="hit-quality defence (on/off)")
    immediate_seconds: PosFloat = Field(
        1.0, description="a quote filled this soon after it was sent or moved counts as hit immediately (s)"
    )
    window_fills: Annotated[int, Field(ge=1)] = Field(12, description="recent fills per side the statistics cover (count)")
    min_fills: Annotated[int, Field(ge=1)] = Field(8, description="fills on a side before it can be judged (count)")
    markout_horizon_seconds: PosFloat = Field(5.0, description="markout horizon that judges a side (s)")
    toxic_markout_bps: float = Field(
        -5.0, description="a side whose recent mean markout is <= this is being picked off (bps)"
    )
    toxic_sigma_multiple: NonNegFloat = Field(
        2.0,
        description="...and only when that mean is also this many standard errors below zero (sigma of the mid "
        "over the horizon / sqrt(fills)): ordinary volatility is not a pick-off; 0 = fixed threshold (x)",
    )
    immediate_share: Annotated[float, Field(gt=0, le=1)] = Field(
        0.8, description="...or whose share of immediate hits is >= this, when those hits lose by the same test (ratio)"
    )
    widen_bps: NonNegFloat = Field(4.0, description="extra distance from the mid of a picked-off side (bps)")
    hold_seconds: PosFloat = Field(
        60.0, description="a picked-off side stays defended this long after the last bad evidence (s)"
    )
    drop_toxic_side: bool = Field(
        True, description="quote only the safe side while the other is picked off, unless it reduces inventory (on/off)"
    )
    no_lone_top: bool = Field(
        True, description="never improve the touch on a defended side, join the best price instead (on/off)"
    )


class FairValueConfig(_Model):
    """strategy/fair_value.py: the mid plus a fitted prediction of its next move (`lighter-bot fit`)."""

    coefficients: dict[Literal["imbalance", "depth_imbalance", "flow", "trade_gap"], float] = Field(
        default_factory=dict,
        description="predicted mid move per unit of each feature, from `lighter-bot fit` (empty or all 0 = quote around the mid) (bps)",
    )
    depth_levels: Annotated[int, Field(ge=1, le=50)] = Field(5, description="book levels the depth imbalance reads (count)")
    flow_halflife_seconds: PosFloat = Field(2.0, description="half-life of the trade-flow and trade-gap features (s)")
    max_shift_bps: NonNegFloat = Field(5.0, description="the fair value never moves further than this from the mid (bps)")


class EdgeConfig(_Model):
    """strategy/edge_model.py: place each side where the market's own trades say a fill earns most."""

    enabled: bool = Field(False, description="quote each side at the distance of best expected edge x fill rate (on/off)")
    horizon_seconds: PosFloat = Field(30.0, description="a shadow fill is judged by its markout this long after (s)")
    halflife_seconds: PosFloat = Field(1800.0, description="half-life of the edge statistics (s)")
    min_events: Annotated[int, Field(ge=1)] = Field(
        10, description="shadow fills needed at a distance before it may be quoted (count)"
    )
    z: NonNegFloat = Field(
        1.0, description="a distance is quoted only if its expected edge stays > 0 by this many standard errors (x)"
    )
    max_distance_bps: PosFloat = Field(
        6.5, description="farthest a quote may rest from the fair value; the band's half width is the nearest (bps)"
    )
    live_gap_alert_bps: NonNegFloat = Field(
        2.0, description="alert when our fills' markout falls this far below the model's expectation (bps)"
    )
    live_min_fills: Annotated[int, Field(ge=1)] = Field(
        10, description="...over at least this many of our own fills on that side (count)"
    )


class ReferenceConfig(_Model):
    """strategy/reference_quotes.py: the GLFT / Avellaneda–Stoikov anchors (maker.model), calibrated online."""

    gamma: PosFloat = Field(0.05, description="risk aversion of the reference models (1/bps) (x)")
    horizon_seconds: PosFloat = Field(60.0, description="Avellaneda–Stoikov's rolling horizon tau (s)")
    intensity_halflife_seconds: PosFloat = Field(
        600.0, description="half-life of the trade counts the fill intensity A exp(-kappa d) is fitted to (s)")
    refit_seconds: PosFloat = Field(5.0, description="how often A and kappa are refitted (s)")
    min_trades: Annotated[int, Field(ge=3)] = Field(30, description="trades seen before the models quote (count)")


class RaceConfig(_Model):
    """strategy/race.py: quotes the fair value has passed (race fills are counted apart either way)."""

    pull_crossed: bool = Field(
        True, description="move a working quote the fair value has crossed at once, at cancel priority (on/off)"
    )


class QueueConfig(_Model):
    """strategy/queue_position.py: the place of each resting quote in its level's queue, from the L2 feed."""

    enabled: bool = Field(
        False, description="keep a quote with a good queue place for a small price change; size-only modifies (on/off)"
    )
    keep_bps: NonNegFloat = Field(
        3.0, description="a quote with a good queue place is kept while within this of the desired price (bps)"
    )
    keep_ahead_fraction: Annotated[float, Field(ge=0, le=1)] = Field(
        0.3, description="a good queue place: at most this share of its level ahead of it, and fewer lots than "
        "the new price would put ahead of it (ratio)"
    )


class MakerConfig(_Model):
    pair: str = Field("market:2", pattern=r"^market:\d+$", description="market to quote, as market:<index> (text)")
    dry_run: bool = Field(False, description="compute quotes (status, logs), place nothing (on/off)")
    size: PosFloat = Field(0.064, description="nominal clip (base units)")
    size_min: PosFloat = Field(0.061, description="smallest clip (base units)")
    size_max: PosFloat = Field(0.072, description="largest clip (base units)")
    exchange_min_size: PosFloat = Field(0.061, description="exchange minimum order size (base units)")
    exchange_min_notional: PosFloat = Field(10.5, description="notional floor: size x price >= this (USD)")
    inventory_soft_cap: PosFloat = Field(0.10, description="inventory scale for skew and resume rules (base units)")
    spread_bps: PosFloat = Field(12.0, description="full quoted width when the volatility band is off (bps)")
    price_scale: Annotated[int, Field(gt=0)] = Field(1000, description="10**price_decimals of the market (integer)")
    size_scale: Annotated[int, Field(gt=0)] = Field(1000, description="10**size_decimals of the market (integer)")
    inventory_skew_bps: NonNegFloat = Field(
        3.0, description="reservation-price shift at |inventory| = soft cap, against the inventory (bps)"
    )
    requote_tolerance_bps: NonNegFloat = Field(
        1.5, description="leave a working quote alone while within this of the desired price (bps)"
    )
    requote_size_tolerance: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.15, description="...and while its size is within this fraction of the desired size (ratio)"
    )
    requote_burst_tx: Annotated[int, Field(ge=1)] = Field(
        6, description="requotes may burst this many requests, then are paced evenly over the minute (requests)"
    )
    quote_expiry_seconds: Annotated[float, Field(ge=MIN_ORDER_EXPIRY_S, le=MAX_ORDER_EXPIRY_S)] = Field(
        3600.0, description="lifetime of each quote, a backstop; Lighter accepts 300 (5 min) to 2592000 (30 days) (s)"
    )
    markout_horizons_seconds: tuple[PosFloat, ...] = Field(
        (1.0, 5.0, 30.0, 60.0), description="horizons at which fills are marked out against the mid (s)"
    )
    volatility: VolatilityConfig = VolatilityConfig()
    trend: TrendConfig = TrendConfig()
    pnl_guard: PnlGuardConfig = PnlGuardConfig()
    edge_first: EdgeFirstConfig = EdgeFirstConfig()
    hit_quality: HitQualityConfig = HitQualityConfig()
    fair_value: FairValueConfig = FairValueConfig()
    edge: EdgeConfig = EdgeConfig()
    race: RaceConfig = RaceConfig()
    queue: QueueConfig = QueueConfig()
    model: Literal["band", "glft", "avellaneda"] = Field(
        "band", description="who places the quotes: the operator's band (+ edge model), or a reference model (text)")
    reference: ReferenceConfig = ReferenceConfig()

    @property
    def market_id(self) -> int:
        return int(self.pair.split(":", 1)[1])

    def problems(self) -> list[str]:
        out: list[str] = []
        _le(out, "maker", "size_min", self.size_min, "size_max", self.size_max)
        if not self.size_min <= self.size <= self.size_max:
            out.append(
                f"maker.size ({self.size:g}) must be between maker.size_min ({self.size_min:g}) "
                f"and maker.size_max ({self.size_max:g})"
            )
        for name in ("price_scale", "size_scale"):
            scale = getattr(self, name)
            if scale > 10**12 or 10 ** (len(str(scale)) - 1) != scale:
                out.append(f"maker.{name} ({scale}) must be a power of ten (1, 10, ..., 1000000000000)")
        out += self.volatility.problems("maker.volatility")
        out += self.trend.problems("maker.trend")
        out += self.pnl_guard.problems("maker.pnl_guard")
        return out


class HedgeAlphaConfig(_Model):
    """Plan step 4 (strategy/hedge_alpha.py): do not pay for a cross the market no longer justifies."""

    enabled: bool = Field(True, description="hedger-as-alpha rules (on/off)")
    max_spread_widening_bps: NonNegFloat = Field(
        3.0, description="abandon the cross when the book spread widened by more than this since the plan (bps)"
    )
    kickback_move_bps: PosFloat = Field(
        10.0, description="after a move against the position of at least this within the lookback, wait (bps)"
    )
    kickback_lookback_seconds: PosFloat = Field(20.0, description="window of that move (s)")
    kickback_wait_seconds: NonNegFloat = Field(
        8.0, description="how long the reducing quote rests for the kickback instead of crossing; at most one wait per lookback (s)"
    )
    kickback_max_wait_seconds: NonNegFloat = Field(
        45.0,
        description="a wait lasts kickback_wait_seconds past the sweep's last new extreme, never longer than this "
        "from its start (s)",
    )
    kickback_retrace_ratio: Annotated[float, Field(ge=0, le=1)] = Field(
        0.5,
        description="during a kickback wait the reducing quote rests no closer than this share of the sweep back "
        "from its extreme (the second resting tier); 0 = where the maker puts it (ratio)",
    )
    kickback_tier_sigma_multiple: NonNegFloat = Field(
        5.0,
        description="the tier rests only after a sweep of at least this many std-devs of the mid's noise over the "
        "lookback (a crash, not a volatile market's ordinary swing); 0 = after every sweep (x)",
    )
    kickback_noise_halflife_seconds: PosFloat = Field(
        300.0, description="half-life of that noise estimate: long, so a sweep barely moves its own yardstick (s)"
    )
    kickback_max_inventory_ratio: Annotated[float, Field(gt=0, le=1)] = Field(
        0.7, description="never wait when |position| >= this fraction of guard.max_position_units (ratio)"
    )
    exit_min_move_bps: NonNegFloat = Field(
        2.0, description="the exit tier acts only while the mid moved at least this against us within the lookback (bps)"
    )
    trend_exit_tier: bool = Field(
        True, description="while the trend runs against the position, the reducing quote rests at the touch (on/off)"
    )
    patient_passive_seconds: NonNegFloat = Field(
        3.0,
        description="with no trend against the position and |position| below kickback_max_inventory_ratio of the cap, "
        "the passive hedge rests this long before crossing (hedger.passive_wait_seconds otherwise; 0 = off) (s)",
    )


class HedgerConfig(_Model):
    enabled: bool = Field(True, description="hedger (on/off)")
    dry_run: bool = Field(False, description="plan hedges and report them, send nothing (on/off)")
    trigger_units: PosFloat = Field(0.07, description="hedge when |inventory| > this (base units)")
    target_units: NonNegFloat = Field(0.03, description="hedge back toward this |inventory| (base units)")
    max_clip_units: PosFloat = Field(0.08, description="largest hedge order (base units)")
    max_slippage_bps: Annotated[float, Field(ge=0, le=500)] = Field(
        7.0, description="crossing limit price at most this far from the mid, at most 500 (bps)"
    )
    prefer_passive: bool = Field(True, description="try a passive reduce-only post-only order before crossing (on/off)")
    passive_wait_seconds: NonNegFloat = Field(0.4, description="how long the passive hedge rests before crossing (s)")
    passive_offset_bps: NonNegFloat = Field(2.0, description="passive hedge distance from the mid (bps)")
    cooldown_seconds: NonNegFloat = Field(1.0, description="minimum gap between hedge attempts (s)")
    tx_reserve: Annotated[int, Field(ge=0)] = Field(
        6, description="requests per minute that requotes leave free for hedges (requests)"
    )
    alpha: HedgeAlphaConfig = HedgeAlphaConfig()

    def problems(self) -> list[str]:
        out: list[str] = []
        _le(out, "hedger", "target_units", self.target_units, "trigger_units", self.trigger_units)
        return out


class GuardConfig(_Model):
    max_position_units: PosFloat = Field(
        0.3, description="hard cap on |position| counting every working and in-flight order filled (base units)"
    )
    max_inventory_notional: PosFloat = Field(
        50.0, description="hard cap on |position| x mid counting every working and in-flight order filled (USD)"
    )
    backoff_seconds_on_block: NonNegFloat = Field(
        5.0, description="after the caps block a quote, leave that side unquoted this long (s)"
    )
    max_book_age_seconds: PosFloat = Field(5.0, description="halt (cancel all) when the book is older than this (s)")
    reject_storm_count: Annotated[int, Field(ge=1)] = Field(8, description="rejects within the window that halt (count)")
    reject_storm_window_seconds: PosFloat = Field(30.0, description="window for the reject storm (s)")
    stuck_order_seconds: PosFloat = Field(
        5.0, description="an order whose ack or cancel answer has not come back after this long is acted on again (s)"
    )
    tx_reserve_for_cancels: Annotated[int, Field(ge=0)] = Field(
        6, description="requests per minute that hedges and requotes leave free for cancels (requests)"
    )
    max_unrecorded_fills: Annotated[int, Field(ge=1, le=1000)] = Field(
        20, description="halt (cancel all) when this many fills wait for a ledger that refuses writes; while it "
        "refuses, only risk-reducing orders are sent (count)"
    )


class MetricsConfig(_Model):
    enabled: bool = Field(True, description="write the fills ledger")
    ledger_path: str = Field("data/metrics/fills.jsonl", description="fills ledger (JSONL)")
    archive_dir: str = Field("data/metrics/archive", description="where rotated ledgers go")
    positions_path: str = Field("data/metrics/positions.jsonl", description="position snapshots (JSONL)")
    max_bytes: Annotated[int, Field(gt=0)] = Field(5 * 1024 * 1024, description="rotate the ledger at this size (bytes)")
    rolling_window_seconds: PosFloat = Field(21600.0, description="rolling metrics window, 6 h (s)")
    short_window_seconds: PosFloat = Field(300.0, description="short metrics window, 5 min (s)")


class TelemetryConfig(_Model):
    enabled: bool = Field(True, description="serve /health, /metrics, /dashboard")
    host: str = Field("127.0.0.1", description="bind address (0.0.0.0 in a container)")
    port: Annotated[int, Field(ge=0, le=65535)] = Field(8000, description="HTTP port, 0 = any free port (integer)")
    quote_stale_seconds: PosFloat = Field(20.0, description="/health fails if ACTIVE and no quote for this long (s)")
    status_log_seconds: PosFloat = Field(60.0, description="a `status` log line every this many seconds (s)")


# A fee rate: a rebate down to -10 bps, a fee up to 100 bps (Lighter's are 0 to 2.8 bps).
FeeRate = Annotated[float, Field(ge=-0.001, le=0.01)]


class FeesConfig(_Model):
    maker_actual_rate: FeeRate = Field(0.0, description="maker fee rate on our tier (fraction)")
    taker_actual_rate: FeeRate = Field(0.0, description="taker fee rate on our tier (fraction)")
    maker_premium_rate: FeeRate = Field(0.00004, description="Premium maker fee, 0.4 bps (fraction)")
    taker_premium_rate: FeeRate = Field(0.00028, description="Premium taker fee, 2.8 bps (fraction)")


class ApiConfig(_Model):
    base_url: str = Field("https://mainnet.zklighter.elliot.ai", description="Lighter REST base URL")
    ws_url: str | None = Field(None, description="WebSocket URL; derived from base_url when empty")
    tier: Literal["standard", "premium"] = Field("standard", description="account tier (delays, fees, request budget)")
    tx_per_minute: Annotated[int, Field(gt=0)] | None = Field(
        None,
        description="sendTx/sendTxBatch requests per rolling minute; empty = by tier (standard 60, shared with "
        "every REST call; premium 4000, more with staked LIT) (requests)",
    )


class SimConfig(_Model):
    scenario: str = Field("sol_day", description="synthetic market scenario for --venue sim")
    seed: int = Field(7, description="random seed of the simulated market (integer)")
    start_price: PosFloat = Field(170.0, description="initial SOL-like price (USD)")


class AlertsConfig(_Model):
    enabled: bool = Field(True, description="send alerts")
    discord_webhook_url: str | None = Field(
        None, description="Discord-compatible webhook URL; it holds a token: prefer env DISCORD_WEBHOOK (secret)",
        json_schema_extra={"secret": True},
    )
    min_interval_seconds: NonNegFloat = Field(60.0, description="same alert at most once per this (s)")


class BotConfig(_Model):
    maker: MakerConfig = MakerConfig()
    hedger: HedgerConfig = HedgerConfig()
    guard: GuardConfig = GuardConfig()
    metrics: MetricsConfig = MetricsConfig()
    telemetry: TelemetryConfig = TelemetryConfig()
    fees: FeesConfig = FeesConfig()
    api: ApiConfig = ApiConfig()
    sim: SimConfig = SimConfig()
    alerts: AlertsConfig = AlertsConfig()

    @model_validator(mode="after")
    def _cross_checks(self) -> BotConfig:
        problems = number_problems(self) + self.maker.problems() + self.hedger.problems()
        if self.guard.max_position_units < self.maker.size_max:
            problems.append(
                f"guard.max_position_units ({self.guard.max_position_units:g}) must be >= "
                f"maker.size_max ({self.maker.size_max:g}) or no quote could ever be placed"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def config_hash(self) -> str:
        """Stable short hash of the resolved config (no secrets live here)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def unit_of(description: str) -> str | None:
    """The unit a knob's description ends with, e.g. "(bps)" -> "bps"."""
    m = re.search(r"\(([^()]*)\)\s*$", description)
    return m.group(1) if m else None


def is_secret(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("secret") is True


def number_problems(model: BaseModel, prefix: str = "") -> list[str]:
    """Every number finite and within its unit's UNIT_LIMITS (a typo like 1e30 is not a cap)."""
    out: list[str] = []
    for name, field in type(model).model_fields.items():
        value, path = getattr(model, name), f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += number_problems(value, path + ".")
            continue
        unit = unit_of(field.description or "")
        limit = UNIT_LIMITS.get(unit or "", NO_UNIT_LIMIT)
        for x in value if isinstance(value, tuple) else (value,):
            if isinstance(x, bool) or not isinstance(x, int | float):
                continue
            if not math.isfinite(x):
                out.append(f"{path} ({x}): must be a finite number")
            elif abs(x) > limit:
                out.append(f"{path} ({x:g}): must be at most {limit:.12g}{f' {unit}' if unit else ''} in size")
    return out


class Secrets(_Model):
    """Credentials, only from the environment or files it names. Never logged (SecretStr)."""

    api_private_key: SecretStr | None = None
    account_index: int | None = None
    api_key_index: int | None = None
    ws_auth_token: SecretStr | None = None
    api_bearer: SecretStr | None = None

    def redacted(self) -> dict[str, Any]:
        def mark(v: object) -> object:
            return None if v is None else ("***" if isinstance(v, SecretStr) else v)

        return {k: mark(getattr(self, k)) for k in type(self).model_fields}


# -- loading --------------------------------------------------------------------------------------

def _format_errors(exc: ValidationError, data: Any) -> list[str]:
    problems: list[str] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        typ = err["type"]
        if typ == "extra_forbidden":
            problems.append(f"{loc}: unknown key (remove it or check its spelling)")
        elif typ == "value_error" and not loc:
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            problems.extend(p.strip() for p in msg.split("; "))
        else:
            shown = "***" if loc in secret_paths() else err.get("input")
            hint = HINTS.get(loc, "")
            problems.append(f"{loc or '(top level)'} ({shown!r}): {err['msg']}{hint}")
    return problems


# Extra words for errors whose rule comes from the exchange, not from us.
HINTS = {
    "maker.quote_expiry_seconds": " (Lighter accepts a resting order's expiry from 300 s = 5 minutes "
                                  "to 2592000 s = 30 days ahead)",
}


def secret_paths(model: type[BaseModel] = BotConfig, prefix: str = "") -> set[str]:
    """Key paths of config values that are secrets (redacted in `config show` and in errors)."""
    out: set[str] = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= secret_paths(ann, f"{prefix}{name}.")
        elif is_secret(field):
            out.add(f"{prefix}{name}")
    return out


def parse_config(data: Any, source: str = "") -> BotConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"the file must hold a mapping of sections, got {type(data).__name__}"], source)
    try:
        return BotConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, data), source) from None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (plain YAML silently keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # unhashable: the constructor below reports it
            if key in seen:
                first = seen[key].start_mark
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {key!r} (first at line {first.line + 1}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep)


def _decode(raw: bytes, path: Path) -> str:
    """The file's text; binary, UTF-16 or other non-UTF-8 files get one clear error."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and raw[1:2] == b"\x00" and raw[:1] != b"\x00"):
        raise ConfigError([f"{path} is UTF-16 text: save it as UTF-8"], str(path))
    if b"\x00" in raw:
        raise ConfigError([f"{path} is a binary file, not YAML text"], str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}): "
                           "save it as UTF-8"], str(path)) from None


def read_yaml(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"file not found: {path} (pass --config PATH or set LIGHTER_CONFIG)"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path} is a directory, not a YAML file"]) from None
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror}"]) from None
    try:
        return yaml.load(_decode(raw, path), Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"], str(path)) from None


PROFILE_SECTIONS = ("maker", "hedger", "guard")


def merge_profile(data: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """Overlay a market profile (`market`, `maker`, `hedger`, `guard`, `metadata`) onto config data.

    Null profile values mean "leave as is"; a nested mapping (e.g. maker.volatility) is merged key by key.
    """

    def overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for k, v in top.items():
            if v is None:
                continue
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = overlay(out[k], v)
            else:
                out[k] = v
        return out

    merged = dict(data)
    for section in PROFILE_SECTIONS:
        if isinstance(profile.get(section), dict):
            merged[section] = overlay(dict(merged.get(section) or {}), profile[section])
    market = profile.get("market")
    if market is not None:
        pair = market if isinstance(market, str) and market.startswith("market:") else f"market:{market}"
        merged["maker"] = {**(merged.get("maker") or {}), "pair": pair}
    meta = profile.get("metadata")
    if isinstance(meta, dict) and meta.get("exchange_min_notional") is not None:
        merged["maker"] = {**merged["maker"], "exchange_min_notional": meta["exchange_min_notional"]}
    return merged


# Deployment-only overrides (runtime toggles, not trading parameters): the container binds the
# telemetry server to 0.0.0.0 without editing config.yaml (Dockerfile sets TELEMETRY_HOST).
ENV_OVERRIDES = {"TELEMETRY_HOST": ("telemetry", "host"), "TELEMETRY_PORT": ("telemetry", "port")}


def apply_env_overrides(data: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    src = dict(os.environ) if env is None else env
    out = dict(data)
    for name, (section, key) in ENV_OVERRIDES.items():
        value = (src.get(name) or "").strip()
        if not value:
            continue
        if key == "port" and not value.isdigit():
            raise ConfigError([f"environment {name} ({value!r}) must be a port number"], "environment")
        out[section] = {**(out.get(section) or {}), key: int(value) if key == "port" else value}
    return out


def config_path(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("LIGHTER_CONFIG") or DEFAULT_CONFIG_PATH)


def uses_builtin_defaults(explicit: str | None = None) -> bool:
    return str(config_path(explicit)).strip() == BUILTIN_DEFAULTS


def load_config_data(path: str | Path | None = None) -> tuple[dict[str, Any], str]:
    """The config file's mapping and its name. A missing file is an error whether it was named by
    --config, by LIGHTER_CONFIG or is the default config.yaml; `builtin-defaults` asks for none."""
    explicit = str(path) if path else None
    if uses_builtin_defaults(explicit):
        return {}, "built-in defaults"
    p = config_path(explicit)
    if not p.exists():
        if explicit:
            why = f"file not found: {p} (named by --config)"
        elif os.environ.get("LIGHTER_CONFIG"):
            why = f"file not found: {p} (named by LIGHTER_CONFIG)"
        else:
            why = f"no {DEFAULT_CONFIG_PATH} in {Path.cwd()}"
        raise ConfigError([f"{why}: pass --config PATH or set LIGHTER_CONFIG to your config file, or "
                           f"--config {BUILTIN_DEFAULTS} to run on the built-in defaults on purpose"])
    data = read_yaml(p)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"the file must hold a mapping of sections, got {type(data).__name__}"], str(p))
    return data, str(p)


def load_config(path: str | Path | None = None, profile: str | Path | None = None) -> BotConfig:
    """Load config.yaml (or LIGHTER_CONFIG), optionally overlaid with a profile; raise ConfigError."""
    data, source = load_config_data(path)
    if profile is not None:
        prof = read_yaml(Path(profile))
        if not isinstance(prof, dict):
            raise ConfigError([f"profile {profile} must hold a mapping"], str(profile))
        data = merge_profile(data, prof)
    return parse_config(apply_env_overrides(data), source)


def _env(*names: str) -> str | None:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v.strip()
    return None


def read_token_file(path: Path) -> str:
    """The auth token in a file: `LIGHTER_API_BEARER=...` (or `WS_AUTH_TOKEN=...`, as .env.ws_token
    holds it), or the token alone on the first line. ConfigError names the file, never the token."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([f"--token-file {path}: cannot read ({exc.strerror or exc})"]) from None
    pairs = _read_token_file(path)
    token = pairs.get("LIGHTER_API_BEARER") or pairs.get("WS_AUTH_TOKEN")
    if token is None and not pairs:
        token = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), None)
    if not token:
        raise ConfigError([f"--token-file {path}: no token in it (expected LIGHTER_API_BEARER=... or the token alone)"])
    return token


def _read_token_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip().strip('"').strip("'")
    return out


MAX_API_KEY_INDEX = 254  # Lighter's API key indexes (255 is the SDK's "last registered key")
_API_KEY_RE = re.compile(r"(0x)?[0-9a-fA-F]{80}")  # a 40-byte private key (lighter-api.md 1.1)


def load_secrets(env: dict[str, str] | None = None) -> Secrets:
    """Secrets from the environment (new names first, the old bot's names accepted), then `.env.ws_token`."""
    src = dict(os.environ) if env is None else env

    def get(*names: str) -> str | None:
        for n in names:
            v = src.get(n)
            if v:
                return v.strip()
        return None

    token_file = _read_token_file(Path(get("WS_TOKEN_FILE") or ".env.ws_token"))
    problems: list[str] = []

    def as_int(name_val: tuple[str, str | None]) -> int | None:
        name, val = name_val
        if val is None:
            return None
        try:
            return int(val)
        except ValueError:
            problems.append(f"environment {name} ({val!r}) must be an integer")
            return None

    acct = as_int(("LIGHTER_ACCOUNT_INDEX", get("LIGHTER_ACCOUNT_INDEX", "ACCOUNT_INDEX")))
    key_idx = as_int(("LIGHTER_API_KEY_INDEX", get("LIGHTER_API_KEY_INDEX", "API_KEY_INDEX")))
    if acct is not None and acct < 0:
        problems.append(f"environment LIGHTER_ACCOUNT_INDEX ({acct}) must be >= 0: your Lighter account index")
    if key_idx is not None and not 0 <= key_idx <= MAX_API_KEY_INDEX:
        problems.append(f"environment LIGHTER_API_KEY_INDEX ({key_idx}) must be 0..{MAX_API_KEY_INDEX}")
    pk = get("LIGHTER_API_PRIVATE_KEY", "API_KEY_PRIVATE_KEY")
    if pk is not None and not _API_KEY_RE.fullmatch(pk):
        # The value is never shown: only its shape.
        problems.append(f"LIGHTER_API_PRIVATE_KEY is not an API private key ({len(pk)} characters; expected 80 hex "
                        "characters, optional 0x)")
    if problems:
        raise ConfigError(problems, "environment")
    ws = get("WS_AUTH_TOKEN") or token_file.get("WS_AUTH_TOKEN")
    bearer = get("LIGHTER_API_BEARER") or token_file.get("LIGHTER_API_BEARER")
    return Secrets(
        api_private_key=SecretStr(pk) if pk else None,
        account_index=acct,
        api_key_index=key_idx,
        ws_auth_token=SecretStr(ws) if ws else None,
        api_bearer=SecretStr(bearer) if bearer else None,
    )


def describe_fields(model: type[BaseModel] = BotConfig, prefix: str = "") -> list[tuple[str, str]]:
    """(key path, description with unit) for every knob, for `config show`."""
    out: list[tuple[str, str]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += describe_fields(ann, path + ".")
        else:
            out.append((path, field.description or ""))
    return out
