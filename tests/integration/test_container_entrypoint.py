"""The container entrypoint as a real process: as root it hands data/ to the unprivileged user and
drops privileges before exec; as non-root on an unwritable volume it refuses with the fix."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def entry(data: Path, *cmd: str, user: str = "nobody", **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIGHTER_DATA_DIR": str(data), "LIGHTER_RUN_AS": user, **extra}
    return subprocess.run([sys.executable, "-m", "lighter_bot.ops.container", *cmd], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory the unprivileged user can traverse (pytest's tmp_path parents are 0700)."""
    d = Path(tempfile.mkdtemp(prefix="lighter-entry-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d)


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to test the privilege drop")


@root_only
def test_root_chowns_the_volume_and_drops_privileges(open_dir: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    data = open_dir / "data"
    (data / "metrics").mkdir(parents=True)
    (data / "metrics" / "fills.jsonl").write_text("{}\n")  # e.g. a ledger from a root-run deploy
    r = entry(data, "sh", "-c", "id -u; id -g; id -G; touch \"$LIGHTER_DATA_DIR/metrics/new\" && echo wrote")
    assert r.returncode == 0, r.stderr
    uid, gid, groups, wrote = r.stdout.split("\n")[:4]
    assert (int(uid), int(gid), groups.split()) == (nobody.pw_uid, nobody.pw_gid, [str(nobody.pw_gid)])
    assert wrote == "wrote"
    assert all(p.stat().st_uid == nobody.pw_uid for p in [data, *data.rglob("*")])
    bad = entry(data, "true", user="no-such-user")
    assert bad.returncode == 78 and "does not exist in the image" in bad.stderr


@root_only
def test_unreachable_volume_is_refused_with_the_fix(tmp_path: Path) -> None:
    r = entry(tmp_path / "data", "true")  # tmp_path's parent is 0700: nobody cannot reach it
    assert r.returncode == 78 and "not writable by uid" in r.stderr and "RAILWAY_RUN_UID=0" in r.stderr


def test_usage_and_missing_command(tmp_path: Path) -> None:
    assert entry(tmp_path / "d").returncode == 2
    r = entry(tmp_path / "d", "/nonexistent/binary", user=pwd.getpwuid(os.geteuid()).pw_name)
    assert r.returncode == 127 and "cannot run" in r.stderr


def test_on_railway_without_a_volume_it_refuses_to_start(tmp_path: Path) -> None:
    me = pwd.getpwuid(os.geteuid()).pw_name
    data = tmp_path / "data"
    r = entry(data, "true", user=me, RAILWAY_ENVIRONMENT_ID="env-1")
    assert r.returncode == 78 and "no Railway volume is attached" in r.stderr and str(data) in r.stderr
    wrong = entry(data, "true", user=me, RAILWAY_ENVIRONMENT_ID="env-1", RAILWAY_VOLUME_MOUNT_PATH="/data")
    assert wrong.returncode == 78 and "mounted at /data" in wrong.stderr
    ok = entry(data, "true", user=me, RAILWAY_ENVIRONMENT_ID="env-1", RAILWAY_VOLUME_MOUNT_PATH=str(data))
    assert ok.returncode == 0, ok.stderr
    forced = entry(data, "true", user=me, RAILWAY_ENVIRONMENT_ID="env-1", LIGHTER_ALLOW_NO_VOLUME="1")
    assert forced.returncode == 0, forced.stderr
    assert entry(data, "true", user=me).returncode == 0  # not on Railway: no volume needed
