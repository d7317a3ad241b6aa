"""premium-check on ledgers built to justify a Premium switch and not to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lighter_bot.cli.app import app
from lighter_bot.config import BotConfig, parse_config
from lighter_bot.domain.events import OrderFilled
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Role, Side
from lighter_bot.ops.premium_check import PremiumCriteria, evaluate
from lighter_bot.records.ledger import fill_row

T0 = 1_700_000_000.0


def round_trips(n: int, edge_ticks: int, cfg_hash: str, step_s: float = 600.0, drift_ticks: int = 0) -> list[dict[str, Any]]:
    """n buy-then-sell round trips of 64 lots around a mid that moves by `drift_ticks` per trip: we buy
    `edge_ticks` below the mid and sell `edge_ticks` above it (negative edge = we pay the spread)."""
    out: list[dict[str, Any]] = []
    mid = 170_000
    pos = 0
    for i in range(n):
        for k, side in enumerate((Side.BID, Side.ASK)):
            ts = T0 + i * step_s + k * step_s / 2
            px = mid - edge_ticks if side is Side.BID else mid + edge_ticks
            pos += side.sign * 64
            f = OrderFilled(ts, 10 + 2 * i + k, f"t{i}-{k}", side, px, 64, 0.0, Role.MAKER, 0)
            out.append(fill_row(FillRecord(f, SOL_PERP.px(mid), pos), SOL_PERP, cfg_hash, "test"))
        mid += drift_ticks
    return out


CRIT = PremiumCriteria(horizon_hours=6.0, min_maker_fills=20, min_fills_per_hour=1.0, markout_horizon_s=30.0)


def test_profitable_guarded_ledger_justifies_and_prices_premium_fees() -> None:
    cfg = BotConfig()
    rows = round_trips(40, 20, cfg.config_hash())  # 40 x 10 min = 6.7 h, +20 ticks per side
    v = evaluate(rows, [], cfg, CRIT)
    assert v.justified, [c.__dict__ for c in v.checks]
    n = v.numbers
    # Premium maker fee on every recorded fill: 0.4 bps of the maker notional.
    assert abs(n["premium_fees"] - n["maker_notional"] * 0.00004) < 1e-12
    assert n["realized_pnl_at_premium_fees"] < n["realized_pnl"]
    assert n["realized_pnl"] > 0


def test_losing_ledger_does_not_justify() -> None:
    cfg = BotConfig()
    rows = round_trips(40, -20, cfg.config_hash())  # we pay 20 ticks each way
    v = evaluate(rows, [], cfg, CRIT)
    assert not v.justified
    assert {c.name for c in v.checks if not c.ok} >= {"realized_pnl", "markouts"}


def test_too_little_evidence_or_guard_off_does_not_justify() -> None:
    cfg = BotConfig()
    short = round_trips(5, 20, cfg.config_hash())  # under an hour of fills
    v = evaluate(short, [], cfg, CRIT)
    assert not v.justified and {c.name for c in v.checks if not c.ok} >= {"coverage", "evidence"}
    off = parse_config({"maker": {"pnl_guard": {"enabled": False}}})
    v2 = evaluate(round_trips(40, 20, off.config_hash()), [], off, CRIT)
    assert not v2.justified and [c.name for c in v2.checks if not c.ok] == ["guard"]
    other = evaluate(round_trips(40, 20, "someoneelse"), [], cfg, CRIT)
    assert [c.name for c in other.checks if not c.ok] == ["guard"]


def test_cli_reads_a_ledger_file_and_never_writes_config(tmp_path: Path) -> None:
    cfg = BotConfig()
    ledger = tmp_path / "fills.jsonl"
    ledger.write_text("".join(json.dumps(r) + "\n" for r in round_trips(40, 20, cfg.config_hash())))
    before = ledger.read_bytes()
    res = CliRunner().invoke(app, ["premium-check", "--ledger", str(ledger), "--horizon-hours", "6",
                                   "--config", str(tmp_path / "none.yaml"), "--json"])
    assert res.exit_code == 2  # a missing --config file is a user error
    (tmp_path / "config.yaml").write_text("{}\n")
    res = CliRunner().invoke(app, ["premium-check", "--ledger", str(ledger), "--horizon-hours", "6",
                                   "--config", str(tmp_path / "config.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["justified"] is True
    assert ledger.read_bytes() == before
    res = CliRunner().invoke(app, ["premium-check", "--ledger", str(tmp_path / "missing.jsonl"),
                                   "--config", str(tmp_path / "config.yaml")])
    assert res.exit_code == 2 and "not found" in res.output
