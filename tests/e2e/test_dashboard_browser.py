"""GET /dashboard in real headless Chromium (Debian's, driven by Playwright) against a running bot:
the page renders, auto-refreshes, and its tables and plotly charts show the ledger's numbers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from lighter_bot.records.accounting import build
from lighter_bot.records.ledger import Ledger
from tests.bot_harness import RunningBot, free_port, write_config
from tests.integration.test_telemetry_live import get, settle

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium)"),
]


def test_dashboard_shows_the_bots_real_numbers(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) not installed")
    with RunningBot(write_config(tmp_path, free_port())) as bot:
        settle(bot, 10)
        books, bad = build(Ledger(bot.cfg.metrics.ledger_path).rows())
        assert bad == 0 and books.totals.fills >= 10
        status, _ = get(f"http://127.0.0.1:{bot.port}/static/plotly.min.js")
        assert status == 200  # served by the bot from the installed plotly package, no CDN
        with sync_api.sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                page = ctx.new_page()
                failed: list[str] = []
                page.on("requestfailed", lambda r: failed.append(r.url))
                page.on("pageerror", lambda e: failed.append(str(e)))
                page.goto(f"http://127.0.0.1:{bot.port}/dashboard?refresh=500")
                page.wait_for_function("Number(document.body.dataset.updates || 0) >= 1", timeout=20_000)
                first = float(page.evaluate("document.body.dataset.dataNow"))
                page.wait_for_function("Number(document.body.dataset.updates || 0) >= 3", timeout=20_000)
                assert float(page.evaluate("document.body.dataset.dataNow")) > first, "auto-refresh"
                assert not failed, failed
                assert page.evaluate("typeof Plotly") == "object"

                # tables: realized PnL and fill counts per window equal the ledger's
                realized = f"{books.totals.realized_quote:.4f}"
                for w in ("total", "6h", "5m"):
                    assert page.inner_text(f"#realized_quote-{w}") == realized
                    assert page.inner_text(f"#fills-{w}") == str(books.totals.fills)
                assert page.inner_text("#fees_paid-total") == f"{books.totals.fees_paid:.4f}"
                assert page.inner_text("#position-units") == f"{books.positions['market:2'].qty:.4f}"
                assert page.inner_text("#state") == "ACTIVE"
                assert page.inner_text("#cap-units") == f"{bot.cfg.guard.max_position_units:.4f}"

                # charts: the plotted data are the bot's numbers
                charts: dict[str, Any] = page.evaluate("""() => Object.fromEntries(
                    ['chart-pnl', 'chart-inventory', 'chart-price', 'chart-fills', 'chart-spread', 'chart-markouts']
                    .map(id => [id, document.getElementById(id).data.map(t => ({name: t.name, x: t.x, y: t.y}))]))""")
                pnl = {t["name"]: t for t in charts["chart-pnl"]}
                assert pnl["realized"]["y"][-1] == pytest.approx(books.totals.realized_quote, abs=1e-9)
                fills_line = charts["chart-fills"][0]["y"]
                assert fills_line[-1] == books.totals.fills and fills_line == sorted(fills_line)
                price = {t["name"]: t for t in charts["chart-price"]}
                assert len(price["we bought"]["y"]) + len(price["we sold"]["y"]) == books.totals.fills
                assert len(price["we bought"]["y"]) == sum(1 for b in books.booked if b.fill.side == "bid")
                inv = {t["name"]: t for t in charts["chart-inventory"]}
                assert inv["inventory"]["y"][-1] == pytest.approx(books.positions["market:2"].qty)
                assert inv["cap"]["y"][0] == bot.cfg.guard.max_position_units
                assert len(charts["chart-markouts"]) == 2
                # the drawn SVG exists (plotly rendered, not just data attached)
                assert page.locator("#chart-pnl .main-svg").count() >= 1
                page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            finally:
                ctx.close()
    time.sleep(0)
