"""The operator log (telemetry/oplog.py) and the plan view it reads (engine/plan_view.py): a line per
fill, per hedge step, per quote side up/down with why, per trading-state change and per plan-step
engagement; a status line per minute; a rate limit that counts what it drops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from lighter_bot.config import parse_config
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import BookUpdate, Event, OrderAccepted, OrderFilled, PositionSnapshot, Tick, VenueStatus
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Role, Side
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.plan_view import PlanView, PlanWatch, plan_view, why_not_quoted
from lighter_bot.engine.runner import EngineRunner
from lighter_bot.telemetry.metrics import BotMetrics
from lighter_bot.telemetry.oplog import LineBudget, OperatorLog


class SilentVenue:
    """Accepts commands, has no events: the test drives the runner's handler itself."""

    def __init__(self) -> None:
        self.sent: list[Command] = []

    async def submit(self, cmds: list[Command]) -> None:
        self.sent.extend(cmds)

    async def events(self) -> AsyncIterator[Event]:
        if False:
            yield Tick(0.0)


def book(mid: int = 170_000) -> BookView:
    return BookView(((mid - 5, 900),), ((mid + 5, 900),))


def bot(**cfg: object) -> tuple[EngineCore, EngineRunner, OperatorLog, SilentVenue]:
    core = EngineCore(parse_config(dict(cfg)), SOL_PERP, SimClock())
    purposes: dict[int, str] = {}
    oplog = OperatorLog(core, purposes.get, metrics=BotMetrics())
    venue = SilentVenue()
    runner = EngineRunner(core, venue, SimClock(), sinks=[oplog.on_fills], observers=[oplog.observe])  # type: ignore[arg-type]
    return core, runner, oplog, venue


def feed(runner: EngineRunner, *events: Event) -> None:
    for e in events:
        asyncio.run(runner._handle(e))


def start(runner: EngineRunner, t: float = 0.0) -> None:
    feed(runner, VenueStatus(t, True), PositionSnapshot(t, 0, None), BookUpdate(t, book()))


def test_guard_engagement_and_release_reach_the_log() -> None:
    core, runner, _, _ = bot()
    with capture_logs() as logs:
        feed(runner, Tick(1.0))
        assert not [e for e in logs if e["event"].startswith("pnl_guard")]  # nothing changed, nothing logged
        core.pnl_guard.level = 1  # as after two losing slices (the guard's own rule is tested elsewhere)
        feed(runner, Tick(2.0))
        core.pnl_guard.level = 0
        feed(runner, Tick(3.0))
    guard = [e for e in logs if e["event"].startswith("pnl_guard")]
    assert [(e["event"], e["level_from"], e["level_to"]) for e in guard] == [
        ("pnl_guard_engaged", 0, 1), ("pnl_guard_released", 1, 0)]
    assert guard[0]["log_level"] == "warning" and "PnL guard level 0 -> 1" in guard[0]["msg"]
    assert core.status().pnl_guard_engagements == 1  # the metric the telemetry exports


