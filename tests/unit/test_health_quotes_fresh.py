"""/health's quotes_fresh: a core that decides to stand aside (the edge model finds no edge, the shipped
config's normal state on real markets) is healthy; a core that stops deciding is not."""

from __future__ import annotations

from lighter_bot.backtest.matrix import overlay
from lighter_bot.config import BotConfig, parse_config
from lighter_bot.domain.book import BookView
from lighter_bot.domain.events import BookUpdate, PositionSnapshot, Tick
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.telemetry.health import evaluate

STALE_S = 20.0
BOOK = BookView(((18_000, 800), (17_990, 800)), ((18_010, 800), (18_020, 800)))


def run(edge: bool, seconds: float) -> EngineCore:
    cfg = parse_config(overlay(BotConfig().model_dump(mode="python"), {"maker": {"edge": {"enabled": edge}}}))
    core = EngineCore(cfg, SOL_PERP, SimClock(0.0))
    core.on_event(PositionSnapshot(0.0, 0))
    t = 0.0
    while t < seconds:
        t += 0.5
        core.on_event(BookUpdate(t, BOOK))
        core.on_event(Tick(t))
    return core


def test_standing_aside_for_lack_of_edge_is_healthy() -> None:
    core = run(edge=True, seconds=120.0)
    st = core.status()
    assert st.desired_bid is None and st.desired_ask is None  # no edge shown yet: it quotes nothing
    assert any("placement: no bid" in n for n in st.maker_notes)
    report = evaluate(core, 120.0, 0.0, "cfg", STALE_S)
    assert report.body["checks"]["quotes_fresh"] and report.healthy, report.body


def test_quoting_is_healthy_and_a_core_that_stops_deciding_is_not() -> None:
    core = run(edge=False, seconds=120.0)
    assert core.status().desired_bid is not None  # the band quotes
    assert evaluate(core, 120.0, 0.0, "cfg", STALE_S).healthy
    stuck = evaluate(core, 120.0 + 2 * STALE_S, 0.0, "cfg", STALE_S)  # no event decided since
    assert not stuck.body["checks"]["quotes_fresh"] and not stuck.healthy
    aside = run(edge=True, seconds=120.0)
    assert not evaluate(aside, 120.0 + 2 * STALE_S, 0.0, "cfg", STALE_S).body["checks"]["quotes_fresh"]
