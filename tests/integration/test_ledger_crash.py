"""The ledger survives kill -9 in the middle of writing: nothing acknowledged is lost, nothing is
counted twice after restart (repair + dedupe by trade id across rotated archives)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from lighter_bot.records.accounting import build
from lighter_bot.records.ledger import Ledger
from tests.records_support import fill_records, rows

REPO = Path(__file__).resolve().parents[2]
N = 1000
MAX_BYTES = 100_000  # ~4 rotations over 1000 fills


def _child(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.ledger_child", str(path), str(N), str(MAX_BYTES)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}"},
    )


def test_kill_9_mid_write_loses_nothing_acknowledged_and_counts_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "metrics" / "fills.jsonl"
    proc = _child(path)
    assert proc.stdout is not None
    acked: list[str] = []
    for line in proc.stdout:
        if line.startswith("ack "):
            acked.append(line.split()[1])
        if len(acked) >= N // 2:
            break
    proc.send_signal(signal.SIGKILL)  # the child is still appending and fsyncing batches
    rest, _ = proc.communicate(timeout=30)
    acked += [ln.split()[1] for ln in rest.splitlines() if ln.startswith("ack ")]
    assert proc.returncode == -signal.SIGKILL
    assert N // 2 <= len(acked) < N, "the child must die mid-run"

    # Restart: repair on open, then the venue replays every fill (as after a reconnect).
    reopened = Ledger(path, max_bytes=MAX_BYTES)
    on_disk = [str(r["trade_id"]) for r in reopened.rows()]
    assert set(acked) <= set(on_disk), "an acknowledged fill was lost"
    assert max(Counter(on_disk).values()) == 1
    proc2 = _child(path)
    out, err = proc2.communicate(timeout=60)
    assert proc2.returncode == 0, err
    assert out.splitlines()[-1] == "done"

    final = Ledger(path, max_bytes=MAX_BYTES)
    ids = [str(r["trade_id"]) for r in final.rows()]
    assert Counter(ids) == Counter(f"t{i}" for i in range(N)), "every fill exactly once"
    assert len(final.file.archives()) >= 2, "the run must have crossed rotations"
    assert final.bad_lines == 0

    # The books from disk equal the books of the 1000 fills computed in memory.
    expected, _ = build(rows(fill_records(N, 1_700_000_000.0, 1.0)))
    got, bad = build(final.rows())
    assert bad == 0
    assert got.totals.fills == N
    assert abs(got.totals.realized_quote - expected.totals.realized_quote) < 1e-9
    assert abs(got.totals.fees_paid - expected.totals.fees_paid) < 1e-9
