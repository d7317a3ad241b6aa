"""docs/monitoring: the alert rules pass `promtool check rules` and their promtool unit tests, and
every metric the rules and the Grafana dashboard query is one the bot actually exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lighter_bot.telemetry.metrics import BotMetrics

DOCS = Path(__file__).resolve().parents[2] / "docs" / "monitoring"
RULES = DOCS / "prometheus-alerts.yml"
PREFIXES = ("portfolio_", "metrics_", "session_", "maker_", "hedger_", "guard_", "venue_", "markout_", "ledger_",
            "health_", "uptime_", "app_start", "bot_info")


def exported_names() -> set[str]:
    names: set[str] = set()
    for fam in BotMetrics().registry.collect():
        names.add(fam.name)
        suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}
        names.update(fam.name + s for s in suffixes.get(fam.type, ()))
    return names


def referenced(expr: str) -> set[str]:
    return {t for t in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr) if t.startswith(PREFIXES)}


def rule_exprs() -> list[str]:
    data = yaml.safe_load(RULES.read_text())
    return [r["expr"] for g in data["groups"] for r in g["rules"]]


def dashboard_exprs() -> list[str]:
    dash = json.loads((DOCS / "grafana-dashboard.json").read_text())
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool not installed (Debian package `prometheus`: apt-get install -y prometheus)")
def test_promtool_checks_and_unit_tests_pass() -> None:
    p = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS" in p.stdout
    p = subprocess.run(["promtool", "test", "rules", "prometheus-alerts.test.yml"], cwd=DOCS, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_rules_and_dashboard_only_use_exported_metrics() -> None:
    names = exported_names()
    exprs = rule_exprs() + dashboard_exprs()
    assert len(exprs) > 20
    unknown = sorted({m for e in exprs for m in referenced(e)} - names)
    assert not unknown, f"not exported by telemetry/metrics.py: {unknown}"


def test_dashboard_json_is_importable_shape() -> None:
    dash = json.loads((DOCS / "grafana-dashboard.json").read_text())
    assert dash["uid"] and dash["panels"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for p in dash["panels"]:
        assert p["datasource"]["uid"] == "${DS_PROMETHEUS}" and p["targets"], p["title"]
    queried = {m for e in dashboard_exprs() for m in referenced(e)}
    for family in ("portfolio_realized_quote", "metrics_window_5m_realized_quote", "guard_trading_state",
                   "venue_book_age_seconds", "markout_avg_bps", "venue_ack_latency_seconds_bucket"):
        assert family in queried
