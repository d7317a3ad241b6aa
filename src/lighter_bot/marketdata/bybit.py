"""Bybit v5 public-stream captures (cryptofeed's raw JSONL, zstd): one linear-perp symbol per recording.

Line 1 is a header, then `{"t": "recv"|"send"|"http"|"connect", "conn", "ts": local epoch s, "data"}`.
The capture holds several symbols and, for BTC and ETH, the spot streams too (same topic names on
another connection): only connections to `.../v5/public/linear` are read, for one symbol
(`--symbol`, default SOLUSDT, the only SOL perp sample we have). The spec (tick, lot, minimums)
comes from the capture's `instruments-info` response when present.
* `orderbook.200.<SYM>`: a snapshot (CLEAR + levels) then deltas (absolute level sizes, 0 removes);
  `u` must rise by 1: a break means lost updates, so the book becomes unknown (CLEAR both sides,
  a gap) until the next snapshot. Timed by `cts` (the matching engine's time), else `ts`.
* `publicTrade.<SYM>`: `T` ms, `S` taker side, `p`, `v`, `i` id (deduplicated); trades before the
  first book are dropped.
Rows are ordered by exchange time, then arrival (reorder window 5 s).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording, SeenTradeIds
from lighter_bot.marketdata.files import decimals, open_text
from lighter_bot.marketdata.merge import Event, concat, reorder
from lighter_bot.marketdata.specs import inferred_spec
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE, Row

DEFAULT_SYMBOL = "SOLUSDT"
TOPIC = re.compile(r'\{"topic":\s*"([^"]+)"')
REORDER_S = 5.0


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(open_text(path), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: not a JSON line ({exc.msg}); truncated or not a capture") from None
        if not isinstance(rec, dict):
            raise DataError(f"{path}:{n}: not a capture record")
        yield n, rec


def _decimal_places(step: str) -> int:
    return max(0, -Decimal(step).normalize().as_tuple().exponent)  # type: ignore[operator]


class BybitRecording(FileRecording):
    FORMAT = "bybit-capture"

    def __init__(self, paths: list[Path], symbol: str, notes: list[str]) -> None:
        self.symbol = symbol
        spec: MarketSpec | None = None
        seen: set[str] = set()
        found = False
        for n, rec in _records(paths[0]):
            if rec.get("t") == "http" and "category=linear" in str(rec.get("url", "")) and spec is None:
                try:
                    items = json.loads(rec["data"])["result"]["list"]
                except (KeyError, TypeError, json.JSONDecodeError):
                    raise DataError(f"{paths[0]}:{n}: unreadable instruments-info response") from None
                it = next((i for i in items if i.get("symbol") == symbol), None)
                if it is not None:
                    lot = it["lotSizeFilter"]
                    spec = MarketSpec(0, symbol, _decimal_places(it["priceFilter"]["tickSize"]),
                                      _decimal_places(lot["qtyStep"]), Decimal(lot["minOrderQty"]),
                                      Decimal(lot.get("minNotionalValue") or "5"))
            elif rec.get("t") == "recv" and (m := TOPIC.match(str(rec.get("data", "")))) and m.group(1).startswith("orderbook."):
                topic = m.group(1)
                seen.add(topic.rsplit(".", 1)[-1])
                if topic == f"orderbook.200.{symbol}":
                    found = True
                    if spec is None:
                        d = json.loads(rec["data"])["data"]
                        lv = d.get("b", [])[:20] + d.get("a", [])[:20]
                        spec = inferred_spec(symbol, max([0, *(decimals(p) for p, _ in lv)]),
                                             max([0, *(decimals(q) for _, q in lv)]))
                    break
        if not found or spec is None:
            raise DataError(f"{paths[0]}: no orderbook.200.{symbol} messages (symbols in the capture: "
                            f"{', '.join(sorted(seen)) or 'none'}); choose one with --symbol")
        super().__init__(paths, spec, notes)

    def _events(self, path: Path, s: LoadSummary) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        linear: set[str] = set()
        book_topic, trade_topic = f"orderbook.200.{self.symbol}", f"publicTrade.{self.symbol}"
        for n, rec in _records(path):
            kind = rec.get("t")
            if kind == "connect":
                if str(rec.get("addr", "")).endswith("/linear"):
                    linear.add(str(rec.get("conn")))
                continue
            if kind != "recv":
                continue
            data = str(rec.get("data", ""))
            if book_topic not in data[:60] and trade_topic not in data[:60]:
                continue
            if rec.get("conn") not in linear:
                s.add(s.dropped, "messages of non-linear connections (spot)")
                continue
            try:
                msg = json.loads(data)
                local = round(float(rec["ts"]) * 1e6)
                if msg["topic"] == book_topic:
                    d = msg["data"]
                    t = int(msg.get("cts") or msg["ts"]) / 1000.0
                    levels = [(BID, round(float(p) * ps), round(float(q) * ss)) for p, q in d["b"]]
                    levels += [(ASK, round(float(p) * ps), round(float(q) * ss)) for p, q in d["a"]]
                    yield t, local, ("B", msg["type"] == "snapshot", int(d["u"]), levels)
                else:
                    for tr in msg["data"]:
                        t = int(tr["T"]) / 1000.0
                        yield t, local, ("T", str(tr["i"]), BID if tr["S"] == "Buy" else ASK,
                                         round(float(tr["p"]) * ps), round(float(tr["v"]) * ss))
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{path}:{n}: malformed {self.symbol} message ({type(exc).__name__}: {exc})") from None

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        events = reorder(concat(self._events(p, s) for p in self.files), REORDER_S, s, "messages")
        seen = SeenTradeIds()
        synced = False
        prev_u = -1
        for t, _, ev in events:
            if ev[0] == "B":
                _, snap, u, levels = ev
                if snap:
                    synced, prev_u = True, u
                    yield (t, CLEAR, BID, 0, 0)
                    yield (t, CLEAR, ASK, 0, 0)
                elif not synced:
                    s.add(s.dropped, "book deltas before a snapshot")
                    continue
                elif u != prev_u + 1:
                    s.add(s.counts, "breaks in the update ids (book unknown until the next snapshot)")
                    s.gaps.append((t, t))
                    synced = False
                    yield (t, CLEAR, BID, 0, 0)
                    yield (t, CLEAR, ASK, 0, 0)
                    continue
                prev_u = u
                for side, px, sz in levels:
                    yield (t, DEPTH, side, px, sz)
            else:
                _, tid, side, px, sz = ev
                if not seen.first_time(tid):
                    s.add(s.dropped, "duplicate trade ids")
                    continue
                if prev_u < 0:
                    s.add(s.dropped, "trades before the first book")
                    continue
                yield (t, TRADE, side, px, sz)
