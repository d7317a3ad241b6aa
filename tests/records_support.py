"""Test helpers for the records area: deterministic fills, FillRecords and ledger rows."""

from __future__ import annotations

import random
from typing import Any

from lighter_bot.domain.events import OrderFilled
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Role, Side
from lighter_bot.records.ledger import fill_row


def fill_records(n: int, start_ts: float, step: float, seed: int = 1, prefix: str = "t") -> list[FillRecord]:
    """n fills around 170 USD, alternating-ish sides, some taker, some with fees or rebates."""
    rng = random.Random(seed)
    out: list[FillRecord] = []
    pos = 0
    price = 170_000
    for i in range(n):
        price += rng.randint(-40, 40)
        side = Side.BID if (pos <= 0 if rng.random() < 0.7 else rng.random() < 0.5) else Side.ASK
        size = rng.choice((61, 64, 72))
        role = Role.TAKER if rng.random() < 0.15 else Role.MAKER
        fee = round(SOL_PERP.notional(price, size) * (0.00028 if role is Role.TAKER else 0.00004), 8)
        f = OrderFilled(start_ts + i * step, 1000 + i, f"{prefix}{i}", side, price, size, fee, role, 0)
        pos += side.sign * size
        out.append(FillRecord(f, SOL_PERP.px(price), pos))
    return out


def rows(records: list[FillRecord], source: str = "test") -> list[dict[str, Any]]:
    return [fill_row(r, SOL_PERP, "cfg", source) for r in records]