def test_one_line_per_fill_with_its_context() -> None:
    _, runner, _, venue = bot(maker={"volatility": {"enabled": False}, "trend": {"enabled": False}})
    start(runner)
    feed(runner, Tick(0.5))
    bid = next(c for c in venue.sent if getattr(c, "side", None) is Side.BID)
    with capture_logs() as logs:
        feed(runner, OrderAccepted(0.6, bid.client_id, "1"),
             OrderFilled(1.0, bid.client_id, "t-1", Side.BID, bid.price, bid.size // 2, 0.0, Role.MAKER, 0),
             OrderFilled(1.1, bid.client_id, "t-2", Side.BID, bid.price, bid.size - bid.size // 2, 0.0, Role.MAKER, 0),
             OrderFilled(1.2, bid.client_id, "t-2", Side.BID, bid.price, 1, 0.0, Role.MAKER, 0))  # a replay: no line
    fills = [e for e in logs if e["event"] == "fill"]
    assert [e["trade_id"] for e in fills] == ["t-1", "t-2"]
    assert fills[-1]["position"] == SOL_PERP.sz(bid.size) and fills[0]["msg"].startswith("bought ")
    assert fills[0]["purpose"] == "quote" and fills[0]["edge_bps"] > 0  # bought below the mid


def test_halt_and_recovery_are_logged_with_the_reason_and_quotes_go_down() -> None:
    core, runner, oplog, venue = bot()
    start(runner)
    feed(runner, Tick(0.1), *(OrderAccepted(0.2, c.client_id, str(c.client_id)) for c in venue.sent))
    feed(runner, *(Tick(0.1 * i) for i in range(3, 30)))
    assert set(plan_view(core).quoted) == {"bid", "ask"}
    with capture_logs() as logs:
        feed(runner, VenueStatus(3.0, False), Tick(3.1), Tick(4.5))
        feed(runner, VenueStatus(5.0, True), BookUpdate(5.0, book()), Tick(5.1))
    states = [e for e in logs if e["event"] == "trading_state"]
    assert [(e["from"], e["to"]) for e in states] == [("ACTIVE", "HALTED"), ("HALTED", "ACTIVE")]
    assert "venue disconnected" in states[0]["msg"] and states[0]["log_level"] == "warning"
    down = [e for e in logs if e["event"] == "quote_side" and not e["quoted"]]
    assert sorted(e["side"] for e in down) == ["ask", "bid"]  # cancelled on the halt, reported after 1 s
    assert all(e["why"] == "HALTED: venue disconnected" for e in down)
    assert oplog.recent and oplog.recent[-1]["event"] == "trading_state"


def view(ts: float, quoted: tuple[str, ...], state: str = "ACTIVE", **kw: object) -> PlanView:
    base = PlanView(ts, state, (), quoted, 10.0, (("volatility band", 10.0),), 5.0, "none", 0, 0.0, 1.0, None,
                    0.0, False, (), 0, "", "idle", (), ())
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_quote_side_change_is_reported_once_it_holds_not_for_a_replace() -> None:
    w = PlanWatch(settle_s=1.0)
    assert w.update(view(0.0, ("bid", "ask"))) == []
    assert w.update(view(0.2, ("bid",))) == []  # a cancel-and-replace gap
    assert w.update(view(0.4, ("bid", "ask"))) == []
    assert w.update(view(1.0, ("bid",), maker_notes=("trend up: ask gated",))) == []
    out = w.update(view(2.1, ("bid",), maker_notes=("trend up: ask gated",)))
    assert [(c.event, c.fields["side"], c.fields["quoted"]) for c in out] == [("quote_side", "ask", False)]
    assert out[0].message == "ask quote down: trend up: ask gated"
    assert w.update(view(2.5, ("bid",))) == []  # reported once
    up = w.update(view(3.0, ("bid", "ask"))) + w.update(view(4.1, ("bid", "ask")))
    assert [c.message for c in up] == ["ask quote up (10.0 bps wide)"]


def test_plan_steps_and_spread_changes_say_why() -> None:
    w = PlanWatch()
    w.update(view(0.0, ("bid", "ask")))
    out = w.update(view(1.0, ("bid", "ask"), spread_bps=16.0, guard_level=1, guard_extra_bps=4.0,
                        spread_parts=(("volatility band", 7.0), ("PnL guard", 4.0), ("edge first floor", 5.0)),
                        edge_floor_bps=5.0, defended=("ask",), hedge_vetoes=2, hedge_note="kickback: resting"))
    events = [c.event for c in out]
    assert events == ["pnl_guard_engaged", "edge_first_floor", "hit_quality_defends", "hedge_alpha_veto", "spread_changed"]
    assert out[-1].message == ("spread 10.0 -> 16.0 bps = volatility band 7.0 (volatility 5.0 bps) + PnL guard 4.0 + "
                               "edge first floor 5.0")
    assert "x2" in out[3].message and "kickback" in out[3].message
    assert w.update(view(2.0, ("bid", "ask"), spread_bps=16.5, guard_level=1, guard_extra_bps=4.0,
                         edge_floor_bps=5.0, defended=("ask",), hedge_vetoes=2)) == []  # < 1 bps: no news


def test_why_not_quoted_names_the_most_specific_cause() -> None:
    assert why_not_quoted(view(0, (), "HALTED", reasons=("book stale",)), "bid") == "HALTED: book stale"
    assert "caps" in why_not_quoted(view(0, (), blocked=("bid",)), "bid")
    assert "hedger" in why_not_quoted(view(0, (), hedger_phase="passive"), "ask")


@given(st.lists(st.floats(0.0, 0.5), min_size=1, max_size=300))
def test_the_line_budget_never_passes_its_rate_and_counts_every_drop(gaps: list[float]) -> None:
    b = LineBudget({"x": (30.0, 5.0)})
    t, allowed = 0.0, []
    for g in gaps:
        t += g
        if b.allow("x", t):
            allowed.append(t)
    for i, t0 in enumerate(allowed):  # in any window of T seconds: at most burst + rate x T lines
        inside = [t1 for t1 in allowed[i:] if t1 - t0 <= 10.0]
        assert len(inside) <= 5 + 30.0 * 10.0 / 60.0 + 1e-9
    assert len(allowed) + b.suppressed.get("x", 0) == len(gaps)


def test_status_line_every_minute_reports_what_was_suppressed() -> None:
    _, runner, oplog, _ = bot()
    start(runner)
    for _ in range(40):
        oplog._emit("quote", "quote_side", "flap", 1.0)  # a flood of one kind within a second
    with capture_logs() as logs:
        oplog.tick(1.0)
        oplog.tick(30.0)
        oplog.tick(61.0)
    status = [e for e in logs if e["event"] == "status"]
    assert len(status) == 1 and status[0]["suppressed"] == {"quote": 30}
    assert status[0]["state"] == "HALTED" or status[0]["state"] == "ACTIVE"
    assert "tx/min" in status[0]["msg"] and "position" in status[0]["msg"]
    assert oplog.metrics is not None
    assert oplog.metrics.log_lines_suppressed.labels("quote")._value.get() == 30
