"""`lighter-bot ops ...`: the operator's tools (set-market, apply-profile, refresh-ws-token,
fetch-trades, suggest-markets), also runnable as `python scripts/<name>.py` with the same flags."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.config import config_path, load_config, load_secrets, read_token_file
from lighter_bot.domain.orders import Side
from lighter_bot.errors import DataError
from lighter_bot.ops import profiles as prof
from lighter_bot.ops import suggest as sugg
from lighter_bot.ops import trades as tr
from lighter_bot.ops import ws_token as wst
from lighter_bot.ops.markets import exchange_min_notional, fetch_markets, find_market, min_clip_value
from lighter_bot.ops.rest import LighterRest
from lighter_bot.ops.sizing import compute_sizing
from lighter_bot.telemetry.logs import register_secrets
from lighter_bot.venues.lighter import parse, parse_markets, parse_trades
from lighter_bot.venues.lighter.parse_markets import MarketInfo

app = typer.Typer(help="Operator tools: market profiles, token rotation, trade history, market suggestions.", no_args_is_help=True)

EXIT_RAILWAY_MISSING = 3
EXIT_RAILWAY_FAILED = 4

ConfigOpt = Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="Lighter REST base URL (default: api.base_url of the config)")]


def _base_url(explicit: str | None, config: str | None) -> str:
    return explicit or load_config(config).api.base_url


def _decimal(flag: str, value: str) -> Decimal:
    """A flag's number (a bad flag is a bad flag, not "invalid configuration")."""
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise fail(f"{flag} {value!r} is not a number") from None
    if not d.is_finite():
        raise fail(f"{flag} {value!r} is not a finite number")
    return d


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- set-market ------------------------------------------------------------------------------------


async def _load_market(base_url: str, symbol: str | None, market_id: int | None) -> MarketInfo:
    async with LighterRest(base_url) as rest:
        markets = await fetch_markets(rest, market_id)
    return find_market(markets, symbol=symbol, market_id=market_id)


@app.command("set-market")
@user_errors
def set_market(
    symbol: Annotated[str | None, typer.Option("--symbol", help="market symbol, e.g. SOL")] = None,
    market_id: Annotated[int | None, typer.Option("--market-id", help="market id, e.g. 2")] = None,
    balance_usd: Annotated[str, typer.Option("--balance-usd", help="account balance the sizes must fit (USD)")] = "30",
    sizing_multiplier: Annotated[str, typer.Option("--sizing-multiplier", help="size_max = minimum clip x this")] = "1.1",
    spread_bps: Annotated[float | None, typer.Option("--spread-bps", help="maker.spread_bps for the profile (default: keep)")] = None,
    profile_out: Annotated[
        str, typer.Option("--profile-out", help="profile to write; <id> is replaced by the market id")
    ] = "profiles/market_<id>.yaml",
    activate: Annotated[bool, typer.Option("--activate", help="also apply the profile to --config (comments kept)")] = False,
    config: ConfigOpt = None,
    base_url: BaseUrlOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the profile and the config changes, write nothing")] = False,
) -> None:
    """Size a market profile from Lighter's live metadata (minimums, decimals, price, margin)."""
    if (symbol is None) == (market_id is None):
        raise fail("pass exactly one of --symbol SYMBOL or --market-id N")
    balance = _decimal("--balance-usd", balance_usd)
    multiplier = _decimal("--sizing-multiplier", sizing_multiplier)
    market = asyncio.run(_load_market(_base_url(base_url, config), symbol, market_id))
    sizing = compute_sizing(market, balance, multiplier)
    profile = sizing.profile(spread_bps)
    out = prof.fill_placeholder(profile_out, market.market_id)
    header = (
        f"Market profile for {market.symbol} perp (market {market.market_id}), written by set_market.py at "
        f"{_iso(time.time())}\nfrom last price {market.last_trade_price}, balance ${balance}, sizing multiplier "
        f"{multiplier}. null means \"leave the config value as it is\"."
    )
    text = prof.render_profile(profile, header)
    typer.echo(
        f"{market.symbol} (market {market.market_id}): last {market.last_trade_price}, min base {market.min_base_amount}, "
        f"min quote ${market.min_quote_amount} (floor ${exchange_min_notional(market)}), initial margin "
        f"{market.default_initial_margin_fraction / 100:g} %"
    )
    typer.echo(
        f"sizes: min clip {sizing.size_min} (${sizing.size_min * market.last_trade_price:.2f}), size {sizing.size}, "
        f"max {sizing.size_max}; soft cap {sizing.inventory_soft_cap}; hedge {sizing.trigger_units} -> "
        f"{sizing.target_units} (clip <= {sizing.max_clip_units}); guard {sizing.max_position_units} / "
        f"${sizing.max_inventory_notional}"
    )
    for note in sizing.notes:
        typer.echo(f"note: {note}")
    result = prof.apply_profile(config_path(config), profile) if activate else None
    if dry_run:
        typer.echo(f"--- {out} (dry run, not written)")
        typer.echo(text.rstrip())
    else:
        prof.write_atomic(out, text)
        typer.echo(f"wrote {out}")
    if result is not None:
        _report_apply(config_path(config), result, dry_run)


