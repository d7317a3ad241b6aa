"""GET /dashboard in real headless Chromium (Debian's, driven by Playwright) against a running bot:
the page renders, auto-refreshes, and its tables and plotly charts show the ledger's numbers."""

from __future__ import annotations

import re
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


RIGHT_LABELS_INSIDE = """(id) => {
    const box = document.getElementById(id).getBoundingClientRect();
    const labels = [...document.querySelectorAll(`#${id} .yaxislayer-above .y2tick text, #${id} .g-y2title text`)];
    return {n: labels.length, inside: labels.every(t => t.getBoundingClientRect().right <= box.right + 0.5)};
}"""


def test_dashboard_shows_the_plan_steps_and_halted(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) not installed")
    with RunningBot(write_config(tmp_path, free_port())) as bot:
        settle(bot, 5)
        with sync_api.sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), args=ARGS, headless=True,
                viewport={"width": 1500, "height": 1000})
            try:
                page = ctx.new_page()
                page.goto(f"http://127.0.0.1:{bot.port}/?refresh=500")  # GET / is the dashboard, not a 404
                assert page.url.endswith("/dashboard?refresh=500") or "/dashboard" in page.url
                page.wait_for_function("Number(document.body.dataset.updates || 0) >= 2", timeout=20_000)
                assert page.inner_text("#state") == "ACTIVE" and not page.is_visible("#halt-banner")
                # the plan steps, each with its unit or state in words
                text = {k: page.inner_text(f"#plan-{k}") for k in ("spread", "edge", "guard", "hit", "hedge")}
                assert re.fullmatch(r"\d+\.\d bps = base spread \d+\.\d", text["spread"]), text  # band off here
                assert text["edge"].startswith(("holding the width at its floor", "tightening earned")), text
                assert text["guard"].startswith("off, level 0 (no slice closed yet)"), text  # 5 s: no 5-min slice
                assert text["hit"] == "no side defended", text
                assert re.match(r"\d+ hedge cross\(es\) vetoed", text["hedge"]), text
                assert "USD" in page.inner_text("#windows") and "(count)" in page.inner_text("#windows")
                assert page.locator("#chart-plan .main-svg").count() >= 1
                for chart in ("chart-spread", "chart-plan"):  # the right axis' labels are not clipped
                    r = page.evaluate(RIGHT_LABELS_INSIDE, chart)
                    assert r["n"] > 0 and r["inside"], (chart, r)
                assert float(page.inner_text("#quote-bid")) > 0
                page.screenshot(path=str(tmp_path / "dashboard-active.png"), full_page=True)

                bot.set_connected(False)  # the venue drops: HALTED
                page.wait_for_function("document.getElementById('state').textContent === 'HALTED'", timeout=20_000)
                page.wait_for_function("Number(document.body.dataset.updates || 0) >= 1", timeout=5_000)
                assert page.is_visible("#halt-banner") and "venue disconnected" in page.inner_text("#halt-banner")
                for cell in ("#quote-bid", "#quote-ask", "#spread-bps"):
                    assert page.inner_text(cell) == "not quoting (HALTED)", cell
                assert page.inner_text("#plan-spread") == "not quoting"
                page.wait_for_selector("#events tr[data-event='trading_state']", timeout=10_000)
                assert "ACTIVE -> HALTED: venue disconnected" in page.inner_text("#events")
                page.screenshot(path=str(tmp_path / "dashboard-halted.png"), full_page=True)
            finally:
                ctx.close()
