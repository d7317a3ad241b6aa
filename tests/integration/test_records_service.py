"""The bot's records service: writes off the event loop, books only what the ledger wrote, keeps
rows queued through a failing disk and writes them once it recovers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lighter_bot.config import MetricsConfig
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.records.ledger import Ledger
from lighter_bot.records.service import RecordsService
from tests.records_support import fill_records


def cfg(root: Path) -> MetricsConfig:
    return MetricsConfig(ledger_path=str(root / "m/fills.jsonl"), archive_dir=str(root / "m/archive"),
                         positions_path=str(root / "m/positions.jsonl"))


async def _wait(cond: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond() and loop.time() < end:  # type: ignore[operator]
        await asyncio.sleep(0.02)


def test_books_only_new_fills_and_seeds_from_disk(tmp_path: Path) -> None:
    recs = fill_records(20, 1_762_000_000.0, 1.0)
    Ledger(cfg(tmp_path).ledger_path, SOL_PERP).append(recs[:10])

    async def main() -> None:
        svc = RecordsService(cfg(tmp_path), SOL_PERP, "h", "test")
        await svc.start()
        assert svc.books.totals.fills == 10  # seeded from the ledger
        svc.sink(recs[5:20])  # 5 replayed + 10 new
        await _wait(lambda: svc.rows_written == 10)
        svc.snapshot_position({"timestamp": 1.0, "market": "market:2", "position": "0", "mid": 170.0})
        await svc.close()
        assert svc.books.totals.fills == 20 and svc.rows_written == 10

    asyncio.run(main())
    assert len(Ledger(cfg(tmp_path).ledger_path).rows()) == 20
    assert (tmp_path / "m/positions.jsonl").read_text().count("\n") == 1


def test_failing_disk_keeps_rows_queued_until_it_recovers(tmp_path: Path) -> None:
    recs = fill_records(6, 1_762_000_000.0, 1.0)

    async def main() -> None:
        svc = RecordsService(cfg(tmp_path), SOL_PERP, "h", "test")
        await svc.start()
        (tmp_path / "m").rename(tmp_path / "m.away")
        (tmp_path / "m").write_text("not a directory")  # the disk "fails": every open under m/ fails
        svc.sink(recs)
        await _wait(lambda: svc.write_errors >= 1)
        assert not svc.healthy and svc.queue_depth == 6 and svc.books.totals.fills == 0
        writable, unrecorded, why = svc.ledger_status()
        assert not writable and unrecorded == 6 and "File exists" in why
        (tmp_path / "m").unlink()  # the disk "recovers"
        (tmp_path / "m.away").rename(tmp_path / "m")
        await _wait(lambda: svc.rows_written == 6, timeout=5)
        assert svc.healthy and svc.queue_depth == 0 and svc.books.totals.fills == 6
        assert svc.ledger_status() == (True, 0, "")
        await svc.close()
        assert svc.unrecorded_at_exit == 0

    asyncio.run(main())
    assert [r["trade_id"] for r in Ledger(cfg(tmp_path).ledger_path).rows()] == [f"t{i}" for i in range(6)]