def _report_apply(cfg_file: Path, result: prof.ApplyResult, dry_run: bool) -> None:
    if not result.changes:
        typer.echo(f"{cfg_file}: already up to date (config hash {result.config.config_hash()})")
        return
    for c in result.changes:
        typer.echo(f"  {c}")
    if dry_run:
        typer.echo(f"{cfg_file}: {len(result.changes)} change(s) valid, not written (dry run)")
    else:
        prof.write_atomic(cfg_file, result.text)
        typer.echo(f"updated {cfg_file}: {len(result.changes)} change(s), comments kept (config hash {result.config.config_hash()})")


# -- apply-profile ---------------------------------------------------------------------------------


@app.command("apply-profile")
@user_errors
def apply_profile(
    profile: Annotated[str, typer.Option("--profile", help="profile YAML, e.g. profiles/market_2.yaml")],
    config: ConfigOpt = None,
    metadata_out: Annotated[
        str, typer.Option("--metadata-out", help="instrument metadata JSON; <id> is replaced by the market id")
    ] = "data/instruments/market_<id>.json",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and show the changes, write nothing")] = False,
) -> None:
    """Apply a market profile to the config (comments kept), validate it, write the instrument metadata."""
    data = prof.load_profile(Path(profile))
    cfg_file = config_path(config)
    result = prof.apply_profile(cfg_file, data)
    _report_apply(cfg_file, result, dry_run)
    meta_path = prof.fill_placeholder(metadata_out, prof.profile_market_id(data))
    if dry_run:
        typer.echo(f"{meta_path}: not written (dry run)")
    elif isinstance(data.get("metadata"), dict) and data["metadata"]:
        prof.write_metadata(meta_path, data)
        typer.echo(f"wrote {meta_path}")
    else:
        typer.echo(f"{meta_path}: not written (the profile has no metadata block)")


# -- refresh-ws-token ------------------------------------------------------------------------------


@app.command("refresh-ws-token")
@user_errors
def refresh_ws_token(
    config: ConfigOpt = None,
    railway: Annotated[bool, typer.Option("--railway", help="also set WS_AUTH_TOKEN and LIGHTER_API_BEARER on Railway")] = False,
    service: Annotated[str, typer.Option("--service", help="Railway service for --railway")] = "lighter-bot",
    expiry_seconds: Annotated[int, typer.Option("--expiry-seconds", help="token lifetime (s), at most 8 h")] = 3600,
    output: Annotated[str, typer.Option("--output", help="token file (mode 0600)")] = ".env.ws_token",
    base_url: BaseUrlOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="mint the token but write nothing and call nothing")] = False,
) -> None:
    """Mint an auth token with the API key from the environment; write it to .env.ws_token (never printed)."""
    wst.check_expiry(expiry_seconds)
    url = _base_url(base_url, config)
    creds = wst.credentials(load_secrets())
    token = asyncio.run(wst.create_token(url, creds, expiry_seconds, int(time.time())))
    expiry = parse.token_expiry(token) or 0.0
    what = f"token for account {creds.account_index}, API key {creds.api_key_index}, valid until {_iso(expiry)}"
    if dry_run:
        typer.echo(f"dry run: minted a {what}; {output} not written, Railway not called")
        return
    wst.write_token_file(Path(output), token)
    typer.echo(f"wrote {output} (mode 0600): WS_AUTH_TOKEN and LIGHTER_API_BEARER, {what}")
    if not railway:
        return
    try:
        wst.railway_set(token, service)
    except wst.RailwayMissing:
        raise fail(
            "the `railway` CLI is not on PATH, so the Railway variables were NOT updated: install it "
            "(npm i -g @railway/cli), run `railway login` and `railway link`, then rerun with --railway "
            f"(or copy both variables from {output} into the Railway dashboard)",
            EXIT_RAILWAY_MISSING,
        ) from None
    except wst.RailwayFailed as exc:
        raise fail(f"Railway variables NOT updated: {exc}", EXIT_RAILWAY_FAILED) from None
    typer.echo(f"set {' and '.join(wst.TOKEN_VARIABLES)} on Railway service {service} (Railway redeploys it)")


# -- fetch-trades ----------------------------------------------------------------------------------


