"""Text lines of a zstd file, telling a complete file from a cut-off one.

zstandard's stream reader ends quietly when the input stops inside a frame, so a recording cut off
mid-write (a recorder killed, a partial copy) used to read as a shorter one, or as nothing at all
("unknown data format"). Here every frame must end: a file whose last frame does not is reported,
with how many complete lines came before the cut. Concatenated frames are read in order.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

import zstandard

from lighter_bot.errors import DataError

_CHUNK = 1 << 16


class TruncatedZstd(DataError):
    def __init__(self, path: Path, lines: int) -> None:
        self.lines = lines
        super().__init__(f"{path}: truncated zstd file (it ends inside a compressed frame, after {lines} complete "
                         "line(s)): it was cut off before it was closed; copy it again, or keep its complete "
                         "lines with `zstd -dc FILE | head -n -1 | zstd -o FIXED.jsonl.zst`")


def zstd_lines(path: Path) -> Iterator[str]:
    """Every line of `path` (UTF-8), or TruncatedZstd once the input ends inside a frame."""
    dctx = zstandard.ZstdDecompressor()
    text = codecs.getincrementaldecoder("utf-8")()
    tail = ""
    lines = 0
    with path.open("rb") as raw:
        obj = dctx.decompressobj()
        pending = False  # the current frame has input but has not ended
        while chunk := raw.read(_CHUNK):
            data = chunk
            while data:
                out = obj.decompress(data)
                pending = True
                data = b""
                if obj.eof:  # a frame ended: the rest of the input starts the next one
                    data, obj, pending = obj.unused_data, dctx.decompressobj(), False
                if out:
                    tail += text.decode(out)
                    *done, tail = tail.split("\n")
                    for line in done:
                        lines += 1
                        yield line + "\n"
        if pending:
            raise TruncatedZstd(path, lines)
    tail += text.decode(b"", final=True)
    if tail:
        yield tail
