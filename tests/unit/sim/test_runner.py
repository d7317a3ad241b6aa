"""Fast-forward backtest loop with a hand-written strategy fake (quotes around the mid)."""

from __future__ import annotations

from collections.abc import Sequence

from lighter_bot.backtest.runner import run_backtest
from lighter_bot.domain.commands import CancelAll, Command, PlaceOrder
from lighter_bot.domain.events import BookUpdate, Event, OrderCanceled, OrderFilled, Tick
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.engine.clock import SimClock
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.scenarios import make_scenario


class QuoteEverySecond:
    """Cancel and re-quote both sides at mid ± `k` ticks once per second of sim time."""

    def __init__(self, k: int = 10) -> None:
        self.k = k
        self.mid2: int | None = None
        self.next_at = 0.0
        self.cid = 0
        self.ticks = 0
        self.fills: list[OrderFilled] = []
        self.drained = 0

    def on_event(self, event: Event) -> list[Command]:
        if isinstance(event, BookUpdate):
            self.mid2 = event.book.mid2
        if isinstance(event, OrderFilled):
            self.fills.append(event)
        if isinstance(event, Tick):
            self.ticks += 1
            if self.mid2 is not None and event.ts >= self.next_at:
                self.next_at = event.ts + 1.0
                mid = self.mid2 // 2
                self.cid += 2
                return [CancelAll(), PlaceOrder(self.cid, Side.BID, mid - self.k, 64, TimeInForce.POST_ONLY),
                        PlaceOrder(self.cid + 1, Side.ASK, mid + self.k, 64, TimeInForce.POST_ONLY)]
        if isinstance(event, OrderCanceled):
            pass
        return []

    def drain_fills(self) -> Sequence[object]:
        self.drained += 1
        return []


def run(seed: int) -> tuple[SimExchange, QuoteEverySecond, object]:
    ex = SimExchange(SOL_PERP, make_scenario("calm", seed, 300.0), STANDARD.with_(tx_per_minute=1000), seed)
    strat = QuoteEverySecond()
    res = run_backtest(ex, strat, SimClock(), tick_s=0.1)
    return ex, strat, res


def test_runner_injects_ticks_trades_and_reports() -> None:
    ex, strat, res = run(5)
    assert 2900 <= strat.ticks <= 3100  # every 100 ms of 300 s
    assert res.fills == len(ex.fills) > 0  # type: ignore[attr-defined]
    assert len(strat.fills) == res.fills  # type: ignore[attr-defined]
    assert res.events == ex.stats.market_rows > 0  # type: ignore[attr-defined]
    d = res.to_dict()  # type: ignore[attr-defined]
    for key in ("events", "events_per_second", "fills", "volume_base", "volume_quote", "realized_pnl",
                "unrealized_pnl", "fees", "max_abs_position", "max_abs_notional", "seed"):
        assert key in d
    assert d["seed"] == 5 and abs(d["volume_base"] - sum(f.size for f in ex.fills) / 1000) < 1e-9


def test_runner_is_deterministic() -> None:
    a = [(f.t, f.trade_id, f.price, f.size) for f in run(9)[0].fills]
    b = [(f.t, f.trade_id, f.price, f.size) for f in run(9)[0].fills]
    assert a == b and a
