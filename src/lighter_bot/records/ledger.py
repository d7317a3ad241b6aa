"""The fills ledger: `data/metrics/fills.jsonl`, one JSON object per fill, timestamps in seconds.

First version: append-only with dedupe by trade id. (Rotation, torn-line repair and windows are
added by the records module's full implementation.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import MarketSpec


def fill_row(rec: FillRecord, market: MarketSpec, config_hash: str, source: str) -> dict[str, Any]:
    f = rec.fill
    size = market.lots_to_size(f.size)
    price = market.ticks_to_price(f.price)
    base_delta = size * f.side.sign
    return {
        "timestamp": round(f.ts, 6),
        "market": f"market:{market.market_id}",
        "role": f.role.value,
        "side": f.side.value,
        "size": str(size),
        "price": str(price),
        "notional": str(size * price),
        "base_delta": str(base_delta),
        "quote_delta": str(-base_delta * price),
        "fee_paid": repr(f.fee),
        "mid_price": None if rec.mid is None else f"{rec.mid:.6f}",
        "trade_id": f.trade_id,
        "client_order_id": f.client_id,
        "source": source,
        "config_hash": config_hash,
    }


class Ledger:
    def __init__(self, path: str | Path, market: MarketSpec, config_hash: str, source: str) -> None:
        self.path = Path(path)
        self.market = market
        self.config_hash = config_hash
        self.source = source
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._seen: set[str] = set()
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    self._seen.add(str(json.loads(line).get("trade_id")))
                except (ValueError, AttributeError):
                    continue

    def append(self, records: Sequence[FillRecord]) -> int:
        rows = [fill_row(r, self.market, self.config_hash, self.source) for r in records
                if r.fill.trade_id not in self._seen]
        if not rows:
            return 0
        with self.path.open("a") as fh:
            for row in rows:
                fh.write(json.dumps(row, separators=(",", ":")) + "\n")
                self._seen.add(row["trade_id"])
        return len(rows)
