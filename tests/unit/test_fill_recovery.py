"""Fills made while no bot was recording: read back from Lighter's trade history (paging, our side,
self-trades) and recorded at start (only what the ledger lacks; the position compared)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from lighter_bot.config import MetricsConfig
from lighter_bot.domain.fills import AccountFill, FillHistory
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Role, Side
from lighter_bot.errors import FatalVenueError
from lighter_bot.records.ledger import Ledger
from lighter_bot.records.recovery import MARGIN_S, recover
from lighter_bot.records.service import RecordsService
from lighter_bot.venues.lighter.recovery import fills_since

ME, OTHER = 366110, 42
T0 = 1_762_000_000.0


def trade(i: int, ts: float, bid: int = ME, ask: int = OTHER, market: int = 2) -> dict[str, Any]:
    """A trade in Lighter's REST shape (lighter-api.md 3.4): ms timestamps, decimal strings."""
    return {"trade_id": 1000 + i, "trade_id_str": str(1000 + i), "type": "trade", "market_id": market,
            "size": "0.064", "price": "170.000", "usd_amount": "10.880000", "ask_id": 2**48 + i, "bid_id": 2**49 + i,
            "ask_client_id": 7, "bid_client_id": 8, "ask_account_id": ask, "bid_account_id": bid,
            "is_maker_ask": False, "timestamp": int(ts * 1000), "maker_fee": 28}


