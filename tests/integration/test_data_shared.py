"""The real recordings in ../shared/data: every one replays with `backtest --data` and shows in `data info`;
the Tardis rewrite of the Binance BTCUSDT recording replays to the same rows and the same fills."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lighter_bot.cli.app import app
from lighter_bot.cli.backtest import run_one
from lighter_bot.config import merge_profile, parse_config
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.tape import Chunks

from ..unit.marketdata.tardis_convert import binance_to_tardis

pytestmark = pytest.mark.shared

# One entry per recording (a file or directory; missing parts are found beside the file). StandX: one
# hour here (the whole day takes ~1.5 min through the engine; `data info` over the day is below).
RECORDINGS = {
    "hyperliquid SOL": ["hyperliquid_perp/hl_20250904_orderbooks_SOL.csv.gz"],
    "hyperliquid BTC": ["hyperliquid_perp/hl_20250904_trades_BTC.csv.gz"],
    "lighter BTC": ["lighter_perp/lighter_20250915_prices_BTC.csv.gz"],
    "lighter ETH": ["lighter_perp/lighter_20250915_trades_ETH.csv.gz"],
    "lighter ASTER": ["lighter_perp/lighter_20250918_prices_ASTER.csv.gz", "lighter_perp/lighter_20250918_trades_ASTER.csv.gz"],
    "standx hour": ["standx_perp/orderbook_BTC-USD_2026-01-06_00.parquet"],
    "bybit SOL": ["bybit_perp"],
    "lobster AAPL": ["lobster"],
    "binance ETH": ["binance_perp/usdm_ethusdt_20240718.gz", "binance_perp/usdm_ethusdt_20240719.gz"],
}


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no config.yaml here: the built-in defaults, asked for explicitly
    monkeypatch.setenv("LIGHTER_CONFIG", "builtin-defaults")


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_every_recording_replays(name: str, shared_dir: Path, tmp_path: Path) -> None:
    files = [str(shared_dir / "data" / f) for f in RECORDINGS[name]]
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["backtest", "--data", *files, "--json-out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["events"] > 1000 and data["sim_seconds"] > 40
    assert data["max_abs_notional"] <= 1000  # caps held


def test_data_info_on_every_shared_recording(shared_dir: Path) -> None:
    d = shared_dir / "data"
    args = [str(d / x) for x in ("hyperliquid_perp", "lighter_perp", "bybit_perp", "lobster", "binance_perp")]
    res = CliRunner().invoke(app, ["data", "info", "--json", *args, str(d / "standx_perp/orderbook_BTC-USD_2026-01-06_00.parquet")])
    assert res.exit_code == 0, res.output
    infos = {(i["format"], i["instrument"]): i for i in json.loads(res.output)}
    print("\n" + "\n".join(f"{k}: spread {i['median_spread_bps']} bps, vol {i['volatility_bps_per_sqrt_s']}, "
                           f"{i['trades_per_minute']}/min, gaps {i['gaps']}" for k, i in infos.items()))
    assert len(infos) == 10
    sol = infos[("hyperliquid-csv", "SOL")]
    assert 0.4 < sol["median_spread_bps"] < 0.6 and sol["gaps"] == 1 and 2080 < sol["duration_s"] < 2095
    assert sol["dropped"]["duplicate trade ids"] == 10
    assert 1.0 < infos[("lighter-csv", "BTC")]["median_spread_bps"] < 2.5
    assert 3.0 < infos[("lighter-csv", "ETH")]["median_spread_bps"] < 6.0
    assert infos[("lighter-csv", "BTC")]["start"].startswith("2025-09-15 20:56")  # UTC (the file is UTC+2, then UTC)
    assert infos[("lighter-csv", "ASTER")]["median_spread_bps"] > 50
    assert infos[("bybit-capture", "SOLUSDT")]["trades"] == 165
    assert infos[("binance", "BTCUSDT")]["trades"] == 10701
    standx = infos[("standx-parquet", "BTC-USD")]
    assert standx["dropped"]["duplicate snapshots"] == 22352 // 2  # every snapshot row of the hour twice
    assert standx["crossed_book_samples"] == 0


def test_tardis_rewrite_of_btcusdt_replays_to_the_same_fills(shared_dir: Path, tmp_path: Path) -> None:
    d = shared_dir / "data" / "binance_perp"
    raw = [d / "usdm_btcusdt_20240718.gz", d / "usdm_btcusdt_20240719.gz"]
    a, b = replay.load(raw), replay.load(binance_to_tardis(raw, tmp_path))
    assert a.market == b.market and b.summary.format == "tardis-csv"
    rows_a, rows_b = list(rows_of(a.chunks())), list(rows_of(b.chunks()))
    assert rows_a == rows_b
    # a tight quote so the bot trades: the comparison covers fills, not only silence
    base = {"maker": {"spread_bps": 0.5, "volatility": {"enabled": False}, "edge_first": {"enabled": False}}}
    cfg = parse_config(merge_profile(base, replay.derive_profile(a.market, first_mid(rows_a, a.market, a.source))), "test")
    results = []
    for rec in (a, b):  # each streams its recording (chunk by chunk) through the tape
        r = run_one(cfg, rec.market, Chunks(rec.chunks()), STANDARD, 7, None)
        results.append((r.fills, r.volume_base, r.volume_quote, r.realized_pnl, r.max_abs_position, r.tx_sent, r.events))
    print(f"\nraw vs tardis (fills, volume, quote volume, realized, max |q|, tx, rows): {results}")
    assert results[0][0] > 10
    assert results[0] == results[1]
