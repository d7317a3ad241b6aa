"""Ledger storage: torn-line repair, dedupe across archives, rotation, reset, old ms timestamps."""

from __future__ import annotations

import json
from pathlib import Path

from lighter_bot.domain.market import SOL_PERP
from lighter_bot.records.accounting import build
from lighter_bot.records.ledger import Ledger, PositionsLog
from tests.records_support import fill_records, rows


def test_rows_have_seconds_and_exact_decimals(tmp_path: Path) -> None:
    led = Ledger(tmp_path / "fills.jsonl", SOL_PERP, "abc", "sim")
    rec = fill_records(1, 1_762_000_000.25, 1.0)[0]
    assert led.append([rec]) == 1
    (row,) = led.rows()
    assert row["timestamp"] == 1_762_000_000.25
    assert row["market"] == "market:2" and row["config_hash"] == "abc" and row["source"] == "sim"
    assert row["trade_id"] == "t0" and row["client_order_id"] == 1000
    size, price = SOL_PERP.lots_to_size(rec.fill.size), SOL_PERP.ticks_to_price(rec.fill.price)
    assert row["size"] == str(size) and row["price"] == str(price)
    assert row["notional"] == str(size * price)
    assert float(row["base_delta"]) * float(row["quote_delta"]) < 0


def test_torn_last_line_is_truncated_on_open_and_reported(tmp_path: Path) -> None:
    p = tmp_path / "fills.jsonl"
    led = Ledger(p, SOL_PERP)
    led.append(fill_records(3, 1000.0, 1.0))
    good = p.read_bytes()
    torn = json.dumps(rows(fill_records(4, 1000.0, 1.0))[3]).encode()[:57]
    with p.open("ab") as fh:
        fh.write(torn)  # what a crash between two halves of a write would leave
    again = Ledger(p, SOL_PERP)
    assert again.repaired_bytes == len(torn)
    assert p.read_bytes() == good
    assert len(again.rows()) == 3 and again.bad_lines == 0
    assert again.append(fill_records(4, 1000.0, 1.0)) == 1  # only t3 is new


def test_dedupe_by_trade_id_across_rotations_and_restarts(tmp_path: Path) -> None:
    p = tmp_path / "fills.jsonl"
    recs = fill_records(60, 1000.0, 1.0)
    led = Ledger(p, SOL_PERP, max_bytes=3000)
    for i in range(0, 60, 5):
        assert led.append(recs[i : i + 5]) == 5
    assert len(led.file.archives()) >= 3
    assert led.append(recs) == 0  # a full replay after a reconnect
    restarted = Ledger(p, SOL_PERP, max_bytes=3000)
    assert restarted.append(recs[:10]) == 0
    assert restarted.append_rows(rows(recs[:2]) + rows(recs[:2])) == 0
    ids = [r["trade_id"] for r in restarted.rows()]
    assert sorted(ids) == sorted(f"t{i}" for i in range(60))
    assert all(f.stat().st_size <= 3000 for f in restarted.file.files())


def test_windows_are_right_across_a_rotation(tmp_path: Path) -> None:
    now = 1_762_000_000.0
    recs = fill_records(420, now - 7 * 3600, 60.0)  # one fill a minute for 7 hours
    led = Ledger(tmp_path / "fills.jsonl", SOL_PERP, max_bytes=20_000)
    for i in range(0, len(recs), 11):
        led.append(recs[i : i + 11])
    assert len(led.file.archives()) >= 5
    acc, bad = build(led.rows())
    assert bad == 0
    ts = [r.fill.ts for r in recs]
    end = ts[-1]
    for seconds in (300.0, 21600.0):
        w = acc.window(end - seconds, end)
        inside = [r for r in recs if end - seconds < r.fill.ts <= end]
        assert w.fills == len(inside) > 0
        vol = sum(SOL_PERP.notional(r.fill.price, r.fill.size) for r in inside)
        assert abs(w.maker_volume + w.taker_volume - vol) < 1e-6
        assert abs(w.fees_paid - sum(r.fill.fee for r in inside)) < 1e-9
    # the window's realized PnL uses the average cost carried in from before the window
    all_time = acc.window(None, None)
    early = acc.window(None, end - 21600)
    late = acc.window(end - 21600, end)
    assert abs(early.realized_quote + late.realized_quote - all_time.realized_quote) < 1e-9


def test_reset_moves_the_generation_aside(tmp_path: Path) -> None:
    p = tmp_path / "fills.jsonl"
    led = Ledger(p, SOL_PERP, max_bytes=3000)
    recs = fill_records(30, 1000.0, 1.0)
    for i in range(0, 30, 3):
        led.append(recs[i : i + 3])
    dest = led.reset()
    assert dest is not None and dest.parent == tmp_path / "archive"
    assert not p.exists() and led.file.archives() == []
    assert len(list(dest.glob("fills*.jsonl"))) >= 2
    fresh = Ledger(p, SOL_PERP, max_bytes=3000)
    assert fresh.rows() == [] and len(fresh) == 0
    assert fresh.append(fill_records(2, 2000.0, 1.0)) == 2


def test_old_ledger_millisecond_timestamps_are_read_as_seconds(tmp_path: Path) -> None:
    p = tmp_path / "fills.jsonl"
    row = rows(fill_records(1, 1_762_000_000.0, 1.0))[0]
    row["timestamp"] = 1_762_000_000_000.0
    row["trade_id"] = 123
    p.write_text(json.dumps(row) + "\n")
    acc, _ = build(Ledger(p).rows())
    assert acc.totals.first_ts == 1_762_000_000.0
    assert Ledger(p).append_rows([{**row, "trade_id": "123"}]) == 0


def test_positions_log_appends(tmp_path: Path) -> None:
    pl = PositionsLog(tmp_path / "positions.jsonl")
    pl.append([{"timestamp": 1.0, "market": "market:2", "position": "0.064"}])
    pl.append([{"timestamp": 2.0, "market": "market:2", "position": "0"}])
    assert [r["timestamp"] for r in pl.rows()] == [1.0, 2.0]
