"""`python scripts/refresh_ws_token.py --config config.yaml --railway`, as written: a real token from the
SDK's signer, `.env.ws_token` at 0600, Railway variables set through a `railway` executable on PATH
(a tiny fake CLI written here), and the token never printed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ACCOUNT, KEY_INDEX = 366110, 4
# Importing the SDK (for create_api_key) imports its websockets client, deprecated upstream.
pytestmark = pytest.mark.filterwarnings("ignore:websockets.client.connect is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def api_key() -> str:
    from lighter.signer_client import create_api_key

    private, _public, err = create_api_key()
    assert err is None
    return str(private)


def fake_railway(bindir: Path, exit_code: int = 0) -> Path:
    """A `railway` that records its argv (one per line) and, when failing, echoes it like a CLI error."""
    bindir.mkdir(parents=True, exist_ok=True)
    log = bindir / "railway-args.txt"
    exe = bindir / "railway"
    exe.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do printf "%s\\n" "$a" >> "{log}"; done\n'
        + (f'echo "Unauthorized. Please login: $*" >&2\nexit {exit_code}\n' if exit_code else 'echo "Set variables"\n')
    )
    exe.chmod(0o755)
    return log


def run(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "refresh_ws_token.py"), *args], cwd=workdir,
                          env=env, capture_output=True, text=True, timeout=120)


def base_env(workdir: Path, key: str, path: str, old_names: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIGHTER_", "API_KEY", "ACCOUNT_INDEX", "WS_"))}
    env["PATH"] = path
    names = ("API_KEY_PRIVATE_KEY", "ACCOUNT_INDEX", "API_KEY_INDEX") if old_names else (
        "LIGHTER_API_PRIVATE_KEY", "LIGHTER_ACCOUNT_INDEX", "LIGHTER_API_KEY_INDEX")
    env.update(zip(names, (key, str(ACCOUNT), str(KEY_INDEX)), strict=True))
    return env


def read_token_file(p: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in p.read_text().splitlines())


def test_as_written_with_railway(workdir: Path, api_key: str, tmp_path: Path) -> None:
    log = fake_railway(tmp_path / "bin")
    env = base_env(workdir, api_key, f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    t0 = int(time.time())
    r = run(workdir, env, "--config", "config.yaml", "--railway")
    assert r.returncode == 0, r.stderr
    token_file = workdir / ".env.ws_token"
    vals = read_token_file(token_file)
    assert set(vals) == {"WS_AUTH_TOKEN", "LIGHTER_API_BEARER"} and vals["WS_AUTH_TOKEN"] == vals["LIGHTER_API_BEARER"]
    token = vals["WS_AUTH_TOKEN"]
    expiry, acct, key_idx, sig = token.split(":")
    assert (int(acct), int(key_idx)) == (ACCOUNT, KEY_INDEX) and len(sig) == 160
    assert t0 + 3600 <= int(expiry) <= int(time.time()) + 3600
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token not in r.stdout + r.stderr and sig not in r.stdout + r.stderr
    assert api_key.removeprefix("0x") not in r.stdout + r.stderr
    argv = log.read_text().splitlines()
    assert argv == ["variables", "--service", "lighter-bot", "--set", f"WS_AUTH_TOKEN={token}",
                    "--set", f"LIGHTER_API_BEARER={token}"]
    assert "set WS_AUTH_TOKEN and LIGHTER_API_BEARER on Railway" in r.stdout


def test_railway_cli_missing_is_said_clearly(workdir: Path, api_key: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run(workdir, base_env(workdir, api_key, str(empty), old_names=True), "--config", "config.yaml", "--railway")
    assert r.returncode == 3, r.stderr
    assert "the `railway` CLI is not on PATH" in r.stderr and "NOT updated" in r.stderr
    assert (workdir / ".env.ws_token").exists()  # the local file is still refreshed


def test_railway_failure_is_reported_without_the_token(workdir: Path, api_key: str, tmp_path: Path) -> None:
    fake_railway(tmp_path / "bin", exit_code=1)
    r = run(workdir, base_env(workdir, api_key, f"{tmp_path / 'bin'}:{os.environ['PATH']}"), "--railway")
    assert r.returncode == 4
    token = read_token_file(workdir / ".env.ws_token")["WS_AUTH_TOKEN"]
    assert "Unauthorized. Please login" in r.stderr and "***" in r.stderr and token not in r.stderr + r.stdout


def test_expiry_and_output_flags(workdir: Path, api_key: str) -> None:
    env = base_env(workdir, api_key, os.environ["PATH"])
    r = run(workdir, env, "--expiry-seconds", "600", "--output", "tok.env")
    assert r.returncode == 0, r.stderr
    expiry = int(read_token_file(workdir / "tok.env")["WS_AUTH_TOKEN"].split(":")[0])
    assert abs(expiry - (time.time() + 600)) < 60
    r = run(workdir, env, "--expiry-seconds", "99999")
    assert r.returncode == 2 and "8 h maximum" in r.stderr
    r = run(workdir, env, "--dry-run")
    assert r.returncode == 0 and not (workdir / ".env.ws_token").exists()


def test_missing_or_bad_credentials_exit_2(workdir: Path, api_key: str) -> None:
    env = base_env(workdir, api_key, os.environ["PATH"])
    del env["LIGHTER_API_PRIVATE_KEY"], env["LIGHTER_API_KEY_INDEX"]
    r = run(workdir, env)
    assert r.returncode == 2
    assert "LIGHTER_API_PRIVATE_KEY is not set" in r.stderr and "LIGHTER_API_KEY_INDEX is not set" in r.stderr
    env = base_env(workdir, "0xnothex", os.environ["PATH"])
    r = run(workdir, env)
    assert r.returncode == 2 and "not an API private key" in r.stderr and "nothex" not in r.stderr
    assert "Traceback" not in r.stderr
