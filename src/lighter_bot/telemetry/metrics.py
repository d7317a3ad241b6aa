"""Every Prometheus metric the bot exports, defined in one place on a private registry.

Families (docs/monitoring/README.md lists each with its meaning):
`portfolio_*` (ledger PnL, all time), `metrics_total_*` / `metrics_rolling_6h_*` / `metrics_window_5m_*`
(ledger snapshots over all time, the rolling and the short window), `session_*` (since start),
`maker_*`, `hedger_*`, `guard_*`, `venue_*` (health, tx budget, ack latency, rejects), `markout_*`,
`ledger_*`, `health_*`, `log_lines_suppressed` (telemetry/oplog.py).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Keys of records.accounting.Accountant.snapshot exported per window (inventory gets a market label).
WINDOW_KEYS: dict[str, str] = {
    "realized_quote": "Realized PnL by average cost, fees included (USD)",
    "unrealized_quote": "Unrealized PnL of the open position at the mid (USD)",
    "total_quote": "Realized in the window + unrealized now (USD)",
    "fees_paid": "Fees paid, negative = rebates (USD)",
    "maker_volume": "Maker notional (USD)",
    "taker_volume": "Taker notional (USD)",
    "hedger_volume": "Hedge notional (USD)",
    "volume_base": "Traded size (base units)",
    "fills": "Fills",
    "maker_fills": "Maker fills",
    "taker_fills": "Taker fills",
    "hedger_fills": "Hedge fills",
    "start_ts": "Window start (unix s)",
    "end_ts": "Window end (unix s)",
}

MARKOUT_HORIZONS: tuple[float, ...] = (5.0, 30.0, 60.0)
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0)
_MARKOUT_BUCKETS = (-50.0, -20.0, -10.0, -5.0, -2.0, -1.0, 0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)

# Optional CoreStatus fields (strategy branch) exported as maker_* gauges when present:
# gauge name -> (help, attribute names tried in order).
STATUS_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "maker_volatility_bps": ("Volatility estimate (bps over the horizon)", ("volatility_bps", "vol_bps")),
    "maker_volatility_paused": ("1 while quoting is paused for volatility", ("paused", "volatility_paused")),
    "maker_trend_bps": ("Mid change over the trend lookback (bps)", ("trend_change_bps", "trend_bps")),
    "maker_trend_threshold_bps": ("Trend entry threshold in force, after noise scaling (bps)", ("trend_threshold_bps",)),
    "maker_pnl_guard_level": ("PnL guard steps engaged (0 = off)", ("pnl_guard_level",)),
    "maker_pnl_guard_extra_bps": ("Width added by the PnL guard (bps)", ("pnl_guard_extra_bps",)),
    "maker_pnl_guard_size_multiplier": ("Size factor of the PnL guard (x)", ("pnl_guard_size_multiplier",)),
    "maker_pnl_guard_last_slice_quote": ("Realized PnL of the last closed guard slice (USD)", ("pnl_guard_last_slice",)),
    "maker_size_multiplier": ("Clip size multiplier in force (x)", ("size_multiplier",)),
    "maker_pnl_guard_engagements": ("Times the PnL guard engaged since start", ("pnl_guard_engagements",)),
    "maker_hit_quality_engagements": ("Times a quoted side was found picked off since start", ("hit_quality_engagements",)),
    "hedger_alpha_vetoes": ("Hedge crosses vetoed by hedge alpha (spread, kickback) since start", ("hedge_alpha_vetoes",)),
    "hedger_alpha_kickback_tier": ("Decisions where the kickback tier held the reducing quote back, since start",
                                   ("hedge_kickback_tier_quotes",)),
    "hedger_hedges_planned": ("Hedges planned since start", ("hedges_planned",)),
    "hedger_hedges_abandoned": ("Hedges abandoned since start (slippage cap, ...)", ("hedges_abandoned",)),
    "venue_tx_used_last_minute": ("Requests the engine sent in the last minute (a decision's batch once)",
                                  ("tx_used_last_minute",)),
    "maker_fair_value_shift_bps": ("Fair value minus mid: the fitted prediction of the mid's next move (bps)",
                                   ("fair_shift_bps",)),
}
TREND_CODE = {"up": 1.0, "down": -1.0, "none": 0.0}


class BotMetrics:
    def __init__(self, rolling_label: str = "6h", short_label: str = "5m") -> None:
        r = self.registry = CollectorRegistry()

        def g(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, doc, labels, registry=r)

        # -- portfolio (ledger, all time; inventory is the engine's venue-reconciled position) -----
        self.portfolio_realized = g("portfolio_realized_quote", "Realized PnL, average cost, fees included (USD)")
        self.portfolio_unrealized = g("portfolio_unrealized_quote", "Unrealized PnL at the mid (USD)")
        self.portfolio_total = g("portfolio_total_quote", "Realized + unrealized PnL (USD)")
        self.portfolio_fees = g("portfolio_fees_paid", "Fees paid (USD)")
        self.portfolio_inventory = g("portfolio_inventory_units", "Signed position (base units)")
        self.portfolio_inventory_notional = g("portfolio_inventory_notional", "|position| x mid (USD)")
        self.portfolio_avg_entry = g("portfolio_avg_entry_price", "Average entry price of the open position (USD)")
        self.portfolio_mid = g("portfolio_mid_price", "Current mid (USD)")

        # -- ledger windows ------------------------------------------------------------------------
        self.window_prefixes = {"total": "metrics_total", "rolling": f"metrics_rolling_{rolling_label}",
                                "short": f"metrics_window_{short_label}"}
        self.windows: dict[str, dict[str, Gauge]] = {}
        self.window_inventory: dict[str, Gauge] = {}
        for key, prefix in self.window_prefixes.items():
            self.windows[key] = {k: g(f"{prefix}_{k}", doc) for k, doc in WINDOW_KEYS.items()}
            self.window_inventory[key] = g(f"{prefix}_inventory_units", "Position at the window end (base units)",
                                           ("market",))

        # -- session (engine state since start) ----------------------------------------------------
        self.session_realized = g("session_realized_quote", "Realized PnL since start (USD)")
        self.session_fills = g("session_fills", "Fills since start")
        self.session_duplicate_fills = g("session_duplicate_fills", "Replayed fills ignored since start")

        # -- maker ---------------------------------------------------------------------------------
        self.maker_spread = g("maker_spread_bps", "Current full quoted width (bps)")
        self.maker_quoted_sides = g("maker_quoted_sides", "Number of sides quoted")
        self.maker_quote_age = g("maker_quote_age_seconds", "Seconds since quotes were last (re)decided")
        self.maker_quote_price = g("maker_quote_price", "Working quote price (USD)", ("side",))
        self.maker_quote_distance = g("maker_quote_distance_bps", "Working quote distance from the mid (bps)",
                                      ("side",))
        self.maker_working_orders = g("maker_working_orders", "Working quote orders")
        self.maker_fills = Counter("maker_fills", "Quote fills", registry=r)
        self.maker_volume = Counter("maker_volume_quote", "Quote fill notional (USD)", registry=r)
        self.maker_race_fills = Counter("maker_race_fills", "Maker fills that raced our cancel/modify (in_flight) or "
                                        "landed past the fair value (fair_passed)", ("kind",), registry=r)
        self.status_gauges = {name: g(name, doc) for name, (doc, _) in STATUS_GAUGES.items()}
        self.maker_trend = g("maker_trend_direction", "Trend filter: 1 up, -1 down, 0 none")
        self.maker_core_markout = g("maker_core_markout_bps", "Engine's mean markout of our fills (bps)", ("horizon",))
        self.hedger_phase = g("hedger_phase", "1 for the hedger's current phase", ("phase",))
        self.edge_distance = g("maker_edge_distance_bps", "Distance from the fair value the edge model quotes at, "
                               "-1 = no distance worth quoting (bps)", ("side",))
        self.edge_expected = g("maker_edge_expected_bps", "Expected edge of a fill at that distance (bps)", ("side",))
        self.edge_live_gap = g("maker_edge_live_gap_bps", "Our fills' markout minus what the edge model expected "
                               "(< 0: worse than the market's evidence) (bps)", ("side",))
        self.edge_live_fills = g("maker_edge_live_fills", "Own quote fills the live check has weighed", ("side",))

        # -- hedger --------------------------------------------------------------------------------
        self.hedger_working_orders = g("hedger_working_orders", "Working hedge orders")
        self.hedger_excess_units = g("hedger_excess_units", "|position| - trigger_units, > 0 means a hedge is due")
        self.hedger_fills = Counter("hedger_fills", "Hedge fills", ("kind",), registry=r)
        self.hedger_volume = Counter("hedger_volume_quote", "Hedge fill notional (USD)", ("kind",), registry=r)
        self.hedger_orders = Counter("hedger_orders", "Hedge orders sent", ("kind",), registry=r)

        # -- guard ---------------------------------------------------------------------------------
        self.guard_state = g("guard_trading_state", "0 ACTIVE, 1 REDUCING, 2 HALTED")
        self.guard_state_flag = g("guard_state", "1 for the current trading state", ("state",))
        self.guard_reason = g("guard_reason", "1 for each reason the bot is not ACTIVE", ("reason",))
        self.guard_max_position = g("guard_max_position_units", "Hard cap on |position| (base units)")
        self.guard_max_notional = g("guard_max_inventory_notional", "Hard cap on |position| x mid (USD)")
        self.guard_utilization = g("guard_cap_utilization", "max(|pos|/unit cap, |pos|*mid/notional cap)")
        self.guard_rejects_recent = g("guard_recent_rejects", "Rejects inside the reject-storm window")

        # -- venue ---------------------------------------------------------------------------------
        self.venue_connected = g("venue_connected", "1 when the venue is connected")
        self.venue_account_ok = g("venue_account_stream_ok", "1 when the account stream is healthy")
        self.book_age = g("venue_book_age_seconds", "Age of the order book (s), -1 before the first")
        self.account_age = g("venue_account_age_seconds", "Age of the last account data (s), -1 before the first")
        self.nonce_gaps = g("venue_nonce_gaps", "Nonce gaps/resyncs reported by the venue adapter")
        self.tx_budget_left = g("venue_tx_budget_left", "Requests the engine may still send in its rolling minute")
        self.tx_budget_per_minute = g("venue_tx_budget_per_minute",
                                      "Engine's request budget per minute (the tier's, less the adapter's own share)")
        # The venue's own count of everything it sent (REST and sendTx/sendTxBatch; a batch once).
        self.requests_last_minute = g("venue_requests_last_minute", "Requests sent in the rolling minute (all kinds)")
        self.request_limit = g("venue_request_limit_per_minute", "Lighter's request limit per rolling minute (tier)")
        self.rate_limited = g("venue_rate_limited_total", "Answers 429 / code 23000 received since start")
        self.requests_refused = g("venue_requests_refused_locally_total",
                                  "Requests refused by the client-side budget since start (not sent)")
        self.bad_rows = g("venue_bad_rows_total", "Rows of venue frames skipped as undecodable since start")
        self.ack_latency = Histogram("venue_ack_latency_seconds", "Command sent -> venue acknowledgement (s)",
                                     ("kind",), buckets=_LATENCY_BUCKETS, registry=r)
        self.rejects = Counter("venue_rejects", "Rejected transactions", ("code", "reason"), registry=r)
        self.reconnects = Counter("venue_reconnects", "Venue reconnections", registry=r)
        self.commands = Counter("venue_commands", "Commands sent", ("kind",), registry=r)

        # -- markouts ------------------------------------------------------------------------------
        self.markout = Histogram("markout_bps", "Mid move after our fill in our favour (bps)", ("horizon",),
                                 buckets=_MARKOUT_BUCKETS, registry=r)
        self.markout_race = Histogram("markout_race_bps", "Mid move after a race fill in our favour (bps); "
                                      "markout_bps minus these (buckets, counts) = the normal fills", ("horizon",),
                                      buckets=_MARKOUT_BUCKETS, registry=r)
        self.markout_avg = g("markout_avg_bps", "Average markout of the window's fills (bps)", ("horizon", "window"))

        # -- ledger and process --------------------------------------------------------------------
        self.ledger_rows = Counter("ledger_rows_written", "Fill rows durably written", registry=r)
        self.ledger_errors = g("ledger_write_errors", "Failed ledger writes since start")
        self.ledger_queue = g("ledger_queue_depth", "Fill rows waiting to be written")
        self.ledger_recovered = Counter("ledger_recovered_fills", "Fills made while no bot recorded them, "
                                        "recorded at start from the exchange's trade history", registry=r)
        self.ledger_position_mismatch = g("ledger_position_mismatch_units", "Exchange position - ledger position "
                                          "after the start's recovery; 0 when they agree (base units)")
        self.ledger_write_seconds = Histogram("ledger_write_seconds", "One batch write + fsync (s)",
                                              buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
                                              registry=r)
        self.log_lines_suppressed = Counter("log_lines_suppressed", "Operator log lines dropped by the rate limit",
                                            ("kind",), registry=r)
        self.health_ok = g("health_ok", "1 when /health is green")
        self.health_check = g("health_check", "1 per passing /health check", ("check",))
        self.uptime = g("uptime_seconds", "Seconds since start")
        self.start_ts = g("app_start_ts", "Start time (unix s)")
        self.info = g("bot_info", "Constant 1 with the build's identity", ("market", "config_hash", "source"))
