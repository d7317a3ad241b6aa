"""The operator's ledger commands, run exactly as written from a deployment root:
`python scripts/metrics_tool.py dump` (also `window --hours 6`, `reset --confirm`,
`import-json --input data/metrics/backfill.json`)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lighter_bot.domain.market import SOL_PERP
from lighter_bot.records.ledger import Ledger
from tests.records_support import fill_records

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A deployment root: the scripts and the shipped config.yaml (its ledger is data/metrics/fills.jsonl)."""
    (tmp_path / "scripts").symlink_to(REPO / "scripts")
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    return tmp_path


def sh(root: Path, cmd: str, **env: str) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if k not in ("LIGHTER_CONFIG", "LIGHTER_ACCOUNT_INDEX", "ACCOUNT_INDEX")}
    argv = cmd.split()
    assert argv[0] == "python"
    return subprocess.run([sys.executable, *argv[1:]], cwd=root, capture_output=True, text=True, timeout=60,
                          env={**e, **env})


def run_json(root: Path, cmd: str) -> dict[str, Any]:
    p = sh(root, cmd)
    assert p.returncode == 0, p.stderr
    out: dict[str, Any] = json.loads(p.stdout)
    return out


def seed(root: Path) -> tuple[int, int, int]:
    """100 fills aged 28810 s .. 100 s, at least 40 s from every window edge; returns
    (total, in the last 6 h, in the last 5 min)."""
    now = time.time()
    recs = fill_records(100, now - 28810, 290.0)
    Ledger(root / "data/metrics/fills.jsonl", SOL_PERP, max_bytes=20_000).append(recs)
    in6h = sum(1 for r in recs if r.fill.ts > now - 6 * 3600)
    in5m = sum(1 for r in recs if r.fill.ts > now - 300)
    return len(recs), in6h, in5m


def test_dump_and_windows(root: Path) -> None:
    total, in6h, in5m = seed(root)
    d = run_json(root, "python scripts/metrics_tool.py dump")
    assert set(d) == {"total", "last_6h", "last_5m"}
    assert d["total"]["fills"] == total
    assert d["last_6h"]["fills"] == in6h < total
    assert d["last_5m"]["fills"] == in5m >= 1
    assert d["total"]["inventory_market_2"] == pytest.approx(d["last_6h"]["inventory_market_2"])
    assert abs(d["total"]["total_quote"] - d["total"]["realized_quote"] - d["total"]["unrealized_quote"]) < 1e-9
    w = run_json(root, "python scripts/metrics_tool.py window --hours 6")
    assert w["fills"] == in6h and w["window_seconds"] == 21600
    s = run_json(root, "python scripts/metrics_tool.py window --hours 6 --seconds 300")
    assert s["fills"] == in5m and s["window_seconds"] == 300  # seconds wins
    a = run_json(root, "python scripts/metrics_tool.py window")
    assert a["fills"] == total


def test_reset_needs_confirm_then_archives(root: Path) -> None:
    total, _, _ = seed(root)
    p = sh(root, "python scripts/metrics_tool.py reset")
    assert p.returncode == 2 and "--confirm" in p.stderr and "Traceback" not in p.stderr
    assert run_json(root, "python scripts/metrics_tool.py dump")["total"]["fills"] == total
    p = sh(root, "python scripts/metrics_tool.py reset --confirm")
    assert p.returncode == 0, p.stderr
    assert run_json(root, "python scripts/metrics_tool.py dump")["total"]["fills"] == 0
    moved = list((root / "data/metrics/archive").glob("reset-*/fills*.jsonl"))
    assert sum(len(f.read_text().splitlines()) for f in moved) == total


