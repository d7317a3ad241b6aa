"""Accounting properties: average cost with fees, never cash flow, windows partition the total."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.records.accounting import Accountant, LedgerFill

fills_st = st.lists(
    st.tuples(
        st.sampled_from(["bid", "ask"]),
        st.integers(1, 500).map(lambda x: x / 100),
        st.integers(15_000, 18_000).map(lambda x: x / 100),
        st.integers(-50, 300).map(lambda x: x / 10_000),
        st.sampled_from(["maker", "taker"]),
    ),
    min_size=1,
    max_size=60,
)


def _fills(spec: list[tuple[str, float, float, float, str]]) -> list[LedgerFill]:
    return [LedgerFill(float(i), "market:2", role, side, size, price, fee, None, f"t{i}", None, "x")
            for i, (side, size, price, fee, role) in enumerate(spec)]


@settings(max_examples=200, deadline=None)
@given(fills_st, st.integers(15_000, 18_000).map(lambda x: x / 100))
def test_realized_plus_unrealized_equals_cash_plus_inventory_value(spec: list[tuple[str, float, float, float, str]],
                                                                    mark: float) -> None:
    acc = Accountant()
    fills = _fills(spec)
    acc.extend(fills)
    cash = sum(-f.signed * f.price for f in fills) - sum(f.fee for f in fills)
    qty = sum(f.signed for f in fills)
    total = acc.totals.realized_quote + acc.unrealized({"market:2": mark})
    assert abs(total - (cash + qty * mark)) < 1e-6
    assert abs(acc.positions["market:2"].qty - qty) < 1e-9


@settings(max_examples=100, deadline=None)
@given(fills_st, st.integers(0, 60))
def test_windows_partition_the_total(spec: list[tuple[str, float, float, float, str]], cut: int) -> None:
    acc = Accountant()
    acc.extend(_fills(spec))
    a, b = acc.window(None, cut - 0.5), acc.window(cut - 0.5, None)
    assert a.fills + b.fills == acc.totals.fills
    assert abs(a.realized_quote + b.realized_quote - acc.totals.realized_quote) < 1e-9
    assert abs(a.maker_volume + b.maker_volume - acc.totals.maker_volume) < 1e-9


def test_buying_alone_realizes_only_fees() -> None:
    acc = Accountant()
    acc.extend(_fills([("bid", 1.0, 170.0, 0.01, "maker"), ("bid", 1.0, 160.0, 0.01, "maker")]))
    assert acc.totals.realized_quote == -0.02  # the old bot called -330 of cash flow "PnL"
    snap = acc.snapshot({"market:2": 168.0})
    assert snap["inventory_market_2"] == 2.0 and snap["avg_entry_market_2"] == 165.0
    assert abs(snap["unrealized_quote"] - 6.0) < 1e-9


def test_round_trip_realizes_the_edge_minus_fees() -> None:
    acc = Accountant()
    acc.extend(_fills([("bid", 0.5, 170.0, 0.0, "maker"), ("ask", 0.5, 170.2, 0.02, "taker")]))
    assert abs(acc.totals.realized_quote - (0.1 - 0.02)) < 1e-9
    assert acc.totals.hedger_volume == 0.5 * 170.2  # a taker fill of unknown purpose is a hedge
    assert acc.positions["market:2"].qty == 0.0
