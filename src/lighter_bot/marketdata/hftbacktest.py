"""hftbacktest 2.x event arrays (`.npz`, key `data`): reading them, and writing a recording as one.

`save_npz` writes the very rows we replay as hftbacktest events (exchange + local flags, ns times),
so hftbacktest can be run on the same events (benchmarks/bench_vs_hftbacktest.py). An `.npz` member
is compressed as a whole (the format has no streaming access), so a pass decompresses each file's
array once and converts it to rows chunk by chunk, vectorised.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording
from lighter_bot.marketdata.specs import KNOWN_SPECS, spec_for
from lighter_bot.marketdata.stream import CHUNK_ROWS, ROW_DTYPE, LoadSummary, Recording
from lighter_bot.venues.sim.source import BID, CLEAR, DEPTH, TRADE

# hftbacktest 2.x event layout (hftbacktest.types): flags in `ev`, times in ns.
HBT_DTYPE = np.dtype([("ev", "<u8"), ("exch_ts", "<i8"), ("local_ts", "<i8"), ("px", "<f8"), ("qty", "<f8"),
                      ("order_id", "<u8"), ("ival", "<i8"), ("fval", "<f8")])
HBT_DEPTH, HBT_TRADE, HBT_CLEAR, HBT_SNAPSHOT = 1, 2, 3, 4
HBT_EXCH, HBT_LOCAL, HBT_BUY, HBT_SELL = 1 << 31, 1 << 30, 1 << 29, 1 << 28


def _read(p: Path) -> np.ndarray:
    if not p.is_file():
        raise DataError(f"{p}: file not found")
    try:
        with np.load(p) as z:
            key = "data" if "data" in z.files else (z.files[0] if z.files else None)
            if key is None:
                raise DataError(f"{p}: empty .npz")
            a: np.ndarray = z[key]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{p}: not a readable .npz ({exc})") from None
    if a.dtype.names is None or not {"ev", "exch_ts", "px", "qty"} <= set(a.dtype.names):
        raise DataError(f"{p}: not hftbacktest event rows (need fields ev, exch_ts, px, qty)")
    out: np.ndarray = a[(a["ev"] & HBT_EXCH) != 0]
    return out


def _spec_from_grid(a: np.ndarray, path: Path) -> MarketSpec:
    def grid_decimals(vals: np.ndarray) -> int:
        v = vals[np.isfinite(vals) & (vals > 0)][:5000]
        for d in range(0, 9):
            if np.all(np.abs(v * 10**d - np.rint(v * 10**d)) < 1e-6):
                return d
        return 8

    if len(a) == 0:
        raise DataError(f"{path}: no exchange events")
    tokens = [tok for tok in path.stem.upper().replace("-", "_").split("_") if tok in KNOWN_SPECS]
    return spec_for(tokens[0] if tokens else path.stem, 0, grid_decimals(a["px"]), grid_decimals(a["qty"]))


class NpzRecording(FileRecording):
    """hftbacktest event arrays; tick and lot from `market` or the price grid. Several files are
    replayed one after the other (each sorted by exchange time)."""

    FORMAT = "hftbacktest-npz"

    def __init__(self, paths: list[Path], market: MarketSpec | None = None) -> None:
        super().__init__(paths, market or _spec_from_grid(_read(paths[0]), paths[0]))

    def _chunks(self, s: LoadSummary) -> Iterator[np.ndarray]:
        ps, ss = self.market.price_scale, self.market.size_scale
        last_t = -np.inf
        for p in self.files:
            a = _read(p)
            a = a[np.argsort(a["exch_ts"], kind="stable")]
            for i in range(0, len(a), CHUNK_ROWS):
                c = a[i:i + CHUNK_ROWS]
                code = (c["ev"] & 0xFF).astype(np.int64)
                kind = np.full(len(c), -1, dtype=np.int64)
                kind[(code == HBT_DEPTH) | (code == HBT_SNAPSHOT)] = DEPTH
                kind[code == HBT_TRADE] = TRADE
                kind[code == HBT_CLEAR] = CLEAR
                keep = kind >= 0
                if (~keep).any():
                    s.add(s.dropped, "events of other kinds", int((~keep).sum()))
                c, kind = c[keep], kind[keep]
                out = np.empty(len(c), dtype=ROW_DTYPE)
                out["t"] = (c["exch_ts"] // 1000).astype(np.float64) / 1e6  # µs are exact in a double; ns are not
                out["kind"] = kind
                out["side"] = np.where((c["ev"] & HBT_BUY) != 0, BID, 1 - BID)
                out["price"] = np.rint(c["px"] * ps).astype(np.int64)
                out["size"] = np.rint(c["qty"] * ss).astype(np.int64)
                if len(out) and out["t"][0] < last_t:
                    raise DataError(f"{p}: starts at {out['t'][0]:.3f}, before the previous file ends ({last_t:.3f}); "
                                    "give the files in time order")
                if len(out):
                    last_t = float(out["t"][-1])
                    yield out


def to_npz_array(rec: Recording) -> np.ndarray:
    """The recording as hftbacktest 2.x event rows (exchange and local events, ns times)."""
    m = rec.market
    parts = []
    base = HBT_EXCH | HBT_LOCAL
    for c in rec.chunks():
        c = c[c["kind"] != 3]  # MARK: hftbacktest has no such event
        flag = np.where(c["side"] == BID, HBT_BUY, HBT_SELL).astype(np.uint64)
        code = np.select([c["kind"] == DEPTH, c["kind"] == TRADE], [HBT_DEPTH, HBT_TRADE], HBT_CLEAR).astype(np.uint64)
        arr = np.zeros(len(c), dtype=HBT_DTYPE)
        ns = np.array([round(t * 1e9) for t in c["t"].tolist()], dtype=np.int64)
        arr["ev"] = np.uint64(base) | flag | code
        arr["exch_ts"] = ns
        arr["local_ts"] = ns
        arr["px"] = c["price"] / m.price_scale
        arr["qty"] = c["size"] / m.size_scale
        parts.append(arr)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=HBT_DTYPE)


def save_npz(rec: Recording, path: Path) -> None:
    np.savez_compressed(path, data=to_npz_array(rec))
