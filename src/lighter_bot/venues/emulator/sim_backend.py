"""Backs the emulator with the simulator's SimExchange for a named scenario (pending: sim branch)."""

from __future__ import annotations

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import ConfigError
from lighter_bot.venues.emulator.backend import ExchangeBackend


def sim_backend(scenario: str, seed: int, market: MarketSpec) -> ExchangeBackend:
    raise ConfigError([f"unknown scenario {scenario!r}; available: memory"], "--scenario")
