"""Credentials, only from the environment or the files it names; never logged (SecretStr)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from lighter_bot.config.units import _Model
from lighter_bot.errors import ConfigError


class Secrets(_Model):
    """Credentials, only from the environment or files it names. Never logged (SecretStr)."""

    api_private_key: SecretStr | None = None
    account_index: int | None = None
    api_key_index: int | None = None
    ws_auth_token: SecretStr | None = None
    api_bearer: SecretStr | None = None

    def redacted(self) -> dict[str, Any]:
        def mark(v: object) -> object:
            return None if v is None else ("***" if isinstance(v, SecretStr) else v)

        return {k: mark(getattr(self, k)) for k in type(self).model_fields}


def _env(*names: str) -> str | None:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v.strip()
    return None


def read_token_file(path: Path) -> str:
    """The auth token in a file: `LIGHTER_API_BEARER=...` (or `WS_AUTH_TOKEN=...`, as .env.ws_token
    holds it), or the token alone on the first line. ConfigError names the file, never the token."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([f"--token-file {path}: cannot read ({exc.strerror or exc})"]) from None
    pairs = _read_token_file(path)
    token = pairs.get("LIGHTER_API_BEARER") or pairs.get("WS_AUTH_TOKEN")
    if token is None and not pairs:
        token = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), None)
    if not token:
        raise ConfigError([f"--token-file {path}: no token in it (expected LIGHTER_API_BEARER=... or the token alone)"])
    return token


def _read_token_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip().strip('"').strip("'")
    return out


MAX_API_KEY_INDEX = 254  # Lighter's API key indexes (255 is the SDK's "last registered key")
_API_KEY_RE = re.compile(r"(0x)?[0-9a-fA-F]{80}")  # a 40-byte private key (lighter-api.md 1.1)


def load_secrets(env: dict[str, str] | None = None) -> Secrets:
    """Secrets from the environment (new names first, the old bot's names accepted), then `.env.ws_token`."""
    src = dict(os.environ) if env is None else env

    def get(*names: str) -> str | None:
        for n in names:
            v = src.get(n)
            if v:
                return v.strip()
        return None

    token_file = _read_token_file(Path(get("WS_TOKEN_FILE") or ".env.ws_token"))
    problems: list[str] = []

    def as_int(name_val: tuple[str, str | None]) -> int | None:
        name, val = name_val
        if val is None:
            return None
        try:
            return int(val)
        except ValueError:
            problems.append(f"environment {name} ({val!r}) must be an integer")
            return None

    acct = as_int(("LIGHTER_ACCOUNT_INDEX", get("LIGHTER_ACCOUNT_INDEX", "ACCOUNT_INDEX")))
    key_idx = as_int(("LIGHTER_API_KEY_INDEX", get("LIGHTER_API_KEY_INDEX", "API_KEY_INDEX")))
    if acct is not None and acct < 0:
        problems.append(f"environment LIGHTER_ACCOUNT_INDEX ({acct}) must be >= 0: your Lighter account index")
    if key_idx is not None and not 0 <= key_idx <= MAX_API_KEY_INDEX:
        problems.append(f"environment LIGHTER_API_KEY_INDEX ({key_idx}) must be 0..{MAX_API_KEY_INDEX}")
    pk = get("LIGHTER_API_PRIVATE_KEY", "API_KEY_PRIVATE_KEY")
    if pk is not None and not _API_KEY_RE.fullmatch(pk):
        # The value is never shown: only its shape.
        problems.append(f"LIGHTER_API_PRIVATE_KEY is not an API private key ({len(pk)} characters; expected 80 hex "
                        "characters, optional 0x)")
    if problems:
        raise ConfigError(problems, "environment")
    ws = get("WS_AUTH_TOKEN") or token_file.get("WS_AUTH_TOKEN")
    bearer = get("LIGHTER_API_BEARER") or token_file.get("LIGHTER_API_BEARER")
    return Secrets(
        api_private_key=SecretStr(pk) if pk else None,
        account_index=acct,
        api_key_index=key_idx,
        ws_auth_token=SecretStr(ws) if ws else None,
        api_bearer=SecretStr(bearer) if bearer else None,
    )