def test_import_json_lighter_trades_dedupes(root: Path, lighter_fixtures: Path) -> None:
    src = json.loads((lighter_fixtures / "http_recent_trades.json").read_text())
    ours = src["trades"][0]["ask_account_id"]
    mine = [t for t in src["trades"] if ours in (t["ask_account_id"], t["bid_account_id"])]
    (root / "data/metrics").mkdir(parents=True)
    shutil.copy(lighter_fixtures / "http_recent_trades.json", root / "data/metrics/backfill.json")
    cmd = "python scripts/metrics_tool.py import-json --input data/metrics/backfill.json"
    p = sh(root, cmd)
    assert p.returncode == 2 and "--account-index" in p.stderr and "Traceback" not in p.stderr
    p = sh(root, cmd, LIGHTER_ACCOUNT_INDEX=str(ours))
    assert p.returncode == 0, p.stderr
    assert f"imported {len(mine)} new" in p.stdout
    assert "imported 0 new" in sh(root, cmd, LIGHTER_ACCOUNT_INDEX=str(ours)).stdout
    rows = [json.loads(x) for x in (root / "data/metrics/fills.jsonl").read_text().splitlines()]
    assert len(rows) == len(mine)
    t0 = mine[0]
    r0 = next(r for r in rows if r["trade_id"] == t0["trade_id_str"])
    assert r0["timestamp"] == t0["timestamp"] / 1000 and r0["side"] == "ask" and r0["source"] == "backfill"
    assert r0["role"] == ("maker" if t0["is_maker_ask"] else "taker")
    assert r0["price"] == t0["price"] and r0["size"] == t0["size"]


def test_import_ws_trades_update_and_export(root: Path, lighter_fixtures: Path) -> None:
    payload = json.loads((lighter_fixtures / "ws_account_all_trades_update.json").read_text())
    trade = payload["trades"]["0"][0]
    (root / "in.json").write_text(json.dumps(payload))
    p = sh(root, f"python scripts/metrics_tool.py import-json --input in.json --account-index {trade['bid_account_id']}")
    assert p.returncode == 0, p.stderr
    d = run_json(root, "python scripts/metrics_tool.py dump")["total"]
    assert d["fills"] == 1 and d["taker_fills"] == 1  # is_maker_ask and we bid: we took
    notional = float(trade["size"]) * float(trade["price"])
    assert d["fees_paid"] == pytest.approx(notional * trade["taker_fee"] / 1e6)
    p = sh(root, "python scripts/metrics_tool.py export --output out.csv")
    assert p.returncode == 0, p.stderr
    (row,) = list(csv.DictReader((root / "out.csv").open()))
    assert row["trade_id"] == trade["trade_id_str"] and float(row["timestamp"]) == trade["timestamp"] / 1000


def test_user_mistakes_exit_2_with_one_line(root: Path) -> None:
    (root / "bad.json").write_text("{not json")
    for cmd in ("python scripts/metrics_tool.py import-json --input missing.json --account-index 1",
                "python scripts/metrics_tool.py import-json --input bad.json --account-index 1",
                "python scripts/metrics_tool.py --config nope.yaml dump"):
        p = sh(root, cmd)
        assert p.returncode == 2, (cmd, p.stderr)
        assert "Traceback" not in p.stderr and p.stderr.startswith("error:"), p.stderr


def test_odd_rows_are_counted_with_a_warning(root: Path) -> None:
    """A row with an unknown side, one without a trade id and one dated in 3000 were counted in
    silence; now each kind is named on stderr (and still counted: nothing disappears)."""
    total, _, _ = seed(root)
    ledger = root / "data/metrics/fills.jsonl"
    good = json.loads(ledger.read_text().splitlines()[0])
    odd = [{**good, "trade_id": "odd-side", "side": "buy"}, {**good, "trade_id": None},
           {**good, "trade_id": "odd-ts", "timestamp": 32_503_680_000.0}]
    with ledger.open("a") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in odd)
    p = sh(root, "python scripts/metrics_tool.py dump")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["total"]["fills"] == total + 3
    warning = next(ln for ln in p.stderr.splitlines() if ln.startswith("warning: counted, but check them"))
    assert "1 row(s) with unknown side" in warning and "1 row(s) with no trade id" in warning
    assert "1 row(s) with absurd timestamp" in warning
    clean = root / "clean"
    clean.mkdir()
    (clean / "scripts").symlink_to(REPO / "scripts")
    shutil.copy(REPO / "config.yaml", clean / "config.yaml")
    seed(clean)
    assert "warning" not in sh(clean, "python scripts/metrics_tool.py dump").stderr
