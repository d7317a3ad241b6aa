"""Which loader reads a file: format detection, grouping files into recordings, sibling files.

A file's format comes from its name and first line (or parquet schema). Files of one format and
instrument are one recording (hours or days of one market); files of several formats or
instruments are several recordings: `recordings()` returns each (data info), `open_recording()`
insists on exactly one (backtest). Formats split over several files per period need all of their
parts: a Lighter `prices` file needs its `trades` file, a Hyperliquid `orderbooks` file its `trades`
file (its `prices` file is used when present), a StandX `orderbook` hour its `trades` hour, a
LOBSTER `message` file its `orderbook` file, Tardis book data its `trades`. A missing part is looked
up **beside the given file** under the collector's naming and, when found, added (the summary
says so); otherwise one DataError names the file that is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lighter_bot.errors import DataError
from lighter_bot.marketdata import binance, bybit, hyperliquid, lighter_csv, lobster, standx, tardis
from lighter_bot.marketdata.files import first_line
from lighter_bot.marketdata.hftbacktest import NpzRecording
from lighter_bot.marketdata.lighter_ws import LighterWsRecording
from lighter_bot.marketdata.stream import Recording

SUPPORTED = ("Binance raw '<ts_ns> <json>' .gz, hftbacktest .npz, `lighter-bot record` .jsonl.zst, "
             "Lighter collector prices/trades CSV, Hyperliquid collector orderbooks/prices/trades CSV, "
             "StandX orderbook/trades .parquet, Tardis.dev CSV (incremental_book_L2, book_snapshot_N, "
             "quotes, trades), Bybit v5 capture .jsonl.zst, LOBSTER message/orderbook CSV")
SKIP_IN_DIRS = {".md", ".txt", ".json", ".yaml", ".yml"}


@dataclass(frozen=True)
class LoadOptions:
    tz_hours: float | None = None  # Lighter collector CSV: the collector clock's UTC offset
    symbol: str | None = None  # Bybit capture (default SOLUSDT), multi-symbol Tardis files


@dataclass(frozen=True)
class FileKind:
    family: str  # the loader
    part: str  # the file's role in its family (e.g. "prices", "trades")
    instrument: str
    path: Path


LIGHTER_NAME = re.compile(r"^lighter_(\d{8})_(prices|trades)_([A-Za-z0-9]+)\.csv(\.gz)?$")


def expand(paths: list[str | Path]) -> list[Path]:
    """Paths with directories replaced by the files under them (sorted; hidden files, notes and docs skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and not any(x.startswith(".") for x in f.relative_to(p).parts)
                          and f.suffix.lower() not in SKIP_IN_DIRS)
        else:
            out.append(p)
    return out


def detect(path: Path, options: LoadOptions) -> FileKind:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    name = path.name
    if path.suffix == ".npz":
        return FileKind("npz", "events", path.stem.split("_")[0], path)
    if path.suffix == ".parquet":
        part, sym = standx.classify(path)
        return FileKind("standx", part, sym, path)
    if lobster.parse_name(path) is not None:
        ticker, part = lobster.parse_name(path) or ("", "")
        return FileKind("lobster", part, ticker, path)
    head = first_line(path)
    if not head:
        raise DataError(f"{path}: empty file")
    if head.startswith("{"):
        if '"frame"' in head:
            return FileKind("lighter-record", "frames", "lighter", path)
        if '"header"' in head and "BYBIT" in head:
            return FileKind("bybit", "capture", (options.symbol or bybit.DEFAULT_SYMBOL).upper(), path)
    words = head.split(" ", 1)
    if len(words) == 2 and words[0].isdigit() and words[1].startswith("{"):
        return FileKind("binance", "raw", binance.instrument(path), path)
    cols = head.split(",")
    if cols[:4] == ["exchange", "symbol", "timestamp", "local_timestamp"]:
        part, sym = tardis.classify(path, cols)
        return FileKind("tardis", part, sym, path)
    hl = hyperliquid.parse_name(path)
    if cols in (hyperliquid.ORDERBOOKS, hyperliquid.PRICES, hyperliquid.TRADES):
        part = {0: "orderbooks", 1: "prices", 2: "trades"}[
            [hyperliquid.ORDERBOOKS, hyperliquid.PRICES, hyperliquid.TRADES].index(cols)]
        return FileKind("hyperliquid", part, hl[1] if hl else path.stem, path)
    m = LIGHTER_NAME.match(name)
    if cols in (lighter_csv.PRICES, [*lighter_csv.PRICES, "market_id"], lighter_csv.TRADES):
        part = "trades" if cols == lighter_csv.TRADES else "prices"
        return FileKind("lighter-csv", part, m.group(3).upper() if m else path.stem, path)
    raise DataError(f"{path}: unknown data format (first line {head[:80]!r}); supported: {SUPPORTED}")


def _groups(kinds: list[FileKind]) -> list[list[FileKind]]:
    groups: dict[tuple[str, str], list[FileKind]] = {}
    for k in kinds:
        groups.setdefault((k.family, k.instrument), []).append(k)
    return list(groups.values())


