"""The alert watcher raises one alert per new condition and resolves it when it clears."""

from __future__ import annotations

from lighter_bot.config import BotConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.events import BookUpdate, Tick, VenueStatus
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Side
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.telemetry.alert_watch import AlertWatcher
from lighter_bot.telemetry.alerts import AlertKind


class RecordingAlerts:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def guard_block(self, reason: str, **fields: object) -> bool:
        self.calls.append(("guard_block", reason))
        return True

    def hedger_failure(self, reason: str, **fields: object) -> bool:
        self.calls.append(("hedger_failure", reason))
        return True

    def halt(self, reason: str, **fields: object) -> bool:
        self.calls.append(("halt", reason))
        return True

    def stale_feed(self, feed: str, age_s: float, **fields: object) -> bool:
        self.calls.append(("stale_feed", feed))
        return True

    def note_reconnect(self, feed: str) -> bool:
        self.calls.append(("reconnect", feed))
        return True

    def model_drift(self, side: str, gap_bps: float, fills: float, **fields: object) -> bool:
        self.calls.append(("model_drift", side))
        return True

    def resolve(self, kind: AlertKind, key: str, message: str) -> bool:
        self.calls.append(("resolve", f"{kind}:{key}"))
        return True


def book() -> BookView:
    return BookView(((169_995, 500),), ((170_005, 500),))


def test_disconnect_halts_once_then_resolves_with_a_reconnect() -> None:
    core = EngineCore(BotConfig(), SOL_PERP, SimClock(0.0))
    alerts = RecordingAlerts()
    watch = AlertWatcher(core, alerts)
    core.on_event(BookUpdate(1.0, book()))
    watch.check()
    assert alerts.calls == []
    core.on_event(VenueStatus(2.0, connected=False, detail="ws closed"))
    watch.check()
    watch.check()
    assert alerts.calls.count(("halt", "venue disconnected")) == 1
    core.on_event(VenueStatus(2.5, connected=True))
    core.on_event(BookUpdate(2.6, book()))
    watch.check()
    assert ("resolve", "halt:venue disconnected") in alerts.calls
    assert ("reconnect", "venue") in alerts.calls


def test_stale_book_raises_a_stale_feed_alert() -> None:
    core = EngineCore(BotConfig(), SOL_PERP, SimClock(0.0))
    alerts = RecordingAlerts()
    watch = AlertWatcher(core, alerts)
    core.on_event(BookUpdate(1.0, book()))
    core.on_event(Tick(1.0 + BotConfig().guard.max_book_age_seconds + 1))
    watch.check()
    assert ("stale_feed", "order book") in alerts.calls
    assert any(c[0] == "halt" for c in alerts.calls)


def test_reducing_says_why_a_ledger_refusing_writes_or_a_cap() -> None:
    from lighter_bot.domain.events import LedgerStatus

    core = EngineCore(BotConfig(), SOL_PERP, SimClock(0.0))
    alerts = RecordingAlerts()
    watch = AlertWatcher(core, alerts)
    core.on_event(BookUpdate(1.0, book()))
    core.on_event(LedgerStatus(1.1, writable=False, unrecorded=1, detail="OSError: read-only file system"))
    watch.check()
    watch.check()
    assert alerts.calls == [("guard_block", "ledger not writable: reducing only")]
    core.on_event(LedgerStatus(1.2, writable=True))
    core.on_event(BookUpdate(1.3, book()))
    watch.check()
    assert alerts.calls[-1] == ("resolve", "guard_block:ledger not writable: reducing only")


def test_model_drift_alerts_once_when_our_fills_do_worse_than_the_edge_model() -> None:
    cfg = BotConfig.model_validate({"maker": {"edge": {"enabled": True, "horizon_seconds": 2.0, "min_events": 5,
                                                       "z": 0.0, "live_min_fills": 5, "live_gap_alert_bps": 1.0}}})
    core = EngineCore(cfg, SOL_PERP, SimClock(0.0))
    alerts = RecordingAlerts()
    watch = AlertWatcher(core, alerts)
    t = 1.0
    for _ in range(8):  # our bid fills 3 bps under a fair value of 170.000, each followed by a 5 bps drop
        core.edge.on_fair(t, 170_000.0, 170_000.0)
        core.edge.on_own_fill(t + 0.5, Side.BID, 169_949.0)
        core.edge.on_fair(t + 2.6, 169_915.0, 169_915.0)
        t += 3.0
    core.on_event(BookUpdate(t, book()))
    watch.check()
    watch.check()
    assert alerts.calls.count(("model_drift", "bid")) == 1
    [bid] = [e for e in core.status().edge if e.side is Side.BID]
    assert bid.live_fills >= 5 and bid.live_gap_bps < -1.0