class FakeTrades:
    """`/api/v1/trades` the way Lighter pages it: newest first, `limit` rows, an opaque next_cursor."""

    def __init__(self, trades: list[dict[str, Any]]) -> None:
        self.trades = trades
        self.calls: list[dict[str, Any]] = []

    async def get(self, endpoint: str, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        assert endpoint == "trades" and token == "tok"
        assert params["sort_by"] == "timestamp" and params["sort_dir"] == "desc" and params["limit"] == 100
        self.calls.append(params)
        rows = sorted((t for t in self.trades if t["market_id"] == params["market_id"]),
                      key=lambda t: t["timestamp"], reverse=True)
        start = int(params["cursor"] or 0)
        page = rows[start:start + params["limit"]]
        return {"code": 200, "trades": page,
                "next_cursor": str(start + len(page)) if start + len(page) < len(rows) else None}


def history(trades: list[dict[str, Any]], since: float, pages: int = 10) -> tuple[list[AccountFill], bool, str, int]:
    rest = FakeTrades(trades)
    fills, complete, note = asyncio.run(fills_since(rest, ME, 2, "tok", since, pages))  # type: ignore[arg-type]
    return fills, complete, note, len(rest.calls)


def test_pages_back_newest_first_until_the_time_asked_for() -> None:
    trades = [trade(i, T0 + i) for i in range(250)] + [trade(900, T0 + 5, market=7)]
    fills, complete, note, calls = history(trades, since=T0 + 120)
    assert complete and not note
    assert [f.trade_id for f in fills] == [str(1000 + i) for i in range(120, 250)]  # oldest first, market 2 only
    assert calls == 2  # the second page reached back before T0 + 120: no third request
    f = fills[0]
    assert (f.side, f.role, f.size, f.price, f.fee) == (Side.BID, Role.MAKER, Decimal("0.064"), Decimal("170.000"),
                                                        Decimal("0.00030464"))


def test_the_page_cap_is_reported_as_incomplete() -> None:
    fills, complete, note, calls = history([trade(i, T0 + i) for i in range(250)], since=0.0, pages=2)
    assert not complete and "2 pages" in note and calls == 2 and len(fills) == 200


def test_a_self_trade_gets_the_ids_the_live_stream_gives_its_halves() -> None:
    fills, complete, _, _ = history([trade(1, T0, bid=ME, ask=ME)], since=T0 - 1)
    assert complete and sorted(f.trade_id for f in fills) == ["1001/ask", "1001/bid"]


def _cfg(root: Path) -> MetricsConfig:
    return MetricsConfig(ledger_path=str(root / "m/fills.jsonl"), archive_dir=str(root / "m/archive"),
                         positions_path=str(root / "m/positions.jsonl"))


def _fill(i: int, ts: float, side: Side = Side.BID) -> AccountFill:
    return AccountFill(str(1000 + i), ts, 2, side, Role.MAKER, Decimal("0.064"), Decimal("170.000"),
                       Decimal("10.88"), Decimal(0), 8, str(2**49 + i), None, None)


def _seed_ledger(root: Path, n: int) -> None:
    from lighter_bot.records.backfill import from_account_fill

    rows = [from_account_fill(_fill(i, T0 + i)) | {"source": "lighter"} for i in range(n)]
    Ledger(_cfg(root).ledger_path).append_rows(rows)


class Fetch:
    def __init__(self, *answers: FillHistory | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[float] = []

    async def __call__(self, since: float) -> FillHistory:
        self.asked.append(since)
        a = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(a, Exception):
            raise a
        return a


async def _no_sleep(_: float) -> None:
    return None


def _run(root: Path, fetch: Fetch) -> tuple[Any, RecordsService]:
    async def go() -> Any:
        svc = RecordsService(_cfg(root), SOL_PERP, "h", "lighter")
        await svc.start()
        try:
            return await recover(svc, fetch, SOL_PERP, sleep=_no_sleep), svc
        finally:
            await svc.close()

    out: tuple[Any, RecordsService] = asyncio.run(go())
    return out


def test_records_only_what_the_ledger_lacks_and_agrees_with_the_exchange(tmp_path: Path) -> None:
    _seed_ledger(tmp_path, 3)  # +0.192 in the ledger; two more fills happened while the bot was down
    fetch = Fetch(FillHistory(tuple(_fill(i, T0 + i) for i in range(5)), True, 320))
    report, _ = _run(tmp_path, fetch)
    assert fetch.asked == [T0 + 2 - MARGIN_S]  # from the ledger's newest fill, less the margin
    assert (report.recorded, report.fetched, report.complete) == (2, 5, True)
    assert report.ledger_position == Decimal("0.320") == report.venue_position and report.mismatch == 0
    rows = Ledger(_cfg(tmp_path).ledger_path).rows()
    assert [r["trade_id"] for r in rows] == [str(1000 + i) for i in range(5)]
    new = rows[3:]
    assert all(r["source"] == "recovery" and r["config_hash"] is None and r["clock"] == "wall" for r in new)
    assert [r["position_after"] for r in new] == ["0.256", "0.320"]


def test_a_difference_that_stays_is_a_mismatch(tmp_path: Path) -> None:
    _seed_ledger(tmp_path, 2)
    fetch = Fetch(FillHistory(tuple(_fill(i, T0 + i) for i in range(2)), True, 200))  # the exchange says 0.2
    report, _ = _run(tmp_path, fetch)
    assert len(fetch.asked) == 2  # looked twice before calling it a mismatch
    assert report.mismatch == Decimal("0.072") and report.recorded == 0


def test_a_difference_that_a_second_look_explains_is_not_a_mismatch(tmp_path: Path) -> None:
    _seed_ledger(tmp_path, 2)
    racing = FillHistory((_fill(0, T0), _fill(1, T0 + 1)), True, 192)  # a fill landed between the two reads
    settled = FillHistory((_fill(0, T0), _fill(1, T0 + 1), _fill(2, T0 + 2)), True, 192)
    report, _ = _run(tmp_path, Fetch(racing, settled))
    assert report.mismatch == 0 and report.recorded == 1


def test_unavailable_history_is_reported_and_nothing_is_guessed(tmp_path: Path) -> None:
    _seed_ledger(tmp_path, 1)
    report, _ = _run(tmp_path, Fetch(FatalVenueError("trade history: HTTP 503")))
    assert not report.complete and "HTTP 503" in report.note and report.recorded == 0


def test_an_empty_ledger_reaches_back_to_its_first_position_snapshot(tmp_path: Path) -> None:
    from lighter_bot.records.ledger import PositionsLog

    # The first run in this folder wrote a position snapshot, then was killed before its first fill
    # reached the ledger.
    PositionsLog(_cfg(tmp_path).positions_path).append([{"timestamp": T0 - 50, "market": "market:2", "position": "0"}])
    fetch = Fetch(FillHistory((_fill(0, T0),), True, 64))
    report, _ = _run(tmp_path, fetch)
    assert fetch.asked[0] == T0 - 50 - MARGIN_S and report.recorded == 1 and report.mismatch == 0


def test_a_brand_new_folder_fetches_no_history_but_still_compares_positions(tmp_path: Path) -> None:
    fetch = Fetch(FillHistory((), True, 64))  # the account already holds 0.064 the ledger never saw
    report, _ = _run(tmp_path, fetch)
    assert fetch.asked[0] == float("inf") and report.recorded == 0 and report.mismatch == Decimal("0.064")
