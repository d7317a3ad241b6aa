"""Same scenario, seed and config => byte-identical fills (hash of the fill log), with the real engine."""

from __future__ import annotations

import hashlib
import json

from lighter_bot.backtest.runner import run_backtest
from lighter_bot.config import BotConfig
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.scenarios import make_scenario


def fill_log_hash(scenario: str, seed: int, duration: float = 600.0) -> tuple[str, int]:
    clock = SimClock()
    ex = SimExchange(SOL_PERP, make_scenario(scenario, seed, duration), STANDARD, seed)
    run_backtest(ex, EngineCore(BotConfig(), SOL_PERP, clock), clock)
    log = "\n".join(json.dumps([f.t, f.client_id, f.trade_id, f.side.value, f.price, f.size, f.fee, f.role.value,
                                f.remaining, f.cause]) for f in ex.fills)
    return hashlib.sha256(log.encode()).hexdigest(), len(ex.fills)


def test_same_seed_same_fills_byte_for_byte() -> None:
    h1, n1 = fill_log_hash("vol_spike", 11)
    h2, n2 = fill_log_hash("vol_spike", 11)
    assert n1 > 0 and (h1, n1) == (h2, n2)


def test_other_seed_other_fills() -> None:
    assert fill_log_hash("vol_spike", 11)[0] != fill_log_hash("vol_spike", 12)[0]