@app.command("fetch-trades")
@user_errors
def fetch_trades(
    base_url: BaseUrlOpt = None,
    account: Annotated[int | None, flags.account_index()] = None,
    market_id: Annotated[int | None, typer.Option("--market-id", help="only this market")] = None,
    limit: Annotated[int, typer.Option("--limit", help="newest N trades (paged by 100)")] = 200,
    mark_mid: Annotated[str | None, typer.Option("--mark-mid", help="mid price for mark-to-market of the open position")] = None,
    token: Annotated[str | None, typer.Option("--token", help="auth token; visible to other users in `ps`: prefer LIGHTER_API_BEARER, .env.ws_token or --token-file")] = None,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="file holding the auth token (LIGHTER_API_BEARER=... or the token alone)")] = None,
    config: ConfigOpt = None,
    output: Annotated[str | None, typer.Option("--output", help="also save the raw trades as JSON")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    from_flat: Annotated[bool, typer.Option("--from-flat", help="ignore the exchange's opening position")] = False,
) -> None:
    """Our trades from /api/v1/trades and their PnL: realized by average cost plus mark-to-market."""
    if not 1 <= limit <= 10_000:
        raise fail(f"--limit ({limit}) must be between 1 and 10000")
    mid = None if mark_mid is None else float(_decimal("--mark-mid", mark_mid))
    if mid is not None and mid <= 0:
        raise fail(f"--mark-mid ({mark_mid}) must be a positive price")
    secrets = load_secrets()
    acct = account if account is not None else secrets.account_index
    if acct is None:
        raise fail("pass --account-index N (or --account N, or set LIGHTER_ACCOUNT_INDEX)")
    if token is not None and token_file is not None:
        raise fail("pass --token-file or --token, not both")
    if token is not None:
        print("warning: --token puts the token on the command line, where other users see it (`ps`) and your "
              "shell history keeps it: prefer LIGHTER_API_BEARER, .env.ws_token or --token-file", file=sys.stderr)
    bearer = token or (read_token_file(token_file) if token_file is not None else None) or (
        secrets.api_bearer.get_secret_value() if secrets.api_bearer else None)
    if not bearer:
        raise fail("no auth token: set LIGHTER_API_BEARER, or pass --token-file FILE "
                   "(mint one with scripts/refresh_ws_token.py)")
    register_secrets([bearer])
    url = _base_url(base_url, config)

    async def go() -> list[dict[str, Any]]:
        async with LighterRest(url, token=bearer) as rest:
            return await tr.fetch_trades(rest, acct, market_id, limit)

    raw = asyncio.run(go())
    if output:
        prof.write_atomic(Path(output), json.dumps(raw, indent=2) + "\n")
    fills = [f for t in raw for f in parse_trades.account_fills(t, acct)]
    summaries = tr.summarize(fills, mid, from_flat=from_flat)
    if as_json:
        typer.echo(json.dumps({"account": acct, "fetched": len(raw), "markets": [s.as_dict() for s in summaries]}, indent=2))
        return
    for f in sorted(fills, key=tr.replay_order):
        side = "buy" if f.side is Side.BID else "sell"
        typer.echo(
            f"{_iso(f.ts)} m{f.market_id} {f.trade_id} {side:<4} {f.role.value:<5} {float(f.size):g} @ {float(f.price):g} "
            f"= ${float(f.notional):.2f} fee ${float(f.fee):.6f}"
        )
    typer.echo(f"account {acct}: {len(raw)} trades fetched, {len(fills)} fills of ours" + (f" (saved to {output})" if output else ""))
    for s in summaries:
        _print_summary(s)


def _print_summary(s: tr.MarketSummary) -> None:
    span = f"{_iso(s.first_ts)} .. {_iso(s.last_ts)}" if s.first_ts is not None and s.last_ts is not None else ""
    typer.echo(f"market {s.market_id}: {s.trades} fills {span}; maker {s.maker_count}, taker {s.taker_count}")
    typer.echo(f"  bought {s.bought:g}, sold {s.sold:g}; volume maker ${s.maker_volume_quote:.2f}, taker ${s.taker_volume_quote:.2f}")
    if s.opening_position:
        typer.echo(f"  opening position {s.opening_position:g} @ {s.opening_avg_price:.6g}")
    typer.echo(f"  fees paid ${s.fees:.6f} (maker ${s.maker_fees:.6f}, taker ${s.taker_fees:.6f})")
    typer.echo(f"  realized PnL (average cost, after fees) ${s.realized_pnl:.4f}")
    typer.echo(f"  position {s.position:g} @ avg {s.avg_price:.6g}")
    if s.unrealized_pnl is not None and s.total_pnl is not None:
        typer.echo(f"  unrealized at mid {s.mark_mid:g}: ${s.unrealized_pnl:.4f}; total ${s.total_pnl:.4f}")
    else:
        typer.echo("  unrealized: pass --mark-mid MID to mark the open position")
    for n in s.notes:
        typer.echo(f"  note: {n}")


