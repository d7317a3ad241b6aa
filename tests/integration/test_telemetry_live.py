"""Against a running bot (real engine + services on a scripted venue, real HTTP on 127.0.0.1):
`curl -sf http://127.0.0.1:<port>/health`, `python scripts/dump_metrics.py --filter portfolio_`
and /metrics agree with the ledger on disk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lighter_bot.domain.events import VenueStatus
from lighter_bot.records.accounting import build
from lighter_bot.records.ledger import Ledger
from tests.bot_harness import RunningBot, free_port, get, write_config

REPO = Path(__file__).resolve().parents[2]


def metric_values(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def settle(bot: RunningBot, min_fills: int) -> None:
    """Wait for some fills, stop fills, and wait until the ledger has everything."""
    assert bot.venue is not None and bot.services is not None
    deadline = time.time() + 30
    while bot.venue.fills_sent < min_fills and time.time() < deadline:
        time.sleep(0.05)
    assert bot.venue.fills_sent >= min_fills, "the fake venue produced too few fills"
    bot.freeze()
    time.sleep(0.3)
    while bot.services.records.queue_depth and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a telemetry tick and a dashboard sample after the last write


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    root = tmp_path_factory.mktemp("bot")
    (root / "scripts").symlink_to(REPO / "scripts")
    with RunningBot(write_config(root, free_port())) as b:
        b.root = root  # type: ignore[attr-defined]
        settle(b, 12)
        yield b


def test_health_is_green_and_names_checks(bot: RunningBot) -> None:
    status, body = get(f"http://127.0.0.1:{bot.port}/health")
    data = json.loads(body)
    assert status == 200, data
    assert data["status"] == "healthy" and data["failing"] == []
    assert set(data["checks"]) >= {"venue_connected", "book_fresh", "account_stream_fresh", "quotes_fresh",
                                   "ledger_writable"}
    if shutil.which("curl"):
        p = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{bot.port}/health"], capture_output=True, text=True)
        assert p.returncode == 0 and json.loads(p.stdout)["status"] == "healthy"


def test_metrics_match_the_ledger_on_disk(bot: RunningBot) -> None:
    ledger = Ledger(bot.cfg.metrics.ledger_path)
    books, bad = build(ledger.rows())
    assert bad == 0 and books.totals.fills >= 12
    _, text = get(f"http://127.0.0.1:{bot.port}/metrics")
    v = metric_values(text)
    assert v["metrics_total_fills"] == books.totals.fills
    assert v["portfolio_realized_quote"] == pytest.approx(books.totals.realized_quote, abs=1e-9)
    assert v["portfolio_fees_paid"] == pytest.approx(books.totals.fees_paid, abs=1e-9)
    assert v["metrics_window_5m_fills"] == books.totals.fills  # all fills are seconds old
    assert v["metrics_rolling_6h_fills"] == books.totals.fills
    assert v["portfolio_inventory_units"] == pytest.approx(books.positions["market:2"].qty)
    assert v["ledger_rows_written_total"] == books.totals.fills
    assert v["health_ok"] == 1 and v["venue_connected"] == 1
    assert v["venue_tx_budget_per_minute"] == 58  # Standard 60, less the live adapter's own 1.5 per minute
    assert v['venue_ack_latency_seconds_count{kind="place"}'] >= 2
    assert sum(x for k, x in v.items() if k.startswith("hedger_phase{")) == 1  # engine status is wired
    assert "maker_volatility_bps" in v and "maker_trend_direction" in v and "venue_tx_used_last_minute" in v
    assert v["maker_trend_threshold_bps"] >= bot.cfg.maker.trend.threshold_bps  # noise scaling never lowers it
    assert v["hedger_alpha_kickback_tier"] >= 0
    assert sum(x for k, x in v.items() if k.startswith("maker_fills_total") or k.startswith("hedger_fills_total")) \
        == books.totals.fills


def _dump(bot: RunningBot, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIGHTER_CONFIG": str(bot.root / "config.yaml")}  # type: ignore[attr-defined]
    return subprocess.run([sys.executable, "scripts/dump_metrics.py", *args], cwd=bot.root,  # type: ignore[attr-defined]
                          capture_output=True, text=True, timeout=30, env=env)


def test_dump_metrics_portfolio_as_written(bot: RunningBot) -> None:
    books, _ = build(Ledger(bot.cfg.metrics.ledger_path).rows())
    p = _dump(bot, "--filter", "portfolio_")  # the port comes from $LIGHTER_CONFIG's telemetry.port
    assert p.returncode == 0, p.stderr
    lines = dict(line.split(" ") for line in p.stdout.splitlines())
    assert set(lines) >= {"portfolio_realized_quote", "portfolio_unrealized_quote", "portfolio_total_quote",
                          "portfolio_fees_paid", "portfolio_inventory_units"}
    assert all(k.startswith("portfolio_") for k in lines)
    assert float(lines["portfolio_realized_quote"]) == pytest.approx(books.totals.realized_quote, abs=1e-9)


def test_dump_metrics_names_and_exit_codes(bot: RunningBot) -> None:
    p = _dump(bot, "--names", "metrics_total_fills", "guard_trading_state", "--filter", "portfolio_")
    assert p.returncode == 0
    assert [ln.split()[0] for ln in p.stdout.splitlines()] == ["metrics_total_fills", "guard_trading_state"]
    assert _dump(bot, "--filter", "no_such_metric_").returncode == 3
    p = _dump(bot, "--port", str(free_port()), "--filter", "portfolio_")
    assert p.returncode == 1 and "cannot read" in p.stderr
    assert _dump(bot, "--port", "notaport").returncode == 2


def test_health_fails_naming_the_check_when_the_venue_drops(tmp_path: Path) -> None:
    with RunningBot(write_config(tmp_path, free_port())) as b:
        time.sleep(0.5)
        assert b.venue is not None
        b.venue.queue.put_nowait(VenueStatus(b.clock.now(), False, True, "test drop"))
        time.sleep(0.3)
        status, body = get(f"http://127.0.0.1:{b.port}/health")
        data = json.loads(body)
        assert status == 503
        assert "venue_connected" in data["failing"] and data["trading_state"] == "HALTED"
        assert "venue disconnected" in data["trading_state_reasons"]
