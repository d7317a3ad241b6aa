"""Every knob of the maker, hedger and guard sections documents its unit (shown by `config show`)."""

from __future__ import annotations

import re

from lighter_bot.config import BotConfig, describe_fields

UNIT = re.compile(r"\((s|bps|USD|base units|x|ratio|count|tx|requests|integer|on/off|text)\)")


def test_every_strategy_knob_states_its_unit() -> None:
    fields = [(k, d) for k, d in describe_fields() if k.split(".")[0] in ("maker", "hedger", "guard")]
    assert len(fields) > 50
    missing = [k for k, d in fields if not UNIT.search(d)]
    assert not missing, missing


def test_operator_defaults_are_kept() -> None:
    c = BotConfig()
    v, t, p = c.maker.volatility, c.maker.trend, c.maker.pnl_guard
    assert (c.maker.size, c.maker.size_min, c.maker.size_max, c.maker.spread_bps) == (0.064, 0.061, 0.072, 12.0)
    assert (v.ema_halflife_seconds, v.min_spread_bps, v.max_spread_bps, v.pause_threshold_bps) == (45, 7, 13, 30)
    assert (v.min_size_multiplier, v.max_size_multiplier, v.resume_inventory_ratio) == (0.7, 1.1, 0.25)
    assert (t.lookback_seconds, t.threshold_bps, t.resume_threshold_bps, t.extra_spread_bps) == (45, 12, 6, 2.5)
    assert (p.window_seconds, p.max_extra_bps) == (300, 8)
    h = c.hedger
    assert (h.passive_wait_seconds, h.passive_offset_bps) == (0.4, 2.0)
