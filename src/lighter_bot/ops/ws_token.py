"""Auth-token rotation: mint a token in-process with the SDK's signer, write `.env.ws_token` (0600),
and optionally set the two Railway variables through the `railway` CLI. The token is never printed,
logged, or put in an error message."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lighter_bot.config import Secrets
from lighter_bot.errors import ConfigError, FatalVenueError
from lighter_bot.ops.profiles import write_atomic

MAX_EXPIRY_S = 8 * 3600  # Lighter's documented maximum for auth tokens
TOKEN_VARIABLES = ("WS_AUTH_TOKEN", "LIGHTER_API_BEARER")
_KEY_RE = re.compile(r"^(0x)?[0-9a-fA-F]{80}$")


@dataclass(frozen=True, slots=True)
class Credentials:
    private_key: str
    account_index: int
    api_key_index: int


def credentials(secrets: Secrets) -> Credentials:
    """The three values the signer needs, or one ConfigError naming every missing/bad variable."""
    problems: list[str] = []
    if secrets.api_private_key is None:
        problems.append("LIGHTER_API_PRIVATE_KEY is not set (the old name API_KEY_PRIVATE_KEY works too)")
    elif not _KEY_RE.match(secrets.api_private_key.get_secret_value()):
        problems.append("LIGHTER_API_PRIVATE_KEY is not an API private key (expected 80 hex characters, optional 0x)")
    if secrets.account_index is None:
        problems.append("LIGHTER_ACCOUNT_INDEX is not set (the old name ACCOUNT_INDEX works too)")
    if secrets.api_key_index is None:
        problems.append("LIGHTER_API_KEY_INDEX is not set (the old name API_KEY_INDEX works too)")
    elif not 0 <= secrets.api_key_index <= 254:
        problems.append(f"LIGHTER_API_KEY_INDEX ({secrets.api_key_index}) must be between 0 and 254")
    if problems:
        raise ConfigError(problems, "environment")
    assert secrets.api_private_key is not None and secrets.account_index is not None and secrets.api_key_index is not None
    return Credentials(secrets.api_private_key.get_secret_value(), secrets.account_index, secrets.api_key_index)


def check_expiry(expiry_seconds: int) -> None:
    if not 60 <= expiry_seconds <= MAX_EXPIRY_S:
        raise ConfigError([f"--expiry-seconds ({expiry_seconds}) must be between 60 and {MAX_EXPIRY_S} (Lighter's 8 h maximum)"])


def _scrub(text: str, *secrets: str) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***").replace(s.removeprefix("0x"), "***")
    return text


async def create_token(base_url: str, creds: Credentials, expiry_seconds: int, now: int) -> str:
    """`SignerClient.create_auth_token_with_expiry`, offline (no request is made). Needs a running loop."""
    # The SDK loads its native signer on import: keep that out of the other commands.
    from lighter.signer_client import SignerClient

    try:
        client = SignerClient(
            url=base_url, account_index=creds.account_index, api_private_keys={creds.api_key_index: creds.private_key}
        )
    except Exception as exc:  # the SDK raises bare Exception with the native error text
        raise FatalVenueError(f"the SDK signer rejected the credentials: {_scrub(str(exc), creds.private_key)}") from None
    try:
        token, err = client.create_auth_token_with_expiry(expiry_seconds, timestamp=now, api_key_index=creds.api_key_index)
    finally:
        await client.close()  # type: ignore[no-untyped-call]
    if err or not token:
        raise FatalVenueError(f"the SDK signer could not create a token: {_scrub(str(err), creds.private_key)}")
    return str(token)


def write_token_file(path: Path, token: str) -> None:
    """Two lines, `WS_AUTH_TOKEN=` and `LIGHTER_API_BEARER=` (the same token), mode 0600."""
    write_atomic(path, "".join(f"{name}={token}\n" for name in TOKEN_VARIABLES), mode=0o600)
    os.chmod(path, 0o600)  # an existing file keeps its mode through os.replace on some filesystems


class RailwayMissing(Exception):
    pass


class RailwayFailed(Exception):
    pass


def railway_set(token: str, service: str | None, env: dict[str, str] | None = None, timeout_s: float = 60.0) -> str:
    """`railway variables [--service S] --set WS_AUTH_TOKEN=... --set LIGHTER_API_BEARER=...`.

    Returns the CLI's (scrubbed) output. Raises RailwayMissing when `railway` is not on PATH and
    RailwayFailed (with the scrubbed output) when it exits non-zero.
    """
    environ = dict(os.environ if env is None else env)
    exe = shutil.which("railway", path=environ.get("PATH"))
    if exe is None:
        raise RailwayMissing()
    argv = [exe, "variables"]
    if service:
        argv += ["--service", service]
    for name in TOKEN_VARIABLES:
        argv += ["--set", f"{name}={token}"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, env=environ, check=False)
    except subprocess.TimeoutExpired:
        raise RailwayFailed(f"`railway variables` did not finish within {timeout_s:g} s") from None
    out = _scrub((proc.stdout + proc.stderr).strip(), token)
    if proc.returncode != 0:
        raise RailwayFailed(f"`railway variables` exited {proc.returncode}: {out[-500:] or '(no output)'}")
    return out
