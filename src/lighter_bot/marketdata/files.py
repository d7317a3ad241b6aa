"""Reading recorded files line by line (plain, gzip, zstd) with one clear DataError per problem.

Every reader streams: a file is never read whole into memory. A truncated gzip or zstd file, bad
UTF-8 or an unreadable file surfaces as DataError naming the file, whenever the reader reaches it.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lighter_bot.errors import DataError


def open_text(path: Path) -> Iterator[str]:
    """The file's lines (decompressed by suffix: .gz, .zst, else plain text)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                yield from fh
        elif path.suffix == ".zst":
            from lighter_bot.marketdata.zstd_lines import zstd_lines

            yield from zstd_lines(path)  # its stream reader would end quietly inside a cut-off frame
        else:
            with path.open(encoding="utf-8") as fh:
                yield from fh
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc}); the file is damaged or truncated") from None
    except DataError:
        raise
    except Exception as exc:  # zstandard.ZstdError has no stable import path in the stubs
        raise DataError(f"{path}: cannot decompress ({exc}); the file is damaged or truncated") from None


def first_line(path: Path) -> str:
    """The first non-empty line ('' for an empty file)."""
    for line in open_text(path):
        if line.strip():
            return line.strip()
    return ""


def csv_lines(path: Path, header: list[str], optional_tail: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a comma-separated file whose first line must equal `header`; rows may
    lack the last `optional_tail` columns (a collector that changed its output mid-file).

    The collectors' CSVs hold numbers and short words only (no quoting), so a plain split is exact
    and several times faster than the csv module."""
    lines = open_text(path)
    first = next(lines, "").strip()
    if first.split(",") != header:
        raise DataError(f"{path}: unexpected header {first[:120]!r} (expected {','.join(header)[:120]!r})")
    n_fields = len(header)
    for n, line in enumerate(lines, 2):
        s = line.rstrip("\r\n")
        if not s:
            continue
        fields = s.split(",")
        if len(fields) != n_fields and not n_fields - optional_tail <= len(fields) < n_fields:
            raise DataError(f"{path}:{n}: {len(fields)} fields, expected {n_fields} (a truncated or malformed line)")
        yield n, fields


def decimals(s: str) -> int:
    """Decimals of a number string without its trailing zeros ('1e-05' -> 5, '0.10' -> 1, '7' -> 0)."""
    try:
        exp = Decimal(s).normalize().as_tuple().exponent
    except InvalidOperation:
        return 0
    return -exp if isinstance(exp, int) and exp < 0 else 0


def number(path: Path, n: int, s: str) -> float:
    try:
        return float(s)
    except ValueError:
        raise DataError(f"{path}:{n}: {s!r} is not a number") from None
