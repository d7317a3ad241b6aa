"""The whole bot's configuration: hedger, guard, metrics, telemetry, fees, API, simulator and alerts
beside the maker, and the cross-section checks."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import Field, model_validator

from lighter_bot.config.maker import MakerConfig
from lighter_bot.config.units import NonNegFloat, PosFloat, _le, _Model, number_problems


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
    quote_stale_seconds: PosFloat = Field(
        20.0, description="/health fails if ACTIVE and no quote decision (quoting, or standing aside with a reason) this long (s)")
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
