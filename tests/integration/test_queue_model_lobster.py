"""The L2 queue model against exact queue positions from LOBSTER's order-by-order AAPL sample.

For every order added in the sample we know its true position (the visible size at its price when it
arrived, minus what was later cancelled or executed ahead of it, FIFO). The model only sees what an
L2 feed shows (level sizes and trades at the price) and estimates the same quantity. The mean error
(in shares, and relative to the queue at arrival) is written to the test report.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from lighter_bot.venues.sim.queue import QueueModel, QueuePos

ADD, PARTIAL, DELETE, EXEC, HIDDEN = 1, 2, 3, 4, 5


def load(root: Path) -> tuple[list[list[float]], list[list[int]]]:
    d = root / "data" / "lobster"
    msg = next(d.glob("*_message_10.csv"))
    book = next(d.glob("*_orderbook_10.csv"))
    with msg.open() as fh:
        messages = [[float(x) for x in row] for row in csv.reader(fh)]
    with book.open() as fh:
        books = [[int(x) for x in row] for row in csv.reader(fh)]
    return messages, books


def level(book_row: list[int], is_bid: bool, price: int) -> int | None:
    """Visible size at `price` (0 if inside the 10 levels but absent; None if beyond them)."""
    off = 2 if is_bid else 0
    prices = [book_row[4 * i + off] for i in range(10)]
    for i, p in enumerate(prices):
        if p == price:
            return book_row[4 * i + off + 1]
    worst = min(prices) if is_bid else max(prices)
    return 0 if (price > worst if is_bid else price < worst) else None


def track(messages: list[list[float]], books: list[list[int]], model: QueueModel) -> list[tuple[float, float]]:
    """(exact ahead, estimated ahead) at every message touching a tracked order's price."""
    samples: list[tuple[float, float]] = []
    added_at: dict[int, int] = {}  # order id -> message index of its add
    for i, msg in enumerate(messages):
        if int(msg[1]) == ADD:
            added_at[int(msg[2])] = i
    for i, (_, typ, oid, size, price, direction) in enumerate(messages):
        if int(typ) != ADD or i == 0:
            continue
        me, p, is_bid = int(oid), int(price), direction > 0
        before = level(books[i - 1], is_bid, p)
        if before is None:
            continue
        exact = float(before)
        mine = int(size)
        q = QueuePos(float(before))
        prev_other = float(before)
        for j in range(i + 1, len(messages)):
            _, t2, o2, s2, p2, d2 = messages[j]
            if int(p2) != p or (d2 > 0) != is_bid or int(t2) == HIDDEN:
                continue
            o2, s2, t2 = int(o2), int(s2), int(t2)
            lvl = level(books[j], is_bid, p)
            if lvl is None:
                break
            if o2 == me:
                if t2 in (DELETE, EXEC) and s2 >= mine:
                    break
                mine -= s2
            elif t2 in (PARTIAL, DELETE, EXEC) and added_at.get(o2, -1) < i:
                exact -= s2  # that order was ahead of us (FIFO)
            if t2 == EXEC and o2 != me:
                model.on_trade(q, float(s2))
            other = float(lvl - mine)
            model.on_depth(q, prev_other, other)
            prev_other = other
            samples.append((exact, q.ahead))
    return samples


@pytest.mark.parametrize("kind,power", [("power", 1.0), ("power", 2.0), ("power", 3.0), ("risk_averse", 1.0)])
def test_queue_model_against_exact_lobster_positions(shared_dir: Path, kind: str, power: float,
                                                     request: Any) -> None:
    messages, books = load(shared_dir)
    samples = track(messages, books, QueueModel(kind, power))
    assert len(samples) > 200
    assert all(e >= 0 for e, _ in samples)  # the reconstruction itself is consistent
    mae = sum(abs(e - m) for e, m in samples) / len(samples)
    mean_exact = sum(e for e, _ in samples) / len(samples)
    rel = mae / mean_exact
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    line = (f"LOBSTER queue model {kind}(n={power:g}): {len(samples)} samples, mean |error| {mae:.1f} shares "
            f"= {rel:.1%} of the mean true queue ahead ({mean_exact:.1f})")
    if tr is not None:
        tr.write_line(line)
    request.node.user_properties.append(("lobster_queue_error", line))
    # The probabilistic models must do clearly better than knowing nothing (error ~ the queue itself).
    assert rel < 0.2, line
