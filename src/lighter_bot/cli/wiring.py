"""The composition root: the only module that names concrete venues and clocks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lighter_bot.config import BotConfig, Secrets
from lighter_bot.engine.clock import Clock
from lighter_bot.errors import ConfigError
from lighter_bot.venues.base import Venue


class VenueChoice(StrEnum):
    sim = "sim"
    lighter = "lighter"


@dataclass(frozen=True, slots=True)
class BuiltVenue:
    venue: Venue
    clock: Clock
    client_id_base: int
    source: str  # ledger `source` column
    description: str
    run_id: str | None = None  # a simulator run: its records go under <ledger folder>/sim/<run_id>/


async def build_venue(
    cfg: BotConfig,
    secrets: Secrets,
    choice: VenueChoice,
    *,
    scenario: str | None = None,
    seed: int | None = None,
    speed: float = 1.0,
    base_url: str | None = None,
) -> BuiltVenue:
    if choice is VenueChoice.sim:
        return build_sim(cfg, scenario or cfg.sim.scenario, cfg.sim.seed if seed is None else seed, speed)
    return await build_lighter(cfg, secrets, base_url)


async def build_lighter(cfg: BotConfig, secrets: Secrets, base_url: str | None) -> BuiltVenue:
    from lighter_bot.engine.clock import LiveClock
    from lighter_bot.venues.lighter.venue import LighterVenue

    clock = LiveClock()
    venue = LighterVenue.create(cfg, secrets, clock, base_url=base_url)
    await venue.load_market()  # the engine is built on the exchange's market spec, before start()
    # Engine ids start at 1; the venue maps them onto per-run unique client_order_index values.
    return BuiltVenue(venue, clock, 1, "lighter", f"lighter {venue.s.base_url} market {venue.s.market_id}")


def build_sim(cfg: BotConfig, scenario: str, seed: int, speed: float) -> BuiltVenue:
    import time

    from lighter_bot.records.locations import new_run_id
    from lighter_bot.venues.sim.live import make_sim_venue
    from lighter_bot.venues.sim.rules import tier_rules
    from lighter_bot.venues.sim.scenarios import scenario_names

    if scenario not in scenario_names():
        raise ConfigError([f"unknown scenario {scenario!r} (known: {', '.join(scenario_names())})"])
    rules = tier_rules(cfg.api.tier)
    if cfg.api.tx_per_minute:
        rules = rules.with_(tx_per_minute=cfg.api.tx_per_minute)
    run_id = new_run_id(scenario, seed)
    venue = make_sim_venue(scenario, seed, rules, speed, cfg.sim.start_price, start_time=float(int(time.time())),
                           run_id=run_id)
    return BuiltVenue(venue, venue.clock, 1, "sim", f"simulator: scenario {scenario}, seed {seed}, {rules.name} tier",
                      run_id)
