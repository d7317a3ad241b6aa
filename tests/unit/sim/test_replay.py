"""Replay loaders: Binance raw (snapshot + diff sync), hftbacktest .npz, Lighter recordings; errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import zstandard

from lighter_bot.config import BotConfig, merge_profile
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.errors import DataError
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE


def write_binance(path: Path, lines: list[str]) -> Path:
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def diff(u_first: int, u: int, pu: int, t: int, bids: list[list[str]], asks: list[list[str]]) -> str:
    d = {"e": "depthUpdate", "E": t, "T": t, "s": "BTCUSDT", "U": u_first, "u": u, "pu": pu, "b": bids, "a": asks}
    return f"{t * 1_000_000} " + json.dumps({"stream": "btcusdt@depth@0ms", "data": d})


def snap(last: int, t: int) -> str:
    return f"{t * 1_000_000} " + json.dumps({"lastUpdateId": last, "E": t, "T": t,
                                             "bids": [["100.0", "1.000"], ["99.9", "2.000"]],
                                             "asks": [["100.1", "1.500"]]})


def trade(t: int, tid: int, px: str, q: str, buyer_maker: bool) -> str:
    d = {"e": "trade", "E": t, "T": t, "s": "BTCUSDT", "t": tid, "p": px, "q": q, "m": buyer_maker}
    return f"{t * 1_000_000} " + json.dumps({"stream": "btcusdt@trade", "data": d})


def test_binance_sync_drops_old_diffs_orders_by_exchange_time(tmp_path: Path) -> None:
    lines = [
        diff(1, 5, 0, 1000, [["100.0", "9.000"]], []),  # before the snapshot: dropped (u < lastUpdateId)
        snap(10, 1005),
        diff(6, 12, 5, 1010, [["100.0", "0.500"]], [["100.2", "3.000"]]),  # bridges lastUpdateId=10
        trade(1012, 1, "100.1", "0.250", False),  # buyer is taker
        diff(13, 15, 12, 1011, [["99.9", "0"]], []),  # arrives after the trade but happened before it
    ]
    rep = replay.load([write_binance(tmp_path / "usdm_btcusdt_x.gz", lines)])
    assert rep.market.symbol == "BTCUSDT" and rep.market.price_decimals == 1
    rows = list(rows_of(rep.chunks()))
    kinds = [(r[1], r[2], r[3], r[4]) for r in rows]
    assert kinds[:2] == [(CLEAR, BID, 0, 0), (CLEAR, ASK, 0, 0)]
    assert (DEPTH, BID, 1000, 500) in kinds and (DEPTH, BID, 1000, 9000) not in kinds
    assert kinds[-2:] == [(DEPTH, BID, 999, 0), (TRADE, BID, 1001, 250)]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert rep.summary.dropped == {"depth diffs before the snapshot (u < lastUpdateId)": 1}


def test_binance_gap_and_missing_snapshot_are_named(tmp_path: Path) -> None:
    gap = [snap(10, 1005), diff(6, 12, 5, 1010, [], []), diff(14, 15, 13, 1011, [], [])]
    with pytest.raises(DataError, match=r"gap\.gz:3: gap in depth diffs"):
        list(replay.load([write_binance(tmp_path / "gap.gz", gap)]).chunks())
    with pytest.raises(DataError, match="no REST depth snapshot"):
        list(replay.load([write_binance(tmp_path / "nosnap.gz", [diff(6, 12, 5, 1010, [], [])])]).chunks())


def test_bad_paths_and_formats_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"missing\.gz: file not found"):
        replay.load([tmp_path / "missing.gz"])
    junk = tmp_path / "junk.txt"
    junk.write_text("hello world\n")
    with pytest.raises(DataError, match=r"junk\.txt: unknown data format"):
        replay.load([junk])
    bad_gz = tmp_path / "bad.gz"
    bad_gz.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"bad\.gz: cannot read"):
        replay.load([bad_gz])
    bad_npz = tmp_path / "bad.npz"
    bad_npz.write_bytes(b"nope")
    with pytest.raises(DataError, match=r"bad\.npz: not a readable \.npz"):
        replay.load([bad_npz])


def test_npz_round_trip_keeps_every_row(tmp_path: Path) -> None:
    lines = [snap(10, 1005), diff(6, 12, 5, 1010, [["100.0", "0.500"]], []), trade(1012, 1, "100.1", "0.250", True)]
    rep = replay.load([write_binance(tmp_path / "usdm_btcusdt_y.gz", lines)])
    out = tmp_path / "usdm_btcusdt_y.npz"
    replay.save_npz(rep, out)
    arr = np.load(out)["data"]
    rows = list(rows_of(rep.chunks()))
    assert arr.dtype == replay.HBT_DTYPE and len(arr) == len(rows)
    back = replay.load([out])
    assert list(rows_of(back.chunks())) == rows and back.market == rep.market


def test_lighter_recording_from_real_frames(tmp_path: Path, lighter_fixtures: Path) -> None:
    sub = json.loads((lighter_fixtures / "ws_order_book_subscribed.json").read_text())
    upd = json.loads((lighter_fixtures / "ws_order_book_update.json").read_text())
    upd["order_book"]["asks"] = [{"price": "2330.00", "size": "1.5000"}]
    trd = json.loads((lighter_fixtures / "ws_trade_update.json").read_text())
    trd["trades"] = trd["trades"][:1]
    trd["trades"][0]["price"] = "2325.00"
    frames = [{"ts": 100.0, "frame": {"type": "connected"}}, {"ts": 100.5, "frame": sub},
              {"ts": 101.0, "frame": upd}, {"ts": 101.2, "frame": trd}]
    path = tmp_path / "rec.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress("\n".join(json.dumps(f) for f in frames).encode()))
    rep = replay.load([path])
    assert (rep.market.market_id, rep.market.price_decimals, rep.market.size_decimals) == (0, 2, 4)
    rows = list(rows_of(rep.chunks()))
    assert rows[:2] == [(100.5, CLEAR, BID, 0, 0), (100.5, CLEAR, ASK, 0, 0)]
    assert (101.0, DEPTH, ASK, 233000, 15000) in rows
    is_maker_ask = trd["trades"][0]["is_maker_ask"]
    assert rows[-1] == (101.2, TRADE, BID if is_maker_ask else ASK, 232500, 1336)


def test_derived_profile_sizes_meet_the_minimum_value_and_validate() -> None:
    prof = replay.derive_profile(SOL_PERP, 170.0)
    m = prof["maker"]
    assert m["size_min"] * 170.0 >= 10.0 * 1.05 - 1e-9 and m["size_min"] >= 0.061
    assert m["size_min"] <= m["size"] <= m["size_max"]
    cfg = BotConfig.model_validate(merge_profile({}, prof))
    assert cfg.maker.size_min == m["size_min"] and cfg.maker.market_id == 2


def test_shared_binance_btcusdt_replays_whole(shared_dir: Path) -> None:
    d = shared_dir / "data" / "binance_perp"
    rep = replay.load([d / "usdm_btcusdt_20240718.gz", d / "usdm_btcusdt_20240719.gz"])
    rows = list(rows_of(rep.chunks()))
    assert 400_000 < len(rows) < 430_000  # hftbacktest's converter gives ~413k rows
    assert sum(1 for r in rows if r[1] == TRADE) == 10701 == rep.summary.counts["trade"]
    assert 470 < rows[-1][0] - rows[0][0] < 490
    assert 63_800 < first_mid(rows, rep.market, rep.source) < 64_000
