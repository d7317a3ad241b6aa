"""`lighter-bot backtest --report` opened in real headless Chromium (Debian's): a trader reads the
summary with units beside a baseline column, where the PnL came from, the caveats of a short sample
(no bare annualised Sharpe), the drawdown, inventory against the caps, the plan steps over time and
their engagements, the fills and the config, without opening the JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lighter_bot.cli.app import app
from tests.e2e.test_dashboard_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium)"),
]


@pytest.mark.slow
def test_the_backtest_report_reads_without_the_json(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) not installed")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("{}\n")
    html_path, json_path = tmp_path / "report.html", tmp_path / "report.json"
    r = CliRunner().invoke(app, ["backtest", "--scenario", "vol_spike", "--duration", "300", "--seed", "7",
                                 "--report", str(html_path), "--json-out", str(json_path), "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    data = json.loads(json_path.read_text())
    assert data["sharpe_annualized"] is None  # five minutes: no annualised Sharpe, not even in the JSON
    split = data["pnl_split"]
    assert split["spread_capture"] + split["inventory"] - split["fees"] == pytest.approx(data["total_pnl"], abs=1e-9)
    assert data["baseline"]["fills"] != data["fills"]  # a different strategy ran on the same events
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=str(CHROMIUM),
                                                    args=ARGS, headless=True, viewport={"width": 1400, "height": 1000})
        try:
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html_path.as_uri())
            page.wait_for_selector("#chart-plan .main-svg", timeout=20_000)
            assert not errors, errors
            # the summary: every row has a unit, and a baseline column beside this config
            head = page.locator("#summary thead th").all_inner_texts()
            assert head == ["", "unit", "this config", "baseline"]
            rows = page.locator("#summary tbody tr").all()
            cells = [r.locator("td").all_inner_texts() for r in rows]
            assert len(cells) >= 15 and all(c[1] for c in cells), cells  # a unit on every row
            by_label = {c[0]: c for c in cells}
            total = by_label["Total PnL (realized + unrealized, after fees)"]
            assert total[1] == "USD" and float(total[2]) == pytest.approx(data["total_pnl"], abs=1e-4)
            assert float(total[3]) == pytest.approx(data["baseline"]["total_pnl"], abs=1e-4)
            assert by_label["Sharpe ratio annualised (only from a day of data)"][2] == "–"
            assert re.fullmatch(r"-?\d+\.\d{3} \(n=4\)", by_label["Sharpe ratio per minute (one-minute equity changes)"][2])
            assert "Short sample: 5 simulated minutes" in page.inner_text("#caveats")
            split_rows = {r[0]: r for r in (x.locator("td").all_inner_texts() for x in page.locator("#pnl-split tbody tr").all())}
            assert set(split_rows) == {"spread capture", "inventory", "fees", "total"}
            assert float(split_rows["spread capture"][2]) == pytest.approx(split["spread_capture"], abs=1e-4)
            # charts: drawdown, inventory with its caps, the plan steps; the engagements as a timeline
            eq = page.evaluate("document.getElementById('chart-equity').data.map(t => t.name)")
            assert "drawdown (USD)" in eq and "baseline equity (USD)" in eq
            inv = page.evaluate("document.getElementById('chart-inventory').data.map(t => t.name)")
            assert "+hard cap (0.3 SOL)" in inv and "-hedge trigger (0.07 SOL)" in inv
            plan = page.evaluate("document.getElementById('chart-plan').data.map(t => t.name)")
            assert {"quoted width (bps)", "PnL guard level (steps)", "hedge alpha vetoes (cumulative count)",
                    "edge first: width added to hold the floor (bps)"} <= set(plan)
            events = page.locator("#plan-events tbody tr td:nth-child(2)").all_inner_texts()
            engaged = data["plan_engagements"]
            assert engaged and set(engaged) <= set(events)  # every kind of engagement is in the timeline
            assert sum(engaged.values()) == sum(1 for e in events if e in engaged)
            # fills and config
            assert page.locator("#fills tbody tr").count() == min(300, data["fills"])
            assert page.locator("#fills thead th").all_inner_texts()[4:6] == ["price (USD)", "size (SOL)"]
            assert "guard.max_position_units" in page.inner_text("#config-key")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            ctx.close()
