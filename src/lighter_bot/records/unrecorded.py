"""Fills the ledger could not take before the bot exited: saved where they can be recovered.

The rows are written as `{"trades": [ledger rows]}`, the format `lighter-bot metrics import-json
--input FILE` reads back (deduplicated by trade id), to the first place that takes them:

1. `<ledger folder>/unrecorded-<UTC time>-<pid>.json` (the ledger file itself refused, the folder may not);
2. `<system temp folder>/lighter-bot-unrecorded-<UTC time>-<pid>.json`;
3. failing both, every row goes to stderr as one JSON line `{"event": "ledger_unrecorded_fill", ...}`,
   so `railway logs` still holds it.

docs/ledger.md says how to put them back.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lighter_bot.records.jsonl import stamp


def _write(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    data = json.dumps({"trades": list(rows)}, separators=(",", ":"), default=str).encode() + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def dump(rows: Sequence[dict[str, Any]], ledger_path: str | Path, wall: Callable[[], float] = time.time) -> Path | None:
    """Save `rows`; the file they went to, or None when only stderr took them."""
    if not rows:
        return None
    name = f"unrecorded-{stamp(wall())}-{os.getpid()}.json"
    for folder, fname in ((Path(ledger_path).parent, name), (Path(tempfile.gettempdir()), f"lighter-bot-{name}")):
        try:
            path = folder / fname
            _write(path, rows)
            return path
        except OSError:
            continue
    for row in rows:
        print(json.dumps({"event": "ledger_unrecorded_fill", "row": row}, separators=(",", ":"), default=str),
              file=sys.stderr)
    sys.stderr.flush()
    return None
