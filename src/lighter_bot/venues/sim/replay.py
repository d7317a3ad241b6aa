"""Replay of recorded markets as simulator rows: Binance raw, hftbacktest .npz, Lighter WS recordings.

Each loader returns a `Replay`: the rows (source.py), in exchange-time order, and the instrument's
MarketSpec (tick and lot from the data or a known table, exchange minimums). `derive_profile` gives
the maker/hedger/guard sizes that make sense for the instrument at the data's price, the way
`set_market` derives them (smallest clip = the minimum order value at that price, plus 5 %).

Bad input raises DataError naming the file and the problem.
"""

from __future__ import annotations

import gzip
import json
import math
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE, Row

# hftbacktest 2.x event layout (hftbacktest.types): flags in `ev`, times in ns.
HBT_DTYPE = np.dtype([("ev", "<u8"), ("exch_ts", "<i8"), ("local_ts", "<i8"), ("px", "<f8"), ("qty", "<f8"),
                      ("order_id", "<u8"), ("ival", "<i8"), ("fval", "<f8")])
HBT_DEPTH, HBT_TRADE, HBT_CLEAR, HBT_SNAPSHOT = 1, 2, 3, 4
HBT_EXCH, HBT_LOCAL, HBT_BUY, HBT_SELL = 1 << 31, 1 << 30, 1 << 29, 1 << 28

# Exchange specs of instruments we have recordings of: (price decimals, size decimals, min base, min quote).
KNOWN_SPECS: dict[str, tuple[int, int, str, str]] = {
    "BTCUSDT": (1, 3, "0.001", "100"),  # Binance USD-M
    "ETHUSDT": (2, 3, "0.001", "20"),
    "SOLUSDT": (2, 0, "1", "5"),
    "SOL": (3, 3, "0.061", "10"),  # Lighter market 2
}
LIGHTER_MARKETS: dict[int, MarketSpec] = {2: SOL_PERP}


@dataclass(frozen=True)
class Replay:
    rows: list[Row]
    market: MarketSpec
    source: str  # file names, for reports

    @property
    def start(self) -> float:
        return self.rows[0][0] if self.rows else 0.0

    @property
    def end(self) -> float:
        return self.rows[-1][0] if self.rows else 0.0

    def mid_price(self) -> float:
        """A representative price: the first mid of the replayed book (quote units)."""
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        for _, kind, side, px, sz in self.rows:
            if kind == DEPTH:
                book = bids if side == BID else asks
                if sz:
                    book[px] = sz
                else:
                    book.pop(px, None)
            if bids and asks and kind == TRADE:
                return self.market.px(max(bids) + min(asks)) / 2
        if bids and asks:
            return self.market.px(max(bids) + min(asks)) / 2
        raise DataError(f"{self.source}: no two-sided book in the data")


def _decimals(s: str, padded: bool = False) -> int:
    """Decimals of a number string; Binance pads with zeros (strip them), Lighter pads to its
    size/price decimals exactly (`padded`: keep them)."""
    if "." not in s:
        return 0
    frac = s.split(".")[1]
    return len(frac if padded else frac.rstrip("0"))


def spec_for(symbol: str, market_id: int = 0, seen_price_decimals: int = 0, seen_size_decimals: int = 0) -> MarketSpec:
    """The instrument's spec from the known table, else from the decimals seen in the data."""
    if symbol in KNOWN_SPECS:
        pd, sd, mb, mq = KNOWN_SPECS[symbol]
        return MarketSpec(market_id, symbol, pd, sd, Decimal(mb), Decimal(mq))
    lot = Decimal(1).scaleb(-seen_size_decimals)
    return MarketSpec(market_id, symbol, seen_price_decimals, seen_size_decimals, lot, Decimal("10"))


def derive_profile(spec: MarketSpec, price: float) -> dict[str, Any]:
    """Profile (merge_profile format) with sizes for `spec` at `price`, mirroring the SOL defaults:
    smallest clip = the exchange minimum (base and value) + 5 %, nominal x1.05, largest x1.18."""
    min_lots = max(spec.min_size_lots, spec.lots_for_notional(float(spec.min_quote) * 1.05, spec.price_to_ticks_up(price)))
    unit = spec.sz(min_lots)

    def q(x: float) -> float:
        return float(spec.lots_to_size(max(1, math.ceil(x * spec.size_scale - 1e-9))))

    size = q(unit * 1.05)
    max_pos = q(unit * 4.7)
    return {
        "market": spec.market_id,
        "maker": {
            "size": size, "size_min": unit, "size_max": q(unit * 1.18),
            "exchange_min_size": float(spec.min_base_size),
            "exchange_min_notional": round(float(spec.min_quote) * 1.05, 6),
            "inventory_soft_cap": q(unit * 1.6),
            "price_scale": spec.price_scale, "size_scale": spec.size_scale,
        },
        "hedger": {"trigger_units": q(unit * 1.1), "target_units": q(unit * 0.5), "max_clip_units": q(unit * 1.25)},
        "guard": {"max_position_units": max_pos, "max_inventory_notional": round(max_pos * price * 1.02, 2)},
    }


