"""`lighter-bot backtest`: scenario and data runs, the JSON it writes, and clear errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lighter_bot.cli.app import app

KEYS = ("events", "events_per_second", "fills", "volume_base", "volume_quote", "realized_pnl", "unrealized_pnl",
        "fees", "max_abs_position", "max_abs_notional", "seed")


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no config.yaml here: the built-in defaults, asked for explicitly
    monkeypatch.setenv("LIGHTER_CONFIG", "builtin-defaults")


def test_scenario_run_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["backtest", "--scenario", "vol_spike", "--seed", "3", "--duration", "300",
                                   "--tier", "premium", "--json-out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    for k in KEYS:
        assert k in data
    assert data["seed"] == 3 and data["tier"] == "premium" and data["events"] > 1000
    assert "fills=" in res.output and "realized_pnl=" in res.output
    again = CliRunner().invoke(app, ["backtest", "--scenario", "vol_spike", "--seed", "3", "--duration", "300",
                                     "--tier", "premium", "--json-out", str(tmp_path / "r2.json")])
    assert again.exit_code == 0
    d2 = json.loads((tmp_path / "r2.json").read_text())
    assert (d2["fills"], d2["realized_pnl"], d2["volume_base"]) == (data["fills"], data["realized_pnl"], data["volume_base"])


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--scenario", "nope"], "unknown scenario 'nope'"),
        (["--data", "/nonexistent/x.gz"], "/nonexistent/x.gz: file not found"),
        (["--scenario", "calm", "--tier", "gold"], "--tier 'gold'"),
        ([], "give either --scenario"),
    ],
)
def test_user_mistakes_exit_2_with_one_clear_line(args: list[str], needle: str) -> None:
    res = CliRunner().invoke(app, ["backtest", *args])
    assert res.exit_code == 2
    assert needle in res.output and "Traceback" not in res.output


def test_bad_format_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just text\n")
    res = CliRunner().invoke(app, ["backtest", "--data", str(bad)])
    assert res.exit_code == 2 and "notes.txt: unknown data format" in res.output


def _recording(lines: int) -> bytes:
    import zstandard

    frame = {"type": "update/order_book", "channel": "order_book:2", "order_book": {"asks": [], "bids": []}}
    text = "".join(json.dumps({"ts": i * 0.1, "frame": frame}) + "\n" for i in range(lines))
    return bytes(zstandard.ZstdCompressor().compress(text.encode()))


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("empty.npz", b"", "empty.npz: not a readable .npz"),
    ("cut.jsonl.zst", _recording(2000)[:10], "cut.jsonl.zst: truncated zstd file (it ends inside a compressed frame, "
                                             "after 0 complete line(s))"),
    ("half.jsonl.zst", _recording(2000)[:-5], "half.jsonl.zst: truncated zstd file"),
])
def test_empty_and_cut_off_data_files_say_so(tmp_path: Path, name: str, content: bytes, needle: str) -> None:
    """The red team got `Aborted.` for an empty .npz and "unknown data format" for a cut-off .jsonl.zst."""
    (tmp_path / name).write_bytes(content)
    res = CliRunner().invoke(app, ["backtest", "--data", str(tmp_path / name)])
    assert res.exit_code == 2 and needle in res.output and "Aborted" not in res.output, res.output


def test_a_complete_zstd_file_of_several_frames_reads_whole(tmp_path: Path) -> None:
    from lighter_bot.marketdata.zstd_lines import zstd_lines

    (tmp_path / "two.jsonl.zst").write_bytes(_recording(3) + _recording(2))  # e.g. `cat a.zst b.zst`
    assert len(list(zstd_lines(tmp_path / "two.jsonl.zst"))) == 5


def test_data_run_with_derived_profile(shared_dir: Path, tmp_path: Path) -> None:
    d = shared_dir / "data" / "binance_perp"
    out = tmp_path / "btc.json"
    res = CliRunner().invoke(app, ["backtest", "--data", str(d / "usdm_btcusdt_20240718.gz"),
                                   str(d / "usdm_btcusdt_20240719.gz"), "--json-out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["market"] == "BTCUSDT" and data["events"] > 400_000
    assert 475 < data["sim_seconds"] < 490


def test_backtest_runs_a_named_variant_and_refuses_an_unknown_one() -> None:
    from typer.testing import CliRunner

    from lighter_bot.cli.app import app

    res = CliRunner().invoke(app, ["backtest", "--scenario", "vol_spike", "--duration", "120", "--variant", "glft"])
    assert res.exit_code == 0, res.output
    bad = CliRunner().invoke(app, ["backtest", "--scenario", "calm", "--variant", "nope"])
    assert bad.exit_code == 2 and "unknown --variant" in bad.output
