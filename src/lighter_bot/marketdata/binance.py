"""Binance USD-M raw combined-stream recordings (`<local_ns> <json>` lines, gzip).

Sync rule (../shared/data/README.md): the REST snapshot line (`lastUpdateId`) is the book's start
(CLEAR + its levels); diffs with `u < lastUpdateId` are dropped; the first diff used must satisfy
`U <= lastUpdateId <= u`; afterwards `pu == previous u` must hold to the end, across files (a break
raises DataError naming file and line: the book after it would be wrong). Trades count from the
first synced diff on (file order). bookTicker lines are skipped (they repeat the depth stream).
Rows are ordered by exchange time `T`, then by the local stamp (= file order: the recorder's local
stamps strictly increase), never by the local stamp alone. Messages arrive at most tens of ms out of
exchange order, so a 5 s reorder window sorts them exactly with bounded memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording
from lighter_bot.marketdata.files import decimals, open_text
from lighter_bot.marketdata.merge import Event, reorder
from lighter_bot.marketdata.specs import spec_for
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE, Row

REORDER_WINDOW_S = 5.0

Msg = tuple[str, dict[str, Any], Path, int, int]  # kind, payload, file, line, local ns


def _messages(paths: list[Path]) -> Iterator[Msg]:
    for p in paths:
        for n, line in enumerate(open_text(p), 1):
            if "bookTicker" in line or not line.strip():
                continue
            head, _, payload = line.partition(" ")
            try:
                obj = json.loads(payload)
                local = int(head)
            except (json.JSONDecodeError, ValueError) as exc:
                raise DataError(f"{p}:{n}: not a '<ts_ns> <json>' line ({exc})") from None
            if not isinstance(obj, dict):
                raise DataError(f"{p}:{n}: not a '<ts_ns> <json>' line (the JSON is not an object)")
            if "lastUpdateId" in obj:
                yield "snapshot", obj, p, n, local
            elif isinstance(obj.get("data"), dict):
                d = obj["data"]
                e = d.get("e")
                if e in ("depthUpdate", "trade"):
                    yield e, d, p, n, local


def instrument(path: Path) -> str:
    """The symbol of the file's first depth or trade message (DataError if none in its first lines)."""
    for i, (kind, d, _, _, _) in enumerate(_messages([path])):
        if kind != "snapshot" and d.get("s"):
            return str(d["s"])
        if i > 5000:
            break
    raise DataError(f"{path}: no depthUpdate or trade messages found")


class BinanceRecording(FileRecording):
    FORMAT = "binance"

    def __init__(self, paths: list[Path]) -> None:
        symbol = instrument(paths[0])
        pd = sd = 0
        for i, (kind, d, _, _, _) in enumerate(_messages(paths[:1])):
            if kind == "depthUpdate":
                for p_s, q_s in d["b"][:5] + d["a"][:5]:
                    pd, sd = max(pd, decimals(p_s)), max(sd, decimals(q_s))
            elif kind == "trade":
                pd, sd = max(pd, decimals(d["p"])), max(sd, decimals(d["q"]))
            if i >= 2000:
                break
        super().__init__(paths, spec_for(symbol, 0, pd, sd))

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        for t, _, rows in reorder(self._events(s), REORDER_WINDOW_S, s, "messages"):
            yield from rows if rows[0][0] == t else [(t, *r[1:]) for r in rows]

    def _events(self, s: LoadSummary) -> Iterator[Event]:
        spec = self.market
        ps, ss = spec.price_scale, spec.size_scale
        msgs = _messages(self.files)
        pending: list[Msg] = []
        snap: Msg | None = None
        for m in msgs:
            if m[0] == "snapshot":
                snap = m
                break
            if m[2] != self.files[0] and snap is None:
                break
            pending.append(m)
        if snap is None:
            raise DataError(f"{self.files[0]}: no REST depth snapshot line ({{\"lastUpdateId\", ...}}); "
                            "give the first file of the recording first")
        _, snapshot, sp, sn, _ = snap
        last_id = int(snapshot["lastUpdateId"])
        t_snap = snapshot["T"] / 1000.0
        rows0: list[Row] = [(t_snap, CLEAR, BID, 0, 0), (t_snap, CLEAR, ASK, 0, 0)]
        rows0 += [(t_snap, DEPTH, BID, round(float(a) * ps), round(float(b) * ss)) for a, b in snapshot["bids"]]
        rows0 += [(t_snap, DEPTH, ASK, round(float(a) * ps), round(float(b) * ss)) for a, b in snapshot["asks"]]
        yield t_snap, -1, rows0
        synced = False
        prev_u: int | None = None
        symbol = spec.symbol

        def stream() -> Iterator[Msg]:
            yield from pending
            yield from msgs

        for kind, d, p, n, local in stream():
            if kind == "snapshot":
                s.add(s.dropped, "later REST snapshot lines (the first one starts the book)")
                continue
            if d.get("s", symbol) != symbol:
                raise DataError(f"{p}:{n}: symbol {d.get('s')} in a {symbol} recording (mixed instruments)")
            if kind == "depthUpdate":
                u, first = int(d["u"]), int(d["U"])
                if not synced:
                    if u < last_id:
                        s.add(s.dropped, "depth diffs before the snapshot (u < lastUpdateId)")
                        continue
                    if not first <= last_id <= u:
                        raise DataError(f"{p}:{n}: depth diffs do not bridge the snapshot (U={first} u={u}, "
                                        f"snapshot lastUpdateId={last_id})")
                    synced = True
                elif int(d["pu"]) != prev_u:
                    raise DataError(f"{p}:{n}: gap in depth diffs (pu={d['pu']} but the previous u was {prev_u})")
                prev_u = u
                t = d["T"] / 1000.0
                rows = [(t, DEPTH, BID, round(float(a) * ps), round(float(b) * ss)) for a, b in d["b"]]
                rows += [(t, DEPTH, ASK, round(float(a) * ps), round(float(b) * ss)) for a, b in d["a"]]
                yield t, local, rows
            elif synced:
                t = d["T"] / 1000.0
                yield t, local, [(t, TRADE, ASK if d["m"] else BID, round(float(d["p"]) * ps), round(float(d["q"]) * ss))]
            else:
                s.add(s.dropped, "trades before the book is synced")
        if not synced:
            raise DataError(f"{sp}:{sn}: no depth diff after the snapshot; the recording cannot be synced")
