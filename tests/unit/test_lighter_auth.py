"""Auth tokens: minted in-process, renewed before expiry (injected clock), fallback token warnings."""

from __future__ import annotations

from structlog.testing import capture_logs

from lighter_bot.engine.clock import SimClock
from lighter_bot.venues.lighter.auth import AuthTokens


class FakeSigner:
    """Mints tokens like the SDK: `{expiry}:{account}:{key}:{sig}`."""

    def __init__(self) -> None:
        self.minted: list[int] = []
        self.fail = False

    def __call__(self, expiry: int) -> tuple[str | None, str | None]:
        if self.fail:
            return None, "signer broken"
        self.minted.append(expiry)
        return f"{expiry}:65:4:{'ab' * 80}", None


def test_token_renewed_before_expiry_never_expired() -> None:
    clock = SimClock(1_000_000.0)
    signer = FakeSigner()
    tokens = AuthTokens(clock, signer, lifetime_s=3600, renew_before_s=900)
    first = tokens.token()
    assert first is not None and signer.minted == [1_003_600]
    clock.advance_to(1_000_000 + 2600)  # 1000 s left: not yet
    assert tokens.token() == first
    clock.advance_to(1_000_000 + 2701)  # 899 s left: renew
    second = tokens.token()
    assert second != first and signer.minted[-1] == 1_000_000 + 2701 + 3600
    # Over 10 simulated hours, checked every minute, the token in hand is never within 15 min of expiry.
    for _ in range(600):
        clock.advance_to(clock.now() + 60)
        tokens.token()
        assert tokens.expiry is not None and tokens.expiry - clock.now() > 840
    assert tokens.healthy()


def test_failed_renewal_keeps_the_valid_token_then_reports() -> None:
    clock = SimClock(0.0)
    signer = FakeSigner()
    tokens = AuthTokens(clock, signer, lifetime_s=3600, renew_before_s=900)
    tok = tokens.token()
    signer.fail = True
    clock.advance_to(3000)
    assert tokens.token() == tok  # still valid for 600 s
    clock.advance_to(3700)
    assert tokens.token() is None and not tokens.healthy()
    assert "signer" in tokens.last_error


def test_fallback_token_warns_well_before_expiry() -> None:
    clock = SimClock(10_000.0)
    secret = f"{10_000 + 7200}:65:4:{'cd' * 80}"
    tokens = AuthTokens(clock, None, fallback=secret, warn_before_s=3600)
    with capture_logs() as logs:
        assert tokens.token() == secret
        assert not logs  # 2 h left: quiet
        clock.advance_to(10_000 + 3700)
        assert tokens.token() == secret
    assert [e["event"] for e in logs] == ["ws_auth_token_expiring"] and logs[0]["minutes_left"] == 58
    assert all(secret not in str(e) for e in logs)
    clock.advance_to(10_000 + 7300)
    assert tokens.token() is None and "expired" in tokens.last_error
