"""`lighter-bot record` output: one `{"ts": receive epoch s, "frame": <raw WS frame>}` per line (zstd).

`subscribed/order_book` frames are snapshots (CLEAR + levels; every reconnect writes one),
`update/order_book` frames set absolute level sizes, the `trades[]` of trade frames become trades
(`is_maker_ask` true = the taker bought), deduplicated by `trade_id` (a subscribe snapshot repeats
recent trades, which are skipped). Rows are timed by receive time, the bot's own view of the feed.
Market 2 uses SOL_PERP; other markets take their decimals from the strings (Lighter pads them exactly).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording, SeenTradeIds
from lighter_bot.marketdata.files import open_text
from lighter_bot.marketdata.merge import Event, reorder
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE, Row

REORDER_WINDOW_S = 5.0
KNOWN_MARKETS: dict[int, MarketSpec] = {2: SOL_PERP}


def _padded_decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def _frames(paths: list[Path]) -> Iterator[tuple[float, str, dict[str, Any], Path, int]]:
    for p in paths:
        for n, line in enumerate(open_text(p), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                ts = float(rec["ts"])
                frame = rec["frame"]
                ftype = str(frame.get("type", ""))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                raise DataError(f"{p}:{n}: not a recording line {{\"ts\": seconds, \"frame\": {{...}}}}") from None
            if "order_book" in ftype or "trade" in ftype:
                yield ts, ftype, frame, p, n


def _market_of(frame: dict[str, Any]) -> int | None:
    chan = str(frame.get("channel", ""))
    mid = chan.split(":", 1)[1] if ":" in chan else ""
    return int(mid) if mid.isdigit() else None


class LighterWsRecording(FileRecording):
    FORMAT = "lighter-record"

    def __init__(self, paths: list[Path]) -> None:
        market_id: int | None = None
        pd = sd = 0
        seen = 0
        for _, _, frame, _, _ in _frames(paths):
            seen += 1
            if market_id is None:
                market_id = _market_of(frame)
            ob = frame.get("order_book") or {}
            for lvl in [*ob.get("asks", [])[:3], *ob.get("bids", [])[:3]]:
                pd = max(pd, _padded_decimals(str(lvl["price"])))
                sd = max(sd, _padded_decimals(str(lvl["size"])))
            if seen > 2000 and market_id is not None:
                break
        if not seen:
            raise DataError(f"{', '.join(map(str, paths))}: no order_book or trade frames in the recording")
        self.market_id = market_id if market_id is not None else 0
        spec = KNOWN_MARKETS.get(self.market_id) or MarketSpec(
            self.market_id, f"market{self.market_id}", pd, sd, Decimal(1).scaleb(-sd), Decimal("10"))
        super().__init__(paths, spec)

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        last = -float("inf")
        for t, _, rows in reorder(self._events(s), REORDER_WINDOW_S, s, "frames"):
            t = max(t, last)
            last = t
            for r in rows:
                yield (t, *r)

    def _events(self, s: LoadSummary) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        seen_trades = SeenTradeIds()
        for ts, ftype, frame, _, _ in _frames(self.files):
            mid = _market_of(frame)
            if mid is not None and mid != self.market_id:
                s.add(s.dropped, f"frames of other markets than {self.market_id}")
                continue
            parts: list[tuple[int, int, int, int]] = []
            ob = frame.get("order_book")
            if isinstance(ob, dict):
                if ftype.startswith("subscribed"):
                    parts += [(CLEAR, BID, 0, 0), (CLEAR, ASK, 0, 0)]
                for key, side in (("bids", BID), ("asks", ASK)):
                    for lvl in ob.get(key) or []:
                        parts.append((DEPTH, side, round(float(lvl["price"]) * ps), round(float(lvl["size"]) * ss)))
            for tr in frame.get("trades") or []:
                tid = str(tr.get("trade_id", ""))
                if not seen_trades.first_time(tid) and tid:
                    s.add(s.dropped, "duplicate trade ids")
                    continue  # the subscribe snapshot repeats recent trades
                if ftype.startswith("subscribed"):
                    s.add(s.dropped, "trades of subscribe snapshots (history before the recording)")
                    continue
                parts.append((TRADE, BID if tr.get("is_maker_ask") else ASK, round(float(tr["price"]) * ps),
                              round(float(tr["size"]) * ss)))
            if parts:
                yield ts, 0, parts
