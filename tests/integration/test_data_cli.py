"""`lighter-bot data info` and `backtest --data` on synthetic files: output, JSON, and one clear error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lighter_bot.cli.app import app

from ..unit.marketdata.writers import hl_snapshot, write_hl, write_lighter


def hl(tmp_path: Path, coin: str = "SOL") -> list[Path]:
    books = [hl_snapshot(1000 + 500 * i, 100.00, 100.02) for i in range(200)]
    trades = [[1.0, 100.02 if i % 2 else 100.0, 0.25, "buy" if i % 2 else "sell", f"t{i}", 1100 + 500 * i] for i in range(199)]
    return write_hl(tmp_path, coin, books, [], trades)


def test_info_text_and_json(tmp_path: Path) -> None:
    files = hl(tmp_path)
    res = CliRunner().invoke(app, ["data", "info", str(files[0])])
    assert res.exit_code == 0, res.output
    assert "SOL (hyperliquid-csv): tick 0.01" in res.output and "median 2.000 bps" in res.output
    res = CliRunner().invoke(app, ["data", "info", "--json", str(tmp_path)])
    (info,) = json.loads(res.output)
    assert info["trades"] == 199 and info["median_trade_base"] == 0.25 and info["gaps"] == 0
    assert info["duration_s"] == 99.1 and info["trades_per_minute"] > 100


def test_errors_exit_2_naming_the_file(tmp_path: Path) -> None:
    files = hl(tmp_path)
    lighter = write_lighter(tmp_path, "20250918", "ASTER", [["2025-09-18T19:00:00", 0.67, 10, 0.68, 10]],
                            [["2025-09-18T19:00:01", 0.675, 1.5, "buy", 1, 1.0]])
    cut = tmp_path / "hl_20250904_orderbooks_BTC.csv.gz"
    cut.write_bytes(files[0].read_bytes()[:200])
    (tmp_path / "hl_20250904_trades_BTC.csv.gz").write_bytes(files[2].read_bytes())
    for args, needle in [
        (["data", "info", str(tmp_path / "nope.csv")], "nope.csv: file not found"),
        (["data", "info", str(cut)], "orderbooks_BTC.csv.gz: cannot read"),
        (["backtest", "--data", str(files[0]), "--data", str(lighter[0])], "the files mix formats or instruments"),
        (["backtest", "--data", str(cut)], "orderbooks_BTC.csv.gz: cannot read"),
    ]:
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert needle in res.output and "Traceback" not in res.output