# -- file helpers ---------------------------------------------------------------------------------

def _open_text(path: Path) -> Iterator[str]:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                yield from fh
        elif path.suffix == ".zst":
            from lighter_bot.venues.sim.zstd_lines import zstd_lines

            yield from zstd_lines(path)
        else:
            with path.open(encoding="utf-8") as fh:
                yield from fh
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    except DataError:
        raise
    except Exception as exc:  # zstandard.ZstdError has no stable import path in the stubs
        raise DataError(f"{path}: cannot decompress ({exc})") from None


def detect_format(path: Path) -> str:
    """'binance', 'npz' or 'lighter' from the file's name and first line."""
    if path.suffix == ".npz":
        return "npz"
    for line in _open_text(path):
        s = line.strip()
        if not s:
            continue
        if s.startswith("{") and '"frame"' in s:
            return "lighter"
        head = s.split(" ", 1)
        if len(head) == 2 and head[0].isdigit() and head[1].startswith("{"):
            return "binance"
        break
    raise DataError(f"{path}: unknown data format (expected Binance raw '<ts_ns> <json>' lines, "
                    "a hftbacktest .npz, or a Lighter recording of {\"ts\", \"frame\"} lines)")


def load(paths: Iterable[str | Path]) -> Replay:
    """Load one instrument's recording (several files = one continuous stream, in the given order)."""
    ps = [Path(p) for p in paths]
    if not ps:
        raise DataError("no data files given")
    fmts = {detect_format(p) for p in ps}
    if len(fmts) != 1:
        raise DataError(f"{', '.join(map(str, ps))}: mixed formats ({', '.join(sorted(fmts))}); replay one format at a time")
    fmt = fmts.pop()
    if fmt == "binance":
        return load_binance(ps)
    if fmt == "npz":
        return load_npz(ps)
    return load_lighter(ps)


# -- Binance raw ----------------------------------------------------------------------------------

def load_binance(paths: list[Path]) -> Replay:
    """Binance USD-M combined-stream lines; snapshot + diff sync per ../shared/data/README.md."""
    msgs: list[tuple[str, dict[str, Any], Path, int]] = []
    for p in paths:
        for n, line in enumerate(_open_text(p), 1):
            if "bookTicker" in line or not line.strip():
                continue
            _, _, payload = line.partition(" ")
            try:
                obj = json.loads(payload)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}:{n}: not a '<ts_ns> <json>' line ({exc.msg})") from None
            if "lastUpdateId" in obj:
                msgs.append(("snapshot", obj, p, n))
            elif isinstance(obj, dict) and isinstance(obj.get("data"), dict):
                d = obj["data"]
                e = d.get("e")
                if e in ("depthUpdate", "trade"):
                    msgs.append((e, d, p, n))
    symbol = next((d.get("s") for k, d, _, _ in msgs if k != "snapshot" and d.get("s")), None)
    if symbol is None:
        raise DataError(f"{', '.join(map(str, paths))}: no depthUpdate or trade messages found")
    snap = next(((d, p, n) for k, d, p, n in msgs if k == "snapshot"), None)
    if snap is None:
        raise DataError(f"{paths[0]}: no REST depth snapshot line ({{\"lastUpdateId\", ...}}); "
                        "give the first file of the recording first")
    pd = sd = 0
    for k, d, _, _ in msgs[:2000]:
        if k == "depthUpdate":
            for p_s, q_s in d["b"][:5] + d["a"][:5]:
                pd, sd = max(pd, _decimals(p_s)), max(sd, _decimals(q_s))
        elif k == "trade":
            pd, sd = max(pd, _decimals(d["p"])), max(sd, _decimals(d["q"]))
    spec = spec_for(symbol, 0, pd, sd)
    ps, ss = spec.price_scale, spec.size_scale

    def px(s: str) -> int:
        return round(float(s) * ps)

    def sz(s: str) -> int:
        return round(float(s) * ss)

    snapshot, sp, sn = snap
    last_id = int(snapshot["lastUpdateId"])
    t_snap = snapshot["T"] / 1000.0
    timed: list[tuple[float, int, list[Row]]] = []
    rows0: list[Row] = [(t_snap, CLEAR, BID, 0, 0), (t_snap, CLEAR, ASK, 0, 0)]
    rows0 += [(t_snap, DEPTH, BID, px(a), sz(b)) for a, b in snapshot["bids"]]
    rows0 += [(t_snap, DEPTH, ASK, px(a), sz(b)) for a, b in snapshot["asks"]]
    timed.append((t_snap, -1, rows0))
    synced = False
    prev_u: int | None = None
    for order, (k, d, p, n) in enumerate(msgs):
        if k == "depthUpdate":
            u, first = int(d["u"]), int(d["U"])
            if not synced:
                if u < last_id:
                    continue
                if not first <= last_id <= u:
                    raise DataError(f"{p}:{n}: depth diffs do not bridge the snapshot (U={first} u={u}, "
                                    f"snapshot lastUpdateId={last_id})")
                synced = True
            elif int(d["pu"]) != prev_u:
                raise DataError(f"{p}:{n}: gap in depth diffs (pu={d['pu']} but the previous u was {prev_u})")
            prev_u = u
            t = d["T"] / 1000.0
            rows = [(t, DEPTH, BID, px(a), sz(b)) for a, b in d["b"]]
            rows += [(t, DEPTH, ASK, px(a), sz(b)) for a, b in d["a"]]
            timed.append((t, order, rows))
        elif k == "trade" and synced:
            t = d["T"] / 1000.0
            timed.append((t, order, [(t, TRADE, ASK if d["m"] else BID, px(d["p"]), sz(d["q"]))]))
    if not synced:
        raise DataError(f"{sp}:{sn}: no depth diff after the snapshot; the recording cannot be synced")
    timed.sort(key=lambda x: (x[0], x[1]))  # exchange time; file order breaks ties
    out: list[Row] = [r for _, _, rs in timed for r in rs]
    return Replay(out, spec, ", ".join(p.name for p in paths))


