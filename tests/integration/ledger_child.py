"""Child process for the kill -9 test: appends N fills through the real Ledger in small batches and
prints each acknowledged trade id (after `append` returned) on stdout."""

from __future__ import annotations

import sys

from lighter_bot.domain.market import SOL_PERP
from lighter_bot.records.ledger import Ledger
from lighter_bot.telemetry.logs import configure_logging
from tests.records_support import fill_records


def main() -> None:
    configure_logging(json_output=True)  # logs go to stderr; stdout carries only acks
    path, n, max_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ledger = Ledger(path, SOL_PERP, "cfg", "child", max_bytes=max_bytes)
    recs = fill_records(n, 1_700_000_000.0, 1.0)
    i = 0
    size = 1
    while i < n:
        batch = recs[i : i + size]
        ledger.append(batch)
        sys.stdout.write("".join(f"ack {r.fill.trade_id}\n" for r in batch))
        sys.stdout.flush()
        i += len(batch)
        size = size % 7 + 1
    sys.stdout.write("done\n")


if __name__ == "__main__":
    main()
