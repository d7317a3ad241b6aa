"""Backfill conversion of Lighter trades (read by venues/lighter/parse.py `account_fills`): our side from
the account ids, our role from is_maker_ask, fees in millionths of notional, ms timestamps to seconds;
ledger rows pass through normalised."""

from __future__ import annotations

from typing import Any

import pytest

from lighter_bot.records.backfill import FillsOf, convert, from_account_fill
from lighter_bot.venues.lighter import parse_trades

ME, OTHER = 366110, 91249


def ours(account_index: int) -> FillsOf:
    return lambda row: parse_trades.account_fills(row, account_index)


def from_lighter_trade(t: dict[str, Any], account_index: int) -> dict[str, Any] | None:
    """The ledger row of our side of one Lighter trade, as `metrics import-json` writes it."""
    fills = parse_trades.account_fills(t, account_index)
    return from_account_fill(fills[0]) if fills else None


def trade(ask: int, bid: int, is_maker_ask: bool, **kw: Any) -> dict[str, Any]:
    t = {"trade_id": 7, "trade_id_str": "7", "market_id": 2, "size": "0.064", "price": "170.5",
         "ask_id": 11, "ask_id_str": "11", "bid_id": 22, "bid_id_str": "22", "ask_client_id": 5, "bid_client_id": 6,
         "ask_account_id": ask, "bid_account_id": bid, "is_maker_ask": is_maker_ask, "timestamp": 1762000000123,
         "maker_fee": 28, "taker_fee": 196}
    t.update(kw)
    return t


@pytest.mark.parametrize(("ask", "bid", "maker_ask", "side", "role"), [
    (ME, OTHER, True, "ask", "maker"),
    (ME, OTHER, False, "ask", "taker"),
    (OTHER, ME, True, "bid", "taker"),
    (OTHER, ME, False, "bid", "maker"),
])
def test_side_and_role(ask: int, bid: int, maker_ask: bool, side: str, role: str) -> None:
    row = from_lighter_trade(trade(ask, bid, maker_ask), ME)
    assert row is not None
    assert (row["side"], row["role"]) == (side, role)
    assert row["timestamp"] == 1762000000.123 and row["market"] == "market:2" and row["trade_id"] == "7"
    fee_units = 28 if role == "maker" else 196
    assert float(row["fee_paid"]) == pytest.approx(0.064 * 170.5 * fee_units / 1e6)
    assert row["order_id"] == ("11" if side == "ask" else "22")
    assert float(row["base_delta"]) == (0.064 if side == "bid" else -0.064)


def test_fee_absent_means_zero_and_others_trades_are_skipped() -> None:
    t = trade(ME, OTHER, True)
    del t["maker_fee"]
    res = convert([t, trade(OTHER, 1, True), trade(ME, ME, True), {"trade_id": 9, "ask_account_id": ME}], ours(ME))
    assert [r["fee_paid"] for r in res.rows] == ["0"]
    assert res.not_ours == 1
    assert len(res.malformed) == 2  # the self-trade and the one without size/price


def test_ledger_rows_pass_through_normalised() -> None:
    old = {"timestamp": 1762000000000.0, "market": "market:2", "role": "maker", "base_delta": "-0.064",
           "size": "0.064", "price": "170", "trade_id": 5, "fee_paid": "0"}
    res = convert([old], None)
    (row,) = res.rows
    assert row["timestamp"] == 1762000000.0 and row["side"] == "ask" and row["trade_id"] == "5"
