"""The maker's configuration: quoting band, volatility, trend, PnL guard, fill-quality defences, fair
value, edge model, reference strategies, race and queue knobs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from lighter_bot.config.units import MAX_ORDER_EXPIRY_S, MIN_ORDER_EXPIRY_S, NonNegFloat, PosFloat, _le, _Model


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
