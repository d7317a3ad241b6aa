"""Auth-token checks: the SDK's `create_auth_token_with_expiry` format and read-only tokens.

Format (lighter-api.md §1.7): `{expiry_unix_s}:{account_index}:{api_key_index}:{160 hex}`, and
read-only `ro:{account_index}:{single|all}:{expiry_unix_s}:{hex}`. The trailing signature cannot be
verified (no verifier in the bundled signer); expiry, account and key registration are checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lighter_bot.venues.emulator.txinfo import ApiError

_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True, slots=True)
class AuthToken:
    account_index: int
    api_key_index: int | None  # None for read-only tokens
    expiry: int  # unix seconds
    read_only: bool


def _bad(reason: str) -> ApiError:
    return ApiError(20013, f"invalid auth: {reason}")


def parse_token(token: str) -> AuthToken:
    parts = token.strip().split(":")
    if len(parts) == 5 and parts[0] == "ro":
        _, acc, scope, exp, sig = parts
        if scope not in ("single", "all") or not acc.isdigit() or not exp.isdigit() or not _HEX.match(sig):
            raise _bad("malformed read-only token")
        return AuthToken(int(acc), None, int(exp), True)
    if len(parts) != 4:
        raise _bad("malformed token")
    exp, acc, key, sig = parts
    if not (exp.isdigit() and acc.isdigit() and key.isdigit()) or len(sig) != 160 or not _HEX.match(sig):
        raise _bad("malformed token")
    return AuthToken(int(acc), int(key), int(exp), False)


def check_token(
    token: str | None,
    account_index: int | None,
    now: float,
    max_expiry_s: float,
    key_registered: Callable[[int, int], bool],
) -> AuthToken:
    """Validate a token for access to `account_index` (None: any of the token's own account)."""
    if not token:
        raise _bad("missing auth token")
    tok = parse_token(token)
    if tok.expiry <= now:
        raise _bad("token expired")
    if not tok.read_only and tok.expiry > now + max_expiry_s + 60:
        raise _bad("token expiry too far in the future (max 8 hours)")
    if account_index is not None and tok.account_index != account_index:
        raise _bad("token is for another account")
    if tok.api_key_index is not None and not key_registered(tok.account_index, tok.api_key_index):
        raise _bad("api key not registered")
    return tok
