"""Backs the emulator with the simulator: a SimExchange on an endless synthetic scenario.

The emulator enforces Lighter's request budget itself (HTTP 429, code 23000, before a tx is
accepted; Premium's volume quota too), so the simulator's own budget, its charge for the live
adapter's background requests and its quota are lifted here; everything else (entry delays, queue position,
post-only/IOC/reduce-only, self-trade, data and account latency, fees) is the tier's.
"""

from __future__ import annotations

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import ConfigError
from lighter_bot.venues.emulator.backend import ExchangeBackend
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import tier_rules
from lighter_bot.venues.sim.scenarios import make_scenario, scenario_names

UNLIMITED_TX = 10**9


def sim_backend(
    scenario: str, seed: int, market: MarketSpec, tier: str = "standard", start_price: float = 170.0
) -> ExchangeBackend:
    if scenario not in scenario_names():
        known = ", ".join(["memory", *scenario_names()])
        raise ConfigError([f"unknown scenario {scenario!r}; available: {known}"], "--scenario")
    try:
        rules = tier_rules(tier).with_(tx_per_minute=UNLIMITED_TX, background_requests_per_min=0.0, volume_quota=None)
    except ValueError as exc:
        raise ConfigError([str(exc)], "--tier") from None
    source = make_scenario(scenario, seed, None, market, start_price)
    return SimExchange(market, source, rules, seed)
