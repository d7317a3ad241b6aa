"""Auth tokens for Lighter's private REST endpoints and account channels, renewed in-process.

A token is `{expiry}:{account}:{api_key}:{signature}`, signed offline by the SDK's signer from the
API private key (at most 8 h; we ask for 1 h and renew 15 min before expiry, so a running bot never
holds an expired token). Without a signer (no private key) we fall back to `WS_AUTH_TOKEN` /
`.env.ws_token` and warn loudly, well before it expires, because nothing can renew it. The token is
a secret: it is only ever handed to the transport, never logged.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from lighter_bot.engine.clock import Clock
from lighter_bot.venues.lighter.parse import token_expiry

log = structlog.get_logger("lighter.auth")

# (expiry_epoch_s) -> (token, error); wraps SignerClient.create_auth_token_with_expiry
TokenFactory = Callable[[int], tuple[str | None, str | None]]


class AuthTokens:
    def __init__(
        self,
        clock: Clock,
        factory: TokenFactory | None,
        fallback: str | None = None,
        lifetime_s: float = 3600.0,
        renew_before_s: float = 900.0,
        warn_before_s: float = 3600.0,
    ) -> None:
        if renew_before_s >= lifetime_s:
            raise ValueError("renew_before_s must be shorter than lifetime_s")
        self._clock = clock
        self._factory = factory
        self._fallback = fallback
        self.lifetime_s = lifetime_s
        self.renew_before_s = renew_before_s
        self.warn_before_s = warn_before_s
        self._token: str | None = None
        self._expiry: float | None = None
        self.renewals = 0
        self.last_error = ""
        self._warned_at: float | None = None

    @property
    def expiry(self) -> float | None:
        return self._expiry

    def _mint(self) -> bool:
        assert self._factory is not None
        expiry = int(self._clock.now() + self.lifetime_s)
        token, err = self._factory(expiry)
        if err or not token:
            self.last_error = "signer could not create an auth token" + (f": {err}" if err else "")
            log.error("auth_token_renewal_failed", error=self.last_error)
            return False
        self._token, self._expiry = token, float(token_expiry(token) or expiry)
        self.renewals += 1
        self.last_error = ""
        return True

    def token(self) -> str | None:
        """A valid token, renewing it first when it is close to expiry; None if we have none."""
        now = self._clock.now()
        if self._factory is not None:
            if self._expiry is None or self._expiry - now <= self.renew_before_s:
                ok = self._mint()
                if not ok and (self._expiry is None or self._expiry <= now):
                    return self._use_fallback(now)
            return self._token
        return self._use_fallback(now)

    def _use_fallback(self, now: float) -> str | None:
        tok = self._fallback
        if not tok:
            self.last_error = self.last_error or "no auth token (set LIGHTER_API_PRIVATE_KEY, or WS_AUTH_TOKEN)"
            return None
        exp = token_expiry(tok)
        self._expiry = exp
        if exp is not None and exp <= now:
            self.last_error = "WS_AUTH_TOKEN has expired; refresh it (or configure the API private key)"
            return None
        if exp is not None and exp - now <= self.warn_before_s and (
            self._warned_at is None or now - self._warned_at >= 300
        ):
            self._warned_at = now
            log.warning(
                "ws_auth_token_expiring",
                minutes_left=round((exp - now) / 60),
                hint="WS_AUTH_TOKEN cannot be renewed in-process: refresh it or set LIGHTER_API_PRIVATE_KEY",
            )
        return tok

    def healthy(self) -> bool:
        tok = self.token()
        return tok is not None and (self._expiry is None or self._expiry > self._clock.now())
