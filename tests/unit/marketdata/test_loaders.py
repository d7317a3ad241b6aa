"""Each format's loader on small synthetic files: the rows it streams and the defects it reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lighter_bot.errors import DataError
from lighter_bot.marketdata.formats import LoadOptions, open_recording
from lighter_bot.marketdata.stream import Recording, rows_of
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE, Row

from .writers import bybit_recv, hl_snapshot, write_bybit, write_gz, write_hl, write_lighter, write_standx, write_tardis


def rows(rec: Recording) -> list[Row]:
    out = list(rows_of(rec.chunks()))
    assert [r[0] for r in out] == sorted(r[0] for r in out)
    assert list(rows_of(rec.chunks())) == out  # every pass is a fresh, identical pass
    return out


def utc(s: str) -> float:
    return datetime.fromisoformat(s).replace(tzinfo=UTC).timestamp()


def test_hyperliquid_snapshots_bbo_trades_and_gaps(tmp_path: Path) -> None:
    books = [hl_snapshot(1000, 100.00, 100.01), hl_snapshot(1540, 100.01, 100.02), hl_snapshot(9000, 100.00, 100.01)]
    prices = [[1.2, 100.00, 5, "bid", 1200], [1.2, 100.02, 2, "ask", 1200]]
    trades = [[1.0, 99.9, 0.25, "sell", "x", 500],  # backfill before the first book
              [1.3, 100.01, 0.25, "buy", "a", 1300], [1.3, 100.01, 0.25, "buy", "a", 1300],  # a repeated id
              [1.3, 100.00, 0.5, "sell", "b", 1250]]  # written after a later trade
    rec = open_recording([write_hl(tmp_path, "SOL", books, prices, trades)[0]])  # the other two found beside it
    assert (rec.market.symbol, rec.market.price_decimals, rec.market.size_decimals) == ("SOL", 2, 2)
    out = rows(rec)
    first = [r for r in out if r[0] == 1.0]
    assert len(first) == 40 and {r[1] for r in first} == {DEPTH}
    assert [r for r in out if r[0] == 1.2] == [(1.2, DEPTH, BID, 10000, 500), (1.2, DEPTH, ASK, 10001, 0),
                                              (1.2, DEPTH, ASK, 10002, 200)]
    assert [r for r in out if r[1] == TRADE] == [(1.25, TRADE, ASK, 10000, 50), (1.3, TRADE, BID, 10001, 25)]
    at_154 = [r for r in out if r[0] == 1.54]
    assert at_154[0] == (1.54, DEPTH, BID, 9981, 0) and (1.54, DEPTH, BID, 10001, 100) in at_154
    assert [r for r in out if r[1] == CLEAR] == [(6.54, CLEAR, BID, 0, 0), (6.54, CLEAR, ASK, 0, 0)]
    s = rec.summary
    assert s.gaps == [(1.54, 9.0)] and s.counts["trade"] == 2
    assert s.dropped == {"trades before the first snapshot (subscription backfill)": 1, "duplicate trade ids": 1}
    assert any("found beside" in n and "trades" in n for n in s.notes)


def test_lighter_csv_time_zone_clock_change_dedupe_and_gap(tmp_path: Path) -> None:
    prices = [["2025-09-15T22:00:00.000000", 100.0, 1.0, 100.1, 2.0],
              ["2025-09-15T22:00:01.000000", 100.0, 1.0, 100.1, 2.0],  # repeats the top: the feed is alive
              ["2025-09-15T22:00:04.000000", 100.0, 1.0, 100.2, 2.0],
              ["2025-09-15T20:30:00.000000", 100.3, 1.0, 100.4, 2.0]]  # the collector restarted in UTC
    trades = [["2025-09-15T21:59:59.000000", 100.1, 0.001, "buy", 7, 10.0],
              ["2025-09-15T22:00:02.500000", 100.1, 0.001, "buy", 8, 10.0],
              ["2025-09-15T22:00:02.500000", 100.1, 0.001, "buy", 8, 10.0],
              ["2025-09-15T20:30:01.000000", 100.3, 0.002, "sell", 9, 20.0]]
    files = write_lighter(tmp_path, "20250915", "BTC", prices, trades)
    rec = open_recording(files)
    assert rec.market.market_id == 1 and rec.market.price_decimals == 1
    out = rows(rec)
    t0 = utc("2025-09-15T20:00:00")  # UTC+2 by default for the 2025-09-15 files
    assert out[:2] == [(t0, DEPTH, BID, 1000, 1000), (t0, DEPTH, ASK, 1001, 2000)]  # lot 0.001 (from the trades)
    assert (t0 + 4, DEPTH, ASK, 1001, 0) in out and (t0 + 4, DEPTH, ASK, 1002, 2000) in out
    assert [r for r in out if r[1] == TRADE] == [(t0 + 2.5, TRADE, BID, 1001, 1), (t0 + 1801, TRADE, ASK, 1003, 2)]
    assert [r for r in out if r[1] == CLEAR] == [(t0 + 9, CLEAR, BID, 0, 0), (t0 + 9, CLEAR, ASK, 0, 0)]
    s = rec.summary
    assert s.gaps == [(t0 + 4, t0 + 1800)]
    assert s.dropped == {"price rows repeating the top of book": 1, "duplicate trade ids": 1, "trades before the first book": 1}
    assert sum("shifted +2 h" in n for n in s.notes) == 2
    utc_rec = open_recording(files, LoadOptions(tz_hours=0))
    assert rows(utc_rec)[0][0] == t0 + 7200


def test_lighter_csv_needs_its_trades_file(tmp_path: Path) -> None:
    prices, trades = write_lighter(tmp_path, "20250918", "ASTER", [["2025-09-18T19:00:00", 0.67, 10, 0.68, 10]],
                                   [["2025-09-18T19:00:01", 0.675, 1.5, "buy", 1, 1.0]])
    rec = open_recording([trades])
    assert rec.source == f"{prices.name}, {trades.name}"
    assert any(f"{prices.name}: found beside {trades.name}" in n for n in rec.summary.notes)
    prices.unlink()
    with pytest.raises(DataError, match=r"lighter_20250918_trades_ASTER\.csv\.gz: needs its prices file"):
        open_recording([trades])


def test_standx_duplicates_locked_books_inferred_sides_tick_and_gap(tmp_path: Path) -> None:
    s0, s1, s2 = 1_000_000_000_000_000_000, 1_000_000_001_000_000_000, 1_000_000_011_000_000_000
    snaps = [(s0, [100.0, 99.9], [1.0, 1.0], [100.1, 100.2], [1.0, 1.0]),
             (s0, [100.0, 99.9], [1.0, 1.0], [100.1, 100.2], [1.0, 1.0]),  # every snapshot twice
             (s1, [100.1, 100.0], [1.0, 1.0], [100.1, 100.2], [0.5, 1.0]),  # locked at 100.1
             (s2, [100.0, 99.9], [1.0, 1.0], [100.1, 100.2], [1.0, 1.0])]
    trades = [(s0 + 100_000_000, 100.13, 0.0001),  # in the ask bucket: a buy, on the ask grid 100.2
              (s0 + 200_000_000, 100.04, 0.0002),  # in the bid bucket: a sell at 100.0
              (s1 + 100_000_000, 100.15, 0.0003)]  # inside the locked bucket: up-tick = a buy
    rec = open_recording(write_standx(tmp_path, "00", snaps, trades))
    out = rows(rec)
    t0, t1 = s0 / 1e9, s1 / 1e9
    assert [r for r in out if r[1] == TRADE] == [(t0 + 0.1, TRADE, BID, 1002, 1), (t0 + 0.2, TRADE, ASK, 1000, 2),
                                                (t1 + 0.1, TRADE, BID, 1002, 3)]
    locked = [r for r in out if r[0] == t1]
    assert (t1, DEPTH, ASK, 1001, 0) in locked and (t1, DEPTH, ASK, 1002, 15000) in locked
    assert (t1, DEPTH, BID, 1001, 10000) in locked
    assert [r for r in out if r[1] == CLEAR] == [(t1 + 5, CLEAR, BID, 0, 0), (t1 + 5, CLEAR, ASK, 0, 0)]
    s = rec.summary
    assert s.dropped == {"duplicate snapshots": 1}
    assert s.counts["locked snapshots (ask moved one tick up)"] == 1
    assert s.counts["trade sides from the book (quote rule)"] == 2
    assert s.counts["trade sides by the tick rule (locked bucket or mid)"] == 1
    assert s.counts["trade prices put on the book's tick"] == 3 and s.gaps == [(t1, s2 / 1e9)]


def test_tardis_incremental_snapshot_reset_and_unknown_sides(tmp_path: Path) -> None:
    from lighter_bot.marketdata.tardis import INCREMENTAL, TRADES

    book = write_tardis(tmp_path, "incremental_book_L2", INCREMENTAL, [
        [900, 900, "false", "bid", "99.5", "1"],  # before the first snapshot: skipped
        [1000, 1001, "true", "bid", "100.0", "1.5"], [1000, 1001, "true", "ask", "101.0", "2"],
        [2000, 2001, "false", "bid", "100.0", "0"], [2000, 2001, "false", "bid", "100.5", "1"],
        [3000, 3001, "true", "bid", "99.0", "1"], [3000, 3001, "true", "ask", "99.5", "1"]])  # reconnect
    write_tardis(tmp_path, "trades", TRADES, [[1500, 1501, "t1", "buy", "101.0", "0.5"],
                                               [2500, 2501, "t2", "unknown", "100.9", "0.5"]])
    rec = open_recording([book])
    out = rows(rec)
    assert out == [(0.001, CLEAR, BID, 0, 0), (0.001, CLEAR, ASK, 0, 0), (0.001, DEPTH, BID, 1000, 15),
                   (0.001, DEPTH, ASK, 1010, 20), (0.0015, TRADE, BID, 1010, 5), (0.002, DEPTH, BID, 1000, 0),
                   (0.002, DEPTH, BID, 1005, 10), (0.0025, TRADE, BID, 1009, 5),
                   (0.003, CLEAR, BID, 0, 0), (0.003, CLEAR, ASK, 0, 0), (0.003, DEPTH, BID, 990, 10),
                   (0.003, DEPTH, ASK, 995, 10)]
    s = rec.summary
    assert s.dropped == {"book updates before the first snapshot": 1}
    assert s.counts["trade sides inferred (side unknown in the file)"] == 1
    assert s.counts["book resets (a new snapshot after updates: the feed reconnected)"] == 1


def test_tardis_snapshots_and_quotes(tmp_path: Path) -> None:
    from lighter_bot.marketdata.tardis import QUOTES, TRADES, snapshot_header

    snap = write_tardis(tmp_path, "book_snapshot_5", snapshot_header(5), [
        [1000, 1000, "101", "1", "100", "2", "102", "1", "99", "1", *[""] * 12],
        [2000, 2000, "101", "3", "100", "2", *[""] * 16]])
    trades = write_tardis(tmp_path, "trades", TRADES, [[1500, 1500, "a", "sell", "100", "1"]])
    out = rows(open_recording([snap, trades]))
    assert (0.002, DEPTH, ASK, 102, 0) in out and (0.002, DEPTH, BID, 99, 0) in out and (0.002, DEPTH, ASK, 101, 3) in out
    quotes = write_tardis(tmp_path, "quotes", QUOTES, [[1000, 1000, "2", "101", "100", "3"], [2000, 2000, "2", "102", "101", "3"]],
                          symbol="ETHUSDT")
    write_tardis(tmp_path, "trades", TRADES, [[1500, 1500, "a", "buy", "101", "1"]], symbol="ETHUSDT")
    q = rows(open_recording([quotes]))
    assert q == [(0.001, DEPTH, BID, 100, 3), (0.001, DEPTH, ASK, 101, 2), (0.0015, TRADE, BID, 101, 1),
                 (0.002, DEPTH, BID, 100, 0), (0.002, DEPTH, ASK, 101, 0), (0.002, DEPTH, BID, 101, 3),
                 (0.002, DEPTH, ASK, 102, 2)]


def test_bybit_linear_only_update_id_breaks_and_spec(tmp_path: Path) -> None:
    info = {"retCode": 0, "result": {"list": [{"symbol": "SOLUSDT", "priceFilter": {"tickSize": "0.010"},
                                               "lotSizeFilter": {"qtyStep": "0.1", "minOrderQty": "0.1", "minNotionalValue": "5"}}]}}

    def ob(kind: str, u: int, ms: int, b: list[list[str]], a: list[list[str]]) -> dict[str, object]:
        return {"topic": "orderbook.200.SOLUSDT", "type": kind, "ts": ms, "cts": ms - 1, "data": {"s": "SOLUSDT", "b": b, "a": a, "u": u}}

    trade = {"topic": "publicTrade.SOLUSDT", "type": "snapshot", "ts": 1200,
             "data": [{"T": 1150, "s": "SOLUSDT", "S": "Sell", "v": "2.5", "p": "77.300", "i": "x1"}]}
    path = write_bybit(tmp_path / "BYBIT_cap.jsonl.zst", [
        {"t": "http", "conn": "h", "ts": 1.0, "url": "https://api.bybit.com/v5/market/instruments-info?category=linear", "data": json_dumps(info)},
        {"t": "connect", "conn": "ws.2", "ts": 1.0, "addr": "wss://stream.bybit.com/v5/public/linear"},
        {"t": "connect", "conn": "ws.3", "ts": 1.0, "addr": "wss://stream.bybit.com/v5/public/spot"},
        bybit_recv("ws.3", 1.05, ob("snapshot", 500, 1001, [["50.000", "9"]], [["60.000", "9"]])),  # spot: ignored
        bybit_recv("ws.2", 1.1, ob("snapshot", 1, 1001, [["77.300", "10"]], [["77.310", "5"]])),
        bybit_recv("ws.2", 1.2, ob("delta", 2, 1101, [["77.300", "0"]], [])),
        bybit_recv("ws.2", 1.25, trade),
        bybit_recv("ws.2", 1.3, ob("delta", 4, 1201, [["77.290", "3"]], [])),  # u skipped 3: lost updates
        bybit_recv("ws.2", 1.4, ob("delta", 5, 1301, [["77.280", "3"]], [])),
        bybit_recv("ws.2", 1.5, ob("snapshot", 9, 1401, [["77.290", "4"]], [["77.300", "1"]]))])
    rec = open_recording([path])
    assert (rec.market.price_decimals, rec.market.size_decimals, str(rec.market.min_quote)) == (2, 1, "5")
    assert rows(rec) == [(1.0, CLEAR, BID, 0, 0), (1.0, CLEAR, ASK, 0, 0), (1.0, DEPTH, BID, 7730, 100),
                         (1.0, DEPTH, ASK, 7731, 50), (1.1, DEPTH, BID, 7730, 0), (1.15, TRADE, ASK, 7730, 25),
                         (1.2, CLEAR, BID, 0, 0), (1.2, CLEAR, ASK, 0, 0),
                         (1.4, CLEAR, BID, 0, 0), (1.4, CLEAR, ASK, 0, 0), (1.4, DEPTH, BID, 7729, 40),
                         (1.4, DEPTH, ASK, 7730, 10)]
    s = rec.summary
    assert s.dropped == {"messages of non-linear connections (spot)": 1, "book deltas before a snapshot": 1}
    with pytest.raises(DataError, match=r"no orderbook\.200\.DOGEUSDT messages .*SOLUSDT"):
        open_recording([path], LoadOptions(symbol="DOGEUSDT"))


def json_dumps(obj: object) -> str:
    import json

    return json.dumps(obj)


def test_lobster_executions_and_truncation(tmp_path: Path) -> None:
    name = "AAPL_2012-06-21_34200000_57600000_{}_1.csv"
    msg = tmp_path / name.format("message")
    book = tmp_path / name.format("orderbook")
    msg.write_text("34200.5,1,11,100,5853300,1\n34201.0,4,7,40,5859400,-1\n34202.0,3,11,100,5853300,1\n")
    book.write_text("5859400,200,5853300,100\n5859400,160,5853300,100\n5859400,160,-9999999999,0\n")
    rec = open_recording([msg])
    t0 = datetime(2012, 6, 21, 13, 30, tzinfo=UTC).timestamp()  # 09:30 New York (EDT)
    assert rows(rec) == [(t0 + 0.5, DEPTH, BID, 58533, 100), (t0 + 0.5, DEPTH, ASK, 58594, 200),
                         (t0 + 1, TRADE, BID, 58594, 40), (t0 + 1, DEPTH, ASK, 58594, 160),
                         (t0 + 2, DEPTH, BID, 58533, 0)]
    book.write_text("5859400,200,5853300,100\n5859400,160,5853300,100\n")
    with pytest.raises(DataError, match=r"orderbook_1\.csv: ends at line 2 but .*message_1\.csv goes on \(truncated\)"):
        rows(open_recording([msg]))


def test_bad_files_get_one_error_naming_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: empty file"):
        open_recording([empty])
    good = write_hl(tmp_path, "SOL", [hl_snapshot(1000, 100.0, 100.01)], [], [[1.0, 100.0, 0.25, "buy", "a", 1100]])
    cut = tmp_path / "hl_20250904_orderbooks_ETH.csv.gz"
    cut.write_bytes(good[0].read_bytes()[:-20])
    write_gz(tmp_path / "hl_20250904_trades_ETH.csv.gz", ["timestamp", "price", "size", "side", "trade_id", "exchange_timestamp"], [])
    with pytest.raises(DataError, match=r"orderbooks_ETH\.csv\.gz: cannot read .*truncated"):
        rows(open_recording([cut]))
    xrp = write_hl(tmp_path, "XRP", [hl_snapshot(1000, 2.5, 2.51)], [], [[1.0, 2.5, 1.0, "buy", "a"]])  # a short line
    with pytest.raises(DataError, match=r"trades_XRP\.csv\.gz:2: 5 fields, expected 6"):
        rows(open_recording([xrp[0]]))
    lighter = write_lighter(tmp_path, "20250918", "SOL", [["2025-09-18T19:00:00", 100, 1, 101, 1]], [])
    with pytest.raises(DataError, match=r"mix formats or instruments: hyperliquid SOL .*lighter-csv SOL"):
        open_recording([good[0], lighter[0]])
    with pytest.raises(DataError, match=r"mix formats or instruments: hyperliquid SOL .*hyperliquid ETH"):
        open_recording([good[0], cut])


def test_seen_trade_ids_drop_repeats_within_a_bounded_window() -> None:
    from lighter_bot.marketdata.base import SeenTradeIds

    ids = SeenTradeIds(capacity=2)
    assert ids.first_time("a") and ids.first_time("b")
    assert not ids.first_time("a")  # a repeat is dropped
    assert ids.first_time("c")  # the window holds 2: "a" is forgotten
    assert ids.first_time("a") and not ids.first_time("c")
