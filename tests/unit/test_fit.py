"""`lighter-bot fit`: the ridge fit recovers a known relation and scores it on data it never saw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from lighter_bot.backtest.fit import Sample, fit_fair_value, future_moves
from lighter_bot.cli.app import app
from lighter_bot.strategy.fair_value import FEATURES

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance_perp"


def _sample(n: int = 4000, seed: int = 3) -> Sample:
    """Mids whose move over the next step is 2 x the first feature (+ noise); other features are noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    x = rng.normal(size=(n, len(FEATURES)))
    steps = 2.0 * x[:, 0] + rng.normal(scale=0.5, size=n)
    mid = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(steps[:-1])]) / 1e4)
    return Sample(t, mid, x)


def test_fit_recovers_the_relation_out_of_sample() -> None:
    res = fit_fair_value(_sample(), horizon_s=1.0)
    assert res.coefficients["imbalance"] == pytest.approx(2.0, abs=0.1)
    assert all(abs(res.coefficients[k]) < 0.1 for k in FEATURES[1:])
    assert res.r2_test > 0.8 and res.n_train > 1000 and res.n_test > 1000


def test_future_moves_stop_at_the_end_of_the_data() -> None:
    t = np.array([0.0, 1.0, 2.0, 3.0])
    y, ok = future_moves(t, np.array([100.0, 101.0, 100.0, 102.0]), 1.0)
    assert ok.tolist() == [True, True, True, False]
    assert y[:3] == pytest.approx([100.0, (100 - 101) / 101 * 1e4, 200.0])


def test_fit_refuses_too_little_data() -> None:
    with pytest.raises(ValueError, match="too little"):
        fit_fair_value(_sample(10), 1.0)


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (real recordings) is not present")
def test_fit_cli_writes_a_profile_the_backtest_reads(tmp_path: Path) -> None:
    files = [str(SHARED / "usdm_ethusdt_20240718.gz"), str(SHARED / "usdm_ethusdt_20240719.gz")]
    out = tmp_path / "eth.yaml"
    args = ["fit", *(a for f in files for a in ("--data", f)), "--out", str(out), "--horizon", "1.2"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "out of sample" in res.output
    coefs = yaml.safe_load(out.read_text())["maker"]["fair_value"]["coefficients"]
    assert set(coefs) == set(FEATURES)
    bt = CliRunner().invoke(app, ["backtest", *(a for f in files for a in ("--data", f)), "--profile", str(out)])
    assert bt.exit_code == 0, bt.output
