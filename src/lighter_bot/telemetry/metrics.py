"""Every Prometheus metric the bot exports, defined in one place on a private registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class BotMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.portfolio_realized = Gauge("portfolio_realized_quote", "Realized PnL, average cost, fees included (USD)",
                                        registry=r)
        self.portfolio_unrealized = Gauge("portfolio_unrealized_quote", "Unrealized PnL at the mid (USD)", registry=r)
        self.portfolio_total = Gauge("portfolio_total_quote", "Realized + unrealized PnL (USD)", registry=r)
        self.portfolio_fees = Gauge("portfolio_fees_paid", "Fees paid (USD)", registry=r)
        self.portfolio_inventory = Gauge("portfolio_inventory_units", "Signed position (base units)", registry=r)
        self.fills_total = Counter("metrics_total_fills", "Fills recorded", registry=r)
        self.volume_total = Counter("metrics_total_volume_quote", "Traded notional (USD)", registry=r)
        self.maker_spread = Gauge("maker_spread_bps", "Current full quoted width (bps)", registry=r)
        self.maker_quoting = Gauge("maker_quoted_sides", "Number of sides quoted", registry=r)
        self.trading_state = Gauge("guard_trading_state", "0 ACTIVE, 1 REDUCING, 2 HALTED", registry=r)
        self.book_age = Gauge("venue_book_age_seconds", "Age of the order book (s)", registry=r)
        self.venue_connected = Gauge("venue_connected", "1 when the venue is connected", registry=r)
        self.tx_budget_left = Gauge("venue_tx_budget_left", "Transactions left in the rolling minute", registry=r)
        self.uptime = Gauge("uptime_seconds", "Seconds since start", registry=r)