# -- suggest-markets -------------------------------------------------------------------------------


@app.command("suggest-markets")
@user_errors
def suggest_markets(
    top: Annotated[int, typer.Option("--top", help="how many markets to list")] = 10,
    target_symbol: Annotated[str | None, typer.Option("--target-symbol", help="explain this market's score in full")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    balance_usd: Annotated[float, typer.Option("--balance-usd", help="balance the minimum order is compared with (USD)")] = 30.0,
    base_url: BaseUrlOpt = None,
    config: ConfigOpt = None,
    input_file: Annotated[
        str | None, typer.Option("--input", help="read an orderBookDetails JSON file instead of the API (no spreads)")
    ] = None,
) -> None:
    """Rank Lighter's perp markets for this bot and explain each score."""
    if top < 1:
        raise fail(f"--top ({top}) must be >= 1")
    if input_file:
        markets = parse_markets.perp_markets(_read_json(Path(input_file)))
        ranked = asyncio.run(sugg.suggest(None, markets, balance_usd, top, target_symbol))
    else:
        url = _base_url(base_url, config)

        async def go() -> list[sugg.Suggestion]:
            async with LighterRest(url) as rest:
                return await sugg.suggest(rest, await fetch_markets(rest), balance_usd, top, target_symbol)

        ranked = asyncio.run(go())
    target = None
    if target_symbol:
        hits = [(i, s) for i, s in enumerate(ranked, 1) if s.market.symbol.upper() == target_symbol.upper()]
        if not hits:
            raise fail(f"--target-symbol {target_symbol!r}: no active perp market with that symbol")
        target = hits[0]
    if as_json:
        doc: dict[str, Any] = {"weights": sugg.WEIGHTS, "balance_usd": balance_usd,
                               "markets": [s.as_dict(i) for i, s in enumerate(ranked[:top], 1)]}
        if target is not None:
            doc["target"] = target[1].as_dict(target[0])
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo("score = " + " + ".join(f"{w:g} x {n}" for n, w in sugg.WEIGHTS.items()) + f"  (balance ${balance_usd:g})")
    typer.echo(f"{'rank':>4} {'id':>4} {'symbol':<10} {'score':>5} {'24h volume':>14} {'spread':>7} {'24h range':>9} "
               f"{'min order':>9}  part scores (0-1)")
    typer.echo(f"{'':>4} {'':>4} {'':<10} {'(0-1)':>5} {'(USD)':>14} {'(bps)':>7} {'(bps)':>9} {'(USD)':>9}  "
               "vol=volume spr=spread rng=range min=min order act=trades")
    for i, s in enumerate(ranked[:top], 1):
        typer.echo(_row(i, s))
    if target is not None:
        i, s = target
        typer.echo(f"\n{s.market.symbol} (market {s.market.market_id}) ranks {i} of {len(ranked)} with score {s.score}:")
        for p in s.parts:
            typer.echo(f"  {p.name:<10} {p.score:.2f} x {p.weight:.2f} = {p.score * p.weight:.3f}  {p.why}")
        for f in s.flags:
            typer.echo(f"  flag: {f}")


_SHORT = {"volume": "vol", "spread": "spr", "volatility": "rng", "min_order": "min", "activity": "act"}


def _row(i: int, s: sugg.Suggestion) -> str:
    m = s.market
    spread = "-" if s.spread_bps is None else f"{s.spread_bps:.1f}"
    rng = "-" if m.daily_range_bps is None else f"{float(m.daily_range_bps):.0f}"
    min_usd = f"{float(min_clip_value(m)):.2f}" if m.last_trade_price > 0 else "-"
    parts = " ".join(f"{_SHORT[p.name]}={p.score:.2f}" for p in s.parts)
    flag = "  [" + "; ".join(s.flags) + "]" if s.flags else ""
    return (f"{i:>4} {m.market_id:>4} {m.symbol:<10} {s.score:>5.3f} {float(m.daily_quote_volume):>14,.0f} {spread:>7} "
            f"{rng:>9} {min_usd:>9}  {parts}{flag}")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"--input {path}: file not found") from None
    except ValueError as exc:
        raise DataError(f"--input {path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DataError(f"--input {path}: expected an orderBookDetails object")
    return data


# -- scripts/*.py entry points ---------------------------------------------------------------------

SCRIPTS: dict[str, Callable[..., None]] = {
    "set-market": set_market,
    "apply-profile": apply_profile,
    "refresh-ws-token": refresh_ws_token,
    "fetch-trades": fetch_trades,
    "suggest-markets": suggest_markets,
}


def run_script(command: str) -> None:
    """Run one command as a standalone program (`python scripts/set_market.py --symbol SOL ...`)."""
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command()(SCRIPTS[command])
    single(prog_name=Path(sys.argv[0]).name)
