"""Run hftbacktest 2.4.4 on an .npz of our replay events with the simple benchmark strategy.

Executed by bench_vs_hftbacktest in the bench venv (hftbacktest needs numpy < 2.3, the bot pins a
newer numpy): `python benchmarks/hbt_worker.py EVENTS.npz TICK LOT HALF_SPREAD_BPS|touch`; prints JSON.
Strategy: every 100 ms, quote one lot each side at mid ± half-spread (or at the best bid/ask),
post-only (GTX), leaving an order alone while its price is still right; 200 ms entry latency,
power-2 probability queue model, no fees.
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np
from hftbacktest import GTX, LIMIT, BacktestAsset, HashMapMarketDepthBacktest
from hftbacktest.order import BUY, FILLED, SELL


def _orders(hbt: HashMapMarketDepthBacktest) -> list[object]:
    """Our orders (hftbacktest's Values iterator has next()/has_next(), not __iter__)."""
    out = []
    it = hbt.orders(0).values()
    while it.has_next():
        o = it.next()
        if o is not None:
            out.append(o)
    return out


def main(path: str, tick: float, lot: float, mode: str) -> dict[str, object]:
    data = np.load(path)["data"]
    simulate(data[:20_000], tick, lot, mode)  # warm-up: numba compiles the bindings on first use
    return simulate(data, tick, lot, mode)


def simulate(data: np.ndarray, tick: float, lot: float, mode: str) -> dict[str, object]:
    asset = (BacktestAsset().data([data]).linear_asset(1.0).constant_order_latency(200_000_000, 0)
             .power_prob_queue_model(2.0).no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0)
             .tick_size(tick).lot_size(lot).last_trades_capacity(0))
    hbt = HashMapMarketDepthBacktest([asset])
    oid = 0
    buys = sells = 0
    counted: set[int] = set()
    t0 = time.perf_counter()
    while hbt.elapse(100_000_000) == 0:
        depth = hbt.depth(0)
        bb, ba = depth.best_bid, depth.best_ask
        for o in _orders(hbt):
            if o.status == FILLED and o.order_id not in counted:
                counted.add(o.order_id)
                if o.side == BUY:
                    buys += 1
                else:
                    sells += 1
        hbt.clear_inactive_orders(0)
        if not (math.isfinite(bb) and math.isfinite(ba)) or bb <= 0 or ba <= 0:
            continue
        if mode == "touch":
            bid, ask = bb, ba
        else:
            mid = (bb + ba) / 2
            hs = mid * float(mode) / 1e4
            bid = math.floor((mid - hs) / tick) * tick
            ask = math.ceil((mid + hs) / tick) * tick
        have = {BUY: None, SELL: None}
        for o in _orders(hbt):
            want = bid if o.side == BUY else ask
            if o.cancellable and abs(o.price - want) > tick / 2:
                hbt.cancel(0, o.order_id, False)
            elif o.status != FILLED:
                have[o.side] = o
        if have[BUY] is None:
            oid += 1
            hbt.submit_buy_order(0, oid, bid, lot, GTX, LIMIT, False)
        if have[SELL] is None:
            oid += 1
            hbt.submit_sell_order(0, oid, ask, lot, GTX, LIMIT, False)
    wall = time.perf_counter() - t0
    hbt.close()
    return {"rows": len(data), "wall_seconds": round(wall, 3), "rows_per_second": round(len(data) / wall),
            "buys": buys, "sells": sells, "fills": buys + sells}


if __name__ == "__main__":
    p, tick, lot, mode = sys.argv[1:5]
    print(json.dumps(main(p, float(tick), float(lot), mode)))
