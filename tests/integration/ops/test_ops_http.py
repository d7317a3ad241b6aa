"""The operator's commands, exactly as written in the state packet, against a real HTTP server on
127.0.0.1 serving Lighter's real payloads (../shared/lighter-fixtures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lighter_bot.cli.app import app
from lighter_bot.config import load_config
from tests.integration.ops.lighter_fixture_server import ACCOUNT, TOKEN, FixtureLighter

REPO = Path(__file__).resolve().parents[3]
Server = tuple[FixtureLighter, str]


def script(name: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python scripts/<name>.py ...` with the venv's python, as the operator runs it."""
    return subprocess.run([sys.executable, str(REPO / "scripts" / f"{name}.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_set_market_as_written_then_apply_profile_as_written(fake_lighter: Server, workdir: Path) -> None:
    state, url = fake_lighter
    before = (workdir / "config.yaml").read_text()
    r = script("set_market", "--symbol", "ETH", "--balance-usd", "30", "--sizing-multiplier", "1.1",
               "--profile-out", "profiles/market_<id>.yaml", "--activate", "--base-url", url, cwd=workdir)
    assert r.returncode == 0, r.stderr
    profile = yaml.safe_load((workdir / "profiles" / "market_0.yaml").read_text())
    details = json.loads((state.fixtures / "http_order_book_details.json").read_text())["order_book_details"][0]
    assert profile["market"] == 0 and profile["metadata"]["last_trade_price"] == details["last_trade_price"]
    assert profile["maker"]["size_min"] == 0.005 and profile["maker"]["price_scale"] == 10 ** details["price_decimals"]
    cfg = load_config(workdir / "config.yaml")
    assert cfg.maker.pair == "market:0" and cfg.maker.size_min == 0.005 and cfg.maker.size_scale == 10_000
    after = (workdir / "config.yaml").read_text()
    assert after.count("#") == before.count("#") and "# ETH perp" in after
    assert [q.path for q in state.requests] == ["/api/v1/orderBookDetails"]

    r = script("apply_profile", "--profile", "profiles/market_0.yaml", "--config", "config.yaml",
               "--metadata-out", "data/instruments/market_<id>.json", cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert "already up to date" in r.stdout
    meta = json.loads((workdir / "data" / "instruments" / "market_0.json").read_text())
    assert meta["market"] == 0 and meta["exchange_min_notional"] == 10.5 and meta["size_decimals"] == 4


def test_apply_profile_dry_run_writes_nothing(workdir: Path) -> None:
    (workdir / "profiles" / "market_9.yaml").write_text("market: 9\nsymbol: X\nmaker: {spread_bps: 14.0}\nmetadata: {exchange_min_notional: 11}\n")
    before = (workdir / "config.yaml").read_text()
    code, out = cli("ops", "apply-profile", "--profile", "profiles/market_9.yaml", "--config", "config.yaml", "--dry-run")
    assert code == 0, out
    assert "maker.spread_bps: 12.0 -> 14.0" in out and "not written" in out
    assert (workdir / "config.yaml").read_text() == before
    assert not (workdir / "data").exists()


def test_set_market_by_id_dry_run_writes_nothing(fake_lighter: Server, workdir: Path) -> None:
    _, url = fake_lighter
    code, out = cli("ops", "set-market", "--market-id", "2", "--base-url", url, "--dry-run", "--activate")
    assert code == 0, out
    assert "SOL (market 2)" in out and "maker.size: 0.064 -> 0.068" in out
    assert (workdir / "profiles" / "market_2.yaml").read_text() == (REPO / "profiles" / "market_2.yaml").read_text()
    assert load_config(workdir / "config.yaml").maker.size == 0.064


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--symbol", "NOPE"], "no perp market with symbol 'NOPE'"),
        (["--symbol", "ETH", "--market-id", "0"], "exactly one of --symbol"),
        (["--symbol", "ETH", "--balance-usd", "abc"], "--balance-usd 'abc' is not a number"),
        (["--symbol", "ETH", "--balance-usd", "10"], "is too small for ETH"),
        (["--symbol", "ETH", "--sizing-multiplier", "0.5"], "--sizing-multiplier must be >= 1"),
        (["--symbol", "ETH", "--base-url", "ftp://x"], "must start with http://"),
    ],
)
def test_set_market_bad_input_exit_2(fake_lighter: Server, workdir: Path, args: list[str], message: str) -> None:
    _, url = fake_lighter
    full = ["ops", "set-market", *args] if "--base-url" in args else ["ops", "set-market", "--base-url", url, *args]
    res = CliRunner().invoke(app, full)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


def test_unreachable_base_url_exit_2(workdir: Path) -> None:
    r = script("set_market", "--symbol", "ETH", "--base-url", "http://127.0.0.1:9", cwd=workdir)
    assert r.returncode == 2 and "cannot reach http://127.0.0.1:9" in r.stderr and "Traceback" not in r.stderr


def test_fetch_trades_as_written(fake_lighter: Server, workdir: Path) -> None:
    state, url = fake_lighter
    state.serve_at_most = 2  # three pages through next_cursor
    r = script("fetch_trades", "--base-url", url, "--account", str(ACCOUNT), "--market-id", "0", "--limit", "200",
               "--mark-mid", "2370", "--token", TOKEN, cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert TOKEN not in r.stdout + r.stderr
    assert all(TOKEN not in json.dumps(q.query) for q in state.requests)  # header only, never the URL
    pages = [q for q in state.requests if q.path == "/api/v1/trades"]
    assert [q.query.get("cursor") for q in pages] == [None, "2", "4"]
    assert all(q.headers["authorization"] == TOKEN and q.query["limit"] == "100" for q in pages[:1])
    # Hand-computed from the server's five trades (buy .01@2360 M, buy .02@2362 M, sell .02@2365 T,
    # buy .01@2358 M, sell .01@2361 M): average cost 2361.3333 then 2359.6667.
    fees = 28e-6 * (23.6 + 47.24 + 23.58 + 23.61) + 196e-6 * 47.30
    realized = 0.02 * (2365 - 7084 / 3) + 0.01 * (2361 - (7084 / 3 + 2358) / 2) - fees
    unreal = 0.01 * (2370 - (7084 / 3 + 2358) / 2)
    assert "maker 4, taker 1" in r.stdout
    assert f"realized PnL (average cost, after fees) ${realized:.4f}" in r.stdout
    assert f"unrealized at mid 2370: ${unreal:.4f}; total ${realized + unreal:.4f}" in r.stdout


def test_fetch_trades_json_paginates_and_dedupes(fake_lighter: Server, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state, url = fake_lighter
    state.trades.append(dict(state.trades[0]))  # the exchange repeats a trade across pages
    monkeypatch.setenv("LIGHTER_API_BEARER", TOKEN)
    code, out = cli("ops", "fetch-trades", "--base-url", url, "--account", str(ACCOUNT), "--limit", "3", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["fetched"] == 3 and doc["markets"][0]["trades"] == 3
    code, out = cli("ops", "fetch-trades", "--base-url", url, "--account", str(ACCOUNT), "--limit", "250", "--json")
    assert json.loads(out)["fetched"] == 5  # six rows served, one duplicate


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--token", "wrong"], 2, "error: authentication failed: "),
        (["--token", TOKEN, "--limit", "100", "--market-id", "abc"], 2, "--market-id"),
        ([], 2, "no auth token: set LIGHTER_API_BEARER, or pass --token-file FILE"),
        (["--token", TOKEN, "--limit", "0"], 2, "--limit (0) must be between"),
        (["--token", TOKEN, "--mark-mid", "x"], 2, "--mark-mid 'x' is not a number"),
    ],
)
def test_fetch_trades_errors(fake_lighter: Server, workdir: Path, args: list[str], code: int, message: str) -> None:
    _, url = fake_lighter
    res = CliRunner().invoke(app, ["ops", "fetch-trades", "--base-url", url, "--account", str(ACCOUNT), *args])
    assert res.exit_code == code, res.output
    assert message in res.output and TOKEN not in res.output
    assert "invalid configuration" not in res.output  # a flag or a token, not the config file
    if message.startswith("error: authentication"):
        assert "refused the auth token (HTTP 401" in res.output and "refresh_ws_token.py" in res.output


def test_fetch_trades_token_from_a_file_or_the_environment_and_a_warning_for_argv(
        fake_lighter: Server, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The token belongs in the environment or a file: on the command line other users see it in `ps`
    (issue 17 item 9). `--token` still works, with a warning."""
    _, url = fake_lighter
    base = ["ops", "fetch-trades", "--base-url", url, "--account", str(ACCOUNT), "--json"]
    for text in (f"LIGHTER_API_BEARER={TOKEN}\n", f"{TOKEN}\n", f"# rotated today\nWS_AUTH_TOKEN={TOKEN}\n"):
        (workdir / "tok").write_text(text)
        res = CliRunner().invoke(app, [*base, "--token-file", str(workdir / "tok")])
        assert res.exit_code == 0 and json.loads(res.stdout)["fetched"] == 5, res.output
        assert "warning" not in res.stderr and TOKEN not in res.stderr
    monkeypatch.setenv("LIGHTER_API_BEARER", TOKEN)
    res = CliRunner().invoke(app, base)
    assert res.exit_code == 0 and "warning" not in res.stderr
    monkeypatch.delenv("LIGHTER_API_BEARER")
    res = CliRunner().invoke(app, [*base, "--token", TOKEN])
    assert res.exit_code == 0, res.output
    assert "warning: --token puts the token on the command line" in res.stderr and TOKEN not in res.stderr
    for bad, words in (("missing", "cannot read"), ("empty", "no token in it")):
        path = workdir / bad
        if bad == "empty":
            path.write_text("\n# nothing\n")
        res = CliRunner().invoke(app, [*base, "--token-file", str(path)])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output


def test_suggest_market_targets_as_written(fake_lighter: Server, workdir: Path) -> None:
    state, url = fake_lighter
    # the packet's command uses the config's base URL: point the scratch config at the server
    cfg = (workdir / "config.yaml").read_text().replace("https://mainnet.zklighter.elliot.ai", url)
    (workdir / "config.yaml").write_text(cfg)
    r = script("suggest_market_targets", "--top", "10", cwd=workdir)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines() if line[:4].strip().isdigit()]
    assert [row[2] for row in rows] == ["SOL", "ETH", "THIN", "BIG"]  # HIDDEN is not listed
    head, units = r.stdout.splitlines()[1:3]  # every column says its unit
    assert "24h volume" in head and "min order" in head
    assert units.split()[:5] == ["(0-1)", "(USD)", "(bps)", "(bps)", "(USD)"]
    assert "untradeable" in r.stdout.splitlines()[-1]  # BIG: 0.0002 BTC minimum > half of $30
    assert any(q.path == "/api/v1/orderBookOrders" for q in state.requests)
    r = script("suggest_market_targets", "--top", "10", "--target-symbol", "eth", "--json", cwd=workdir)
    doc = json.loads(r.stdout)
    target = doc["target"]
    assert target["symbol"] == "ETH" and target["rank"] == 2
    # ETH's real book: 2361.32 / 2361.17 -> 0.635 bps, tighter than our quotes
    assert target["spread_bps"] == pytest.approx(0.64, abs=0.01) and target["parts"]["spread"]["score"] < 0.5
    assert target["score"] == pytest.approx(sum(p["score"] * p["weight"] for p in target["parts"].values()), abs=2e-3)


def test_suggest_reads_a_file_and_rejects_bad_flags(lighter_fixtures: Path, workdir: Path) -> None:
    code, out = cli("ops", "suggest-markets", "--input", str(lighter_fixtures / "http_order_book_details.json"),
                    "--target-symbol", "ETH")
    assert code == 0 and "spread not measured" in out
    assert cli("ops", "suggest-markets", "--top", "0")[0] == 2
    code, out = cli("ops", "suggest-markets", "--input", str(lighter_fixtures / "http_order_book_details.json"),
                    "--target-symbol", "DOGE")
    assert code == 2 and "no active perp market with that symbol" in out
