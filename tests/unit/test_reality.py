"""The reality check's yardstick: markouts computed right, the probe quotes where it says, fill rates
fall with distance on any market."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from lighter_bot.backtest.probe import TOUCH, ProbeCore
from lighter_bot.backtest.reality import markouts
from lighter_bot.cli.app import app
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import ModifyOrder, PlaceOrder
from lighter_bot.domain.events import BookUpdate, OrderAccepted
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Side


def test_markouts_by_hand() -> None:
    mid_t = np.array([0.0, 1.0, 5.0, 30.0])
    mid = np.array([100.0, 100.1, 99.9, 100.5])
    # a bid filled at 99.99 at t=0.5 (mid then 100.0) and an ask filled at 100.2 at t=2 (mid 100.1)
    edges, mo = markouts([(0.5, 1, 99.99), (2.0, -1, 100.2)], mid_t, mid, (1.0, 5.0, 60.0))
    assert edges == pytest.approx([(100.0 - 99.99) / 99.99 * 1e4, -(100.1 - 100.2) / 100.2 * 1e4])
    assert mo[1.0] == pytest.approx([(100.1 - 99.99) / 99.99 * 1e4, -(100.1 - 100.2) / 100.2 * 1e4])
    assert mo[5.0] == pytest.approx([(99.9 - 99.99) / 99.99 * 1e4, -(99.9 - 100.2) / 100.2 * 1e4])
    assert mo[60.0] == []  # past the end of the data: left out, not counted as zero


@given(st.integers(100_000, 200_000), st.integers(1, 400), st.sampled_from([TOUCH, 1.0, 2.0, 3.5, 6.5, 10.0]))
def test_probe_quotes_at_its_distance_and_never_crosses(bid: int, spread: int, d: float) -> None:
    ask = bid + spread
    core = ProbeCore(SOL_PERP, d, 64, 60)
    cmds = core.on_event(BookUpdate(1.0, BookView(((bid, 5000),), ((ask, 5000),))))
    places = {c.side: c for c in cmds if isinstance(c, PlaceOrder)}
    assert set(places) == {Side.BID, Side.ASK}
    b, a = places[Side.BID].price, places[Side.ASK].price
    assert b < ask and a > bid  # post-only never at or through the other side
    mid = (bid + ask) / 2
    if d == TOUCH:
        assert (b, a) == (bid, ask)
    else:
        off = mid * d / 1e4
        assert b <= mid - off or b == ask - 1
        assert a >= mid + off or a == bid + 1
        assert b > mid - off - 1 or b == ask - 1
        assert a < mid + off + 1 or a == bid + 1


def test_probe_requotes_when_the_mid_moves_and_keeps_its_budget() -> None:
    core = ProbeCore(SOL_PERP, 2.0, 64, 60)
    first = core.on_event(BookUpdate(0.0, BookView(((170_000, 5000),), ((170_010, 5000),))))
    for c in first:
        core.on_event(OrderAccepted(0.3, c.client_id))
    assert core.on_event(BookUpdate(0.5, BookView(((170_001, 5000),), ((170_011, 5000),)))) == []  # < 0.5 bps
    moved = core.on_event(BookUpdate(1.0, BookView(((170_100, 5000),), ((170_110, 5000),))))
    assert {type(c) for c in moved} == {ModifyOrder}
    sent = 2 + len(moved)
    for k in range(400):  # a mid that moves every 100 ms for 40 s: never more than the allowance per minute
        t = 1.1 + k * 0.1
        for c in core.on_event(BookUpdate(t, BookView(((170_000 + 60 * (k % 2), 5000),), ((170_010 + 60 * (k % 2), 5000),)))):
            core.on_event(OrderAccepted(t, c.client_id))  # type: ignore[union-attr]
            sent += 1
    assert sent <= 60


@pytest.mark.slow
def test_reality_cli_on_a_scenario(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    html = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["reality", "--scenario", "calm", "--duration", "300", "--json-out", str(out),
                                   "--html", str(html)])
    assert res.exit_code == 0, res.output
    assert "markout 30 s" in res.output
    [r] = json.loads(out.read_text())
    rates = [c["fills_per_hour"] for c in r["curves"]]
    assert len(rates) == 6 and rates[0] > 0
    assert all(a >= b for a, b in itertools.pairwise(rates[1:]))  # deeper quotes fill less often
    assert not math.isnan(r["market"]["vol_bps_per_sqrt_s"])
    assert "plotly" in html.read_text()


def test_reality_cli_refuses_nothing_and_unknown() -> None:
    assert CliRunner().invoke(app, ["reality"]).exit_code == 2
    res = CliRunner().invoke(app, ["reality", "--scenario", "nope"])
    assert res.exit_code == 2 and "unknown scenario" in res.output
