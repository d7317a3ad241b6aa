"""`matrix --walk-forward`: each half of a recording is judged with the fair value fitted on the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from lighter_bot.backtest import matrix
from lighter_bot.backtest.matrix import build_cases, case_inputs, run_matrix
from lighter_bot.config import BotConfig
from lighter_bot.strategy.fair_value import FEATURES

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance_perp"
pytestmark = [pytest.mark.shared,
              pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (real recordings) is not present")]


def test_walk_forward_judges_each_half_with_the_other_halfs_fit() -> None:
    spec = "data:" + "+".join(str(SHARED / f) for f in ("usdm_ethusdt_20240718.gz", "usdm_ethusdt_20240719.gz"))
    cases = build_cases(["calm", spec], 1, 1, 120.0, ["baseline", "full"], walk_forward=True)
    assert [c.half for c in cases if c.scenario == spec] == ["A", "B", "A", "B"]
    assert [c.half for c in cases if c.scenario == "calm"] == ["", ""]  # nothing is fitted on a scenario
    base = BotConfig()
    for c in cases:
        if c.scenario != spec:
            continue
        cfg, _, rows, rules = case_inputs(c, base)
        other = matrix.fitted_on(spec, "B" if c.half == "A" else "A", rules)
        assert other and any(v != 0 for v in other.values())
        want = dict.fromkeys(FEATURES, 0.0) if c.variant == "baseline" else other  # the baseline: around the mid
        assert {str(k): v for k, v in cfg.maker.fair_value.coefficients.items()} == want
        half = matrix._half_rows(spec, c.half)
        assert rows is half and len(half) < len(matrix._load_data(spec).rows)
    rows_out = run_matrix([c for c in cases if c.scenario == spec], base, jobs=1)
    assert {(r["variant"], r["half"]) for r in rows_out} == {(v, h) for v in ("baseline", "full") for h in "AB"}
    assert all(r["within_caps"] for r in rows_out)