# -- hftbacktest .npz -----------------------------------------------------------------------------

def to_npz_array(rep: Replay) -> np.ndarray:
    """The replay as hftbacktest 2.x event rows (exchange and local events, ns times)."""
    m = rep.market
    arr = np.zeros(len(rep.rows), dtype=HBT_DTYPE)
    base = HBT_EXCH | HBT_LOCAL
    for i, (t, kind, side, p, s) in enumerate(rep.rows):
        flag = HBT_BUY if side == BID else HBT_SELL
        if kind == DEPTH:
            ev = base | flag | HBT_DEPTH
        elif kind == TRADE:
            ev = base | flag | HBT_TRADE
        elif kind == CLEAR:
            ev = base | flag | HBT_CLEAR
        else:
            continue
        ns = round(t * 1e9)
        arr[i] = (ev, ns, ns, m.px(p), m.sz(s), 0, 0, 0.0)
    out: np.ndarray = arr[arr["ev"] != 0]
    return out


def save_npz(rep: Replay, path: Path) -> None:
    np.savez_compressed(path, data=to_npz_array(rep))


def load_npz(paths: list[Path], market: MarketSpec | None = None) -> Replay:
    """hftbacktest event arrays (`data` key). Tick and lot come from `market` or the price grid."""
    arrays = []
    for p in paths:
        if not p.is_file():
            raise DataError(f"{p}: file not found")
        try:
            with np.load(p) as z:
                key = "data" if "data" in z.files else (z.files[0] if z.files else None)
                if key is None:
                    raise DataError(f"{p}: empty .npz")
                a = z[key]
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:  # EOFError: an empty file
            raise DataError(f"{p}: not a readable .npz ({exc or type(exc).__name__}; is the file empty?)") from None
        if a.dtype.names is None or not {"ev", "exch_ts", "px", "qty"} <= set(a.dtype.names):
            raise DataError(f"{p}: not hftbacktest event rows (need fields ev, exch_ts, px, qty)")
        arrays.append(a)
    a = np.concatenate(arrays)
    a = a[(a["ev"] & HBT_EXCH) != 0]
    spec = market or _spec_from_grid(a, paths[0])
    ps, ss = spec.price_scale, spec.size_scale
    kinds = (a["ev"] & 0xFF).astype(np.int64)
    t = (a["exch_ts"] // 1000).astype(np.float64) / 1e6  # µs are exact in a double; ns are not
    side = np.where((a["ev"] & HBT_BUY) != 0, BID, ASK)
    ticks = np.rint(a["px"] * ps).astype(np.int64)
    qty = np.rint(a["qty"] * ss).astype(np.int64)
    kind = np.full(len(a), -1, dtype=np.int64)
    kind[kinds == HBT_DEPTH] = DEPTH
    kind[kinds == HBT_SNAPSHOT] = DEPTH
    kind[kinds == HBT_TRADE] = TRADE
    kind[kinds == HBT_CLEAR] = CLEAR
    keep = kind >= 0
    order = np.argsort(t[keep], kind="stable")
    cols = [c[keep][order].tolist() for c in (t, kind, side, ticks, qty)]
    rows: list[Row] = list(zip(*cols, strict=True))
    return Replay(rows, spec, ", ".join(p.name for p in paths))


def _spec_from_grid(a: np.ndarray, path: Path) -> MarketSpec:
    def decimals(vals: np.ndarray) -> int:
        v = vals[np.isfinite(vals) & (vals > 0)][:5000]
        for d in range(0, 9):
            if np.all(np.abs(v * 10**d - np.rint(v * 10**d)) < 1e-6):
                return d
        return 8

    if len(a) == 0:
        raise DataError(f"{path}: no exchange events")
    tokens = [tok for tok in path.stem.upper().replace("-", "_").split("_") if tok in KNOWN_SPECS]
    return spec_for(tokens[0] if tokens else path.stem, 0, decimals(a["px"]), decimals(a["qty"]))


# -- Lighter WS recordings ------------------------------------------------------------------------

def load_lighter(paths: list[Path]) -> Replay:
    """`lighter-bot record` output: one {"ts": recv_epoch_s, "frame": <raw ws frame>} per line (zstd).

    order_book frames set absolute level sizes (subscribed = snapshot), trade frames add trades
    (`is_maker_ask` true = the taker bought). Rows are timed by receive time, the bot's view."""
    market_id: int | None = None
    raw: list[tuple[float, str, dict[str, Any]]] = []
    pd = sd = 0
    for p in paths:
        for n, line in enumerate(_open_text(p), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                ts = float(rec["ts"])
                frame = rec["frame"]
                ftype = str(frame.get("type", ""))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                raise DataError(f"{p}:{n}: not a recording line {{\"ts\": seconds, \"frame\": {{...}}}}") from None
            chan = str(frame.get("channel", ""))
            if "order_book" in ftype or "trade" in ftype:
                mid = chan.split(":", 1)[1] if ":" in chan else ""
                if mid.isdigit():
                    if market_id is None:
                        market_id = int(mid)
                    elif int(mid) != market_id:
                        continue
                raw.append((ts, ftype, frame))
                ob_ = frame.get("order_book") or {}
                for lvl in [*ob_.get("asks", [])[:3], *ob_.get("bids", [])[:3]]:
                    pd = max(pd, _decimals(str(lvl["price"]), True))
                    sd = max(sd, _decimals(str(lvl["size"]), True))
    if not raw:
        raise DataError(f"{', '.join(map(str, paths))}: no order_book or trade frames in the recording")
    mid_ = market_id if market_id is not None else 0
    spec = LIGHTER_MARKETS.get(mid_) or MarketSpec(mid_, f"market{mid_}", pd, sd,
                                                   Decimal(1).scaleb(-sd), Decimal("10"))
    ps, ss = spec.price_scale, spec.size_scale
    rows: list[Row] = []
    seen_trades: set[str] = set()
    last_t = -math.inf
    for ts, ftype, frame in sorted(raw, key=lambda x: x[0]):
        t = max(ts, last_t)
        last_t = t
        ob = frame.get("order_book")
        if isinstance(ob, dict):
            if ftype.startswith("subscribed"):
                rows += [(t, CLEAR, BID, 0, 0), (t, CLEAR, ASK, 0, 0)]
            for key, side in (("bids", BID), ("asks", ASK)):
                for lvl in ob.get(key) or []:
                    rows.append((t, DEPTH, side, round(float(lvl["price"]) * ps), round(float(lvl["size"]) * ss)))
        for tr in frame.get("trades") or []:
            tid = str(tr.get("trade_id", ""))
            if tid and tid in seen_trades:
                continue  # the subscribe snapshot repeats recent trades
            seen_trades.add(tid)
            if ftype.startswith("subscribed"):
                continue
            rows.append((t, TRADE, BID if tr.get("is_maker_ask") else ASK, round(float(tr["price"]) * ps),
                         round(float(tr["size"]) * ss)))
    return Replay(rows, spec, ", ".join(p.name for p in paths))
