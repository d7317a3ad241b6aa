"""One bot per account and market: the ledger-folder lock (records/instance_lock.py) and what the
exchange shows of another bot (venues/lighter/instance_check.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lighter_bot.errors import InstanceConflict
from lighter_bot.records.instance_lock import InstanceLock
from lighter_bot.venues.lighter.instance_check import ForeignOrders
from lighter_bot.venues.lighter.orders import CLIENT_SPAN, client_index_base
from lighter_bot.venues.lighter.parse_account import OrderInfo

NOW = 1_762_000_000.0
BASE = client_index_base(NOW)


def order(index: int, coi: int, price: int = 170_000, remaining: int = 64, status: str = "open") -> OrderInfo:
    return OrderInfo(index, coi, 2, False, price, 64, remaining, 64 - remaining, status, False, "post-only")


def test_the_ledger_lock_refuses_a_second_bot_naming_the_first(tmp_path: Path) -> None:
    ledger = tmp_path / "data/metrics/fills.jsonl"
    first = InstanceLock(ledger, market=2).acquire()
    with pytest.raises(InstanceConflict) as err:
        InstanceLock(ledger, market=2).acquire()
    msg = str(err.value)
    assert f"pid {os.getpid()}" in msg and "another lighter-bot is running on this ledger" in msg
    first.release()
    InstanceLock(ledger).acquire().release()


def test_the_ledger_lock_dies_with_its_holder_even_on_kill_9(tmp_path: Path) -> None:
    ledger = tmp_path / "fills.jsonl"
    code = ("import sys,time; from lighter_bot.records.instance_lock import InstanceLock; "
            "InstanceLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code, str(ledger)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(InstanceConflict, match=f"pid {child.pid}"):
            InstanceLock(ledger).acquire()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        InstanceLock(ledger).acquire().release()  # the kernel dropped the dead holder's lock
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_start_probe_tells_a_live_bot_from_a_dead_runs_orphans() -> None:
    f = ForeignOrders(BASE, NOW)
    older = BASE - 500 * 100_000  # a run that started 500 s before ours
    orphans = [order(1, older + 1), order(2, older + 2, price=170_100)]
    # Orphans do not move; one being filled meanwhile only changes its remaining size.
    assert f.at_start(orphans, [order(1, older + 1, remaining=10), orphans[1]]) is None
    assert f.at_start(orphans, orphans[:1]) is None  # one expired or was cancelled by the exchange
    moved = f.at_start(orphans, [order(1, older + 1, price=169_990), orphans[1]])
    assert moved is not None and "moved from 170000 to 169990" in moved
    placed = f.at_start(orphans, [*orphans, order(3, older + 3)])
    assert placed is not None and "was placed while we were starting" in placed
    # Our own run's indexes are never foreign.
    assert f.at_start([], [order(4, BASE + 7)]) is None


def test_running_an_older_live_bots_new_order_halts_us_and_is_left_alone() -> None:
    f = ForeignOrders(BASE, NOW, grace_s=5.0, hold_s=30.0)
    older, newer = BASE - 10 * 100_000, BASE + CLIENT_SPAN + 5
    f.note_listed([order(1, older + 1)])
    assert not f.on_orphan(order(1, older + 1), NOW + 10)  # listed at start: an orphan, cancel it
    assert not f.on_orphan(order(2, older + 2), NOW + 1)  # an earlier run's placement landing late
    assert not f.on_orphan(order(3, BASE + 9), NOW + 10)  # ours
    assert not f.on_orphan(order(4, newer), NOW + 10) and f.newer_warned  # the newer bot is the second one
    assert not f.active(NOW + 10)
    assert f.on_orphan(order(5, older + 5), NOW + 10)  # an older bot placed it after our start: we are second
    assert f.active(NOW + 10) and "another bot is trading this account and market" in f.detail
    assert f.active(NOW + 39.9) and not f.active(NOW + 40.0)  # resumes after 30 s without a sign of it
