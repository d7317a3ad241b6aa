"""The ledger is part of the trading loop (issue 17 item 1): when fills can no longer be recorded
the bot stops adding risk (REDUCING), halts once `guard.max_unrecorded_fills` wait, says why in the
log, /health and /metrics, and at exit saves the fills it could not write where they can be
re-imported. Before, the same failure left the bot ACTIVE: 73 fills made, 0 recorded, exit 0."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from lighter_bot.records.ledger import Ledger
from tests.bot_harness import LEDGER, RunningBot, free_port, get, write_config


def _wait(pred: object, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not pred():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_unwritable_ledger_reduces_then_halts_says_why_and_saves_the_fills(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    cfg = write_config(tmp_path, free_port(), guard={"max_unrecorded_fills": 3})
    metrics_dir = tmp_path / "data" / "metrics"
    states: list[tuple[str, tuple[str, ...]]] = []
    with RunningBot(cfg) as bot:
        assert bot.services is not None and bot.venue is not None
        rec = bot.services.records
        _wait(lambda: rec.rows_written >= 3, 30, "three fills recorded")
        # The disk goes away under the running bot: every open below data/metrics now fails.
        metrics_dir.rename(tmp_path / "data" / "metrics.away")
        metrics_dir.write_text("not a folder any more")
        made_before = bot.venue.fills_sent

        def poll() -> bool:
            _, body = get(f"http://127.0.0.1:{bot.port}/health")
            h = json.loads(body)
            states.append((h["trading_state"], tuple(h["trading_state_reasons"])))
            return h["trading_state"] == "HALTED"

        _wait(poll, 60, "the halt")
        status, body = get(f"http://127.0.0.1:{bot.port}/health")
        h = json.loads(body)
        assert status == 503 and "ledger_writable" in h["failing"]
        assert "unrecorded fills queue full" in h["trading_state_reasons"]
        assert "ledger not writable" in {r for _, reasons in states for r in reasons}
        _, metrics = get(f"http://127.0.0.1:{bot.port}/metrics")
        assert 'guard_reason{reason="unrecorded fills queue full"} 1.0' in metrics.splitlines()
        assert 'health_check{check="ledger_writable"} 0.0' in metrics.splitlines()
        errors = next(ln for ln in metrics.splitlines() if ln.startswith("ledger_write_errors "))
        assert float(errors.split()[1]) >= 1
        halted_at = bot.venue.fills_sent
        time.sleep(1.0)
        assert bot.venue.fills_sent == halted_at, "fills after the halt: the bot kept trading"
        assert bot.venue.fills_sent > made_before, "no fill after the disk failed: nothing was tested"
        assert not bot.venue.orders, "orders left resting while halted"
    # Never ACTIVE again once the ledger refused its first write.
    first_bad = next(i for i, (st, _) in enumerate(states) if st != "ACTIVE")
    assert all(st != "ACTIVE" for st, _ in states[first_bad:]), states
    # At exit: every fill the venue made is either in the ledger or in the saved file, exactly once.
    rec = bot.services.records
    assert rec.unrecorded_at_exit > 0 and rec.unrecorded_path is not None
    assert rec.unrecorded_path.parent == tmp_path / "tmp"  # the ledger's folder is gone: the temp folder took them
    saved = [r["trade_id"] for r in json.loads(rec.unrecorded_path.read_text())["trades"]]
    on_disk = [r["trade_id"] for r in Ledger(tmp_path / "data" / "metrics.away" / Path(LEDGER).name).rows()]
    assert sorted(saved + on_disk) == sorted(f"fake-{i}" for i in range(1, bot.venue.fills_sent + 1))
    assert len(saved) == rec.unrecorded_at_exit


def test_a_position_the_recovery_cannot_explain_is_logged_measured_and_alerted(tmp_path: Path) -> None:
    """The exchange holds more than the ledger's fills add up to (say a manual trade in another
    tool): the start's recovery says so in the log, the metric and an alert; and it records what
    the history does show."""
    import asyncio
    from decimal import Decimal

    from prometheus_client import generate_latest

    from lighter_bot.config import load_config
    from lighter_bot.domain.fills import AccountFill, FillHistory
    from lighter_bot.domain.orders import Role, Side
    from lighter_bot.engine.clock import LiveClock
    from lighter_bot.engine.core import EngineCore
    from lighter_bot.telemetry.services import BotServices
    from tests.bot_harness import FakeVenue

    now = time.time()
    fill = AccountFill("77", now - 30, 2, Side.BID, Role.MAKER, Decimal("0.064"), Decimal("170"), Decimal("10.88"),
                       Decimal(0), 5, "9", None, None)

    class VenueWithHistory(FakeVenue):
        async def fills_since(self, since_ts: float) -> FillHistory:
            self.asked = since_ts
            return FillHistory((fill,), True, 128)  # 0.128 on the exchange; the history shows 0.064

    cfg = load_config(write_config(tmp_path, free_port()))
    (tmp_path / "data/metrics").mkdir(parents=True)
    (tmp_path / "data/metrics/positions.jsonl").write_text(
        json.dumps({"timestamp": now - 100, "market": "market:2", "position": "0"}) + "\n")

    async def go() -> tuple[Any, str]:
        clock = LiveClock()
        venue = VenueWithHistory(clock)
        services = BotServices(cfg, EngineCore(cfg, venue.market, clock), venue, clock, "lighter")
        await services.start("127.0.0.1", 0, serve=False)
        try:
            report = await services.recover_fills(venue)
        finally:
            await services.close()
        return report, generate_latest(services.metrics.registry).decode()

    import structlog
    with structlog.testing.capture_logs() as logs:
        report, metrics = asyncio.run(go())
    assert report is not None and report.recorded == 1 and report.mismatch == Decimal("0.064")
    assert "ledger_position_mismatch_units 0.064" in metrics and "ledger_recovered_fills_total 1.0" in metrics
    events = {e["event"] for e in logs}
    assert "ledger_position_mismatch" in events and "alert.ledger" in events
    assert [r["trade_id"] for r in Ledger(tmp_path / LEDGER).rows()] == ["77"]