def _sibling(k: FileKind, part: str, options: LoadOptions) -> FileKind | None:
    """The file of `part` that belongs beside `k` under the collector's naming, if it exists."""
    name = k.path.name
    if k.family == "tardis":
        cand = tardis.sibling_names(name, part)
    elif k.family == "standx":
        cand = [name.replace(f"{k.part}_", f"{part}_", 1)] if name.startswith(k.part) else []
    elif k.family == "lobster":
        cand = [name.replace(f"_{k.part}_", f"_{part}_")]
    else:
        cand = [name.replace(f"_{k.part}_", f"_{part}_")]
    for c in cand:
        p = k.path.with_name(c)
        if c != name and p.is_file():
            found = detect(p, options)
            if found.family == k.family and found.instrument == k.instrument:
                return found
    return None


REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple: alternatives for one role (the first found beside is used)
    "lighter-csv": (("prices",), ("trades",)),
    "hyperliquid": (("orderbooks",), ("trades",)),
    "standx": (("orderbook",), ("trades",)),
    "lobster": (("message",), ("orderbook",)),
    "tardis": (tardis.BOOK_PARTS, ("trades",)),
}
OPTIONAL = {"hyperliquid": ("prices",)}


def _complete(group: list[FileKind], options: LoadOptions) -> tuple[list[FileKind], list[str]]:
    """The group with its missing parts found beside its files (per period), and notes saying so."""
    fam = group[0].family
    out = list(group)
    notes: list[str] = []
    given = {k.path for k in group}
    for k in group:
        roles = [*REQUIRED.get(fam, ()), *((p,) for p in OPTIONAL.get(fam, ()))]
        for alts in roles:
            if k.part in alts:
                continue
            if any(_same_period(k, o) and o.part in alts for o in out):
                continue
            sib = next((s for s in (_sibling(k, a, options) for a in alts) if s is not None), None)
            if sib is not None and sib.path not in given:
                out.append(sib)
                given.add(sib.path)
                notes.append(f"{sib.path.name}: found beside {k.path.name} and added (its {sib.part} part)")
            elif sib is None and alts in REQUIRED.get(fam, ()):
                raise DataError(f"{k.path}: needs its {' or '.join(alts)} file beside it (not found under the "
                                f"collector's naming); give both files")
    return out, notes


def _same_period(a: FileKind, b: FileKind) -> bool:
    """Two parts of one period (day, hour) of a family split over several files: the names agree
    once the parts' own names are taken out."""
    return a.path.name.replace(a.part, "", 1) == b.path.name.replace(b.part, "", 1)


def _build(group: list[FileKind], options: LoadOptions, notes: list[str]) -> Recording:
    fam, inst = group[0].family, group[0].instrument

    def part(*names: str) -> list[Path]:
        return sorted((k.path for k in group if k.part in names), key=lambda p: p.name)

    if fam == "binance":
        return binance.BinanceRecording([k.path for k in group])
    if fam == "npz":
        return NpzRecording([k.path for k in group])
    if fam == "lighter-record":
        return LighterWsRecording([k.path for k in group])
    if fam == "lighter-csv":
        return lighter_csv.LighterCsvRecording(part("prices"), part("trades"), inst, options.tz_hours, notes)
    if fam == "hyperliquid":
        return hyperliquid.HyperliquidRecording(part("orderbooks"), part("prices"), part("trades"), inst, notes)
    if fam == "standx":
        return standx.StandXRecording(part("orderbook"), part("trades"), inst, notes)
    if fam == "tardis":
        return tardis.TardisRecording({k.path: k.part for k in group}, inst, notes)
    if fam == "bybit":
        return bybit.BybitRecording([k.path for k in group], inst, notes)
    return lobster.LobsterRecording(part("message"), part("orderbook"), inst, notes)


def _describe(g: list[FileKind]) -> str:
    names = ", ".join(k.path.name for k in g[:3]) + (f" (+{len(g) - 3} more)" if len(g) > 3 else "")
    return f"{g[0].family} {g[0].instrument} [{names}]"


def recordings(paths: list[str | Path], options: LoadOptions | None = None) -> list[Recording]:
    """Every recording among `paths` (directories are expanded), one per format and instrument."""
    opts = options or LoadOptions()
    files = expand(paths)
    if not files:
        raise DataError("no data files given")
    out = []
    for g in _groups([detect(p, opts) for p in files]):
        full, notes = _complete(g, opts)
        out.append(_build(full, opts, notes))
    return out


def open_recording(paths: list[str | Path], options: LoadOptions | None = None) -> Recording:
    """The one recording `paths` make up (DataError if they mix formats or instruments)."""
    opts = options or LoadOptions()
    files = expand(paths)
    if not files:
        raise DataError("no data files given")
    groups = _groups([detect(p, opts) for p in files])
    if len(groups) != 1:
        raise DataError("the files mix formats or instruments: " + "; ".join(_describe(g) for g in groups)
                        + ". Replay one recording at a time")
    full, notes = _complete(groups[0], opts)
    return _build(full, opts, notes)
