"""Read-only REST client for the operator tools: Lighter's public and account endpoints over aiohttp.

Errors are mapped to the bot's exception tree so the CLI can say what to fix:
an unreachable or wrong URL, a bad parameter (HTTP 400/404) and a rejected token (401/403) are the
user's to fix (ConfigError / DataError / AuthError, exit 2); 5xx, 429 and non-JSON answers are the venue's
(VenueError, exit 1). The auth token travels only in the `authorization` header, never in a URL,
so it cannot leak into an error message or a proxy log.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

import aiohttp

from lighter_bot.errors import AuthError, ConfigError, DataError, VenueError

DEFAULT_TIMEOUT_S = 15.0
TRADES_PAGE_MAX = 100  # Lighter caps /api/v1/trades at 100 per page


class LighterRest:
    """`async with LighterRest(base_url) as rest: await rest.get("/api/v1/orderBookDetails")`."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        base = base_url.strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError([f"--base-url {base_url!r} must start with http:// or https://"])
        self.base_url = base
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LighterRest:
        # trust_env: honour HTTP(S)_PROXY / NO_PROXY like the SDK does.
        self._session = aiohttp.ClientSession(timeout=self._timeout, trust_env=True)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, path: str, params: dict[str, Any] | None = None, *, auth: bool = False) -> dict[str, Any]:
        """GET base_url+path and return the JSON object; raise a clear error otherwise."""
        if self._session is None:
            raise RuntimeError("LighterRest used outside `async with`")
        url = self.base_url + path
        query = {k: _q(v) for k, v in (params or {}).items() if v is not None}
        headers = {"accept": "application/json"}
        if auth:
            if not self._token:
                raise ConfigError([f"{path} needs an auth token: pass --token or set LIGHTER_API_BEARER"])
            headers["authorization"] = self._token
        try:
            async with self._session.get(url, params=query, headers=headers) as resp:
                body = await resp.text()
                status = resp.status
        except (aiohttp.ClientConnectionError, aiohttp.InvalidURL) as exc:
            raise DataError(f"cannot reach {url} ({type(exc).__name__}): check --base-url") from None
        except TimeoutError:
            raise VenueError(f"{url} did not answer within {self._timeout.total:g} s") from None
        return _decode(url, status, body, auth)


def _q(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _decode(url: str, status: int, body: str, auth: bool) -> dict[str, Any]:
    message = _message(body)
    # Lighter (and the emulator) may answer a bad token with 400 "invalid auth": name the fix either way.
    auth_problem = status in (401, 403) or (status == 400 and any(w in message.lower() for w in ("auth", "token")))
    if auth and auth_problem:
        raise AuthError(f"authentication failed: {url} refused the auth token (HTTP {status}{message}). Mint a "
                        "fresh one with `python scripts/refresh_ws_token.py --config config.yaml` and pass it with "
                        "--token or LIGHTER_API_BEARER (tokens expire after at most 8 h)")
    if status in (400, 404):
        raise DataError(f"{url} answered HTTP {status}{message}: check the parameters")
    if status == 429:
        raise VenueError(f"{url} is rate limiting us (HTTP 429): wait a minute and retry")
    if status >= 400:
        raise VenueError(f"{url} answered HTTP {status}{message}")
    try:
        data = json.loads(body)
    except ValueError:
        raise VenueError(f"{url} did not return JSON (HTTP {status}): is --base-url a Lighter API?") from None
    if not isinstance(data, dict):
        raise VenueError(f"{url} returned JSON {type(data).__name__}, expected an object")
    code = data.get("code")
    if isinstance(code, int) and code not in (0, 200):
        raise DataError(f"{url} answered code {code}{_message(body)}")
    return data


def _message(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if isinstance(data, dict) and data.get("message"):
        return f": {str(data['message'])[:200]}"
    return ""
