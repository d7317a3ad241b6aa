"""`lighter-bot config check|show`: validate and print the resolved configuration."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from lighter_bot.cli.common import user_errors
from lighter_bot.config import (
    BotConfig,
    config_path,
    describe_fields,
    load_config,
    load_secrets,
    secret_paths,
    uses_builtin_defaults,
)

app = typer.Typer(help="Validate and show the resolved configuration (secrets redacted).", no_args_is_help=True)

ConfigOpt = Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="market profile YAML to overlay")]


@app.command("check")
@user_errors
def check(config: ConfigOpt = None, profile: ProfileOpt = None) -> None:
    """Exit 0 and print the config hash when the file is valid; list every problem and exit 2 otherwise."""
    cfg = load_config(config, profile)
    load_secrets()
    what = "the built-in defaults are" if uses_builtin_defaults(config) else f"{config_path(config)} is"
    typer.echo(f"ok: {what} valid (config hash {cfg.config_hash()})")


def _flatten(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        if isinstance(v, dict):
            out += _flatten(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The config with every secret value (e.g. the Discord webhook URL, which holds its token) as
    "***", and credentials inside any URL (`https://user:pass@host`) masked."""
    secrets = secret_paths()
    out: dict[str, Any] = {}
    for k, v in data.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            out[k] = redact(v, path + ".")
        elif path in secrets and v is not None:
            out[k] = "***"
        elif isinstance(v, str):
            out[k] = _USERINFO.sub("***@", v)
        else:
            out[k] = v
    return out


def resolved(cfg: BotConfig) -> dict[str, Any]:
    return {"config": redact(cfg.model_dump(mode="json")), "secrets": load_secrets().redacted(),
            "config_hash": cfg.config_hash()}


@app.command("show")
@user_errors
def show(
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Print every knob with its value and unit, the redacted secrets and the config hash."""
    cfg = load_config(config, profile)
    data = resolved(cfg)
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    docs = dict(describe_fields())
    for key, value in _flatten(data["config"]):
        typer.echo(f"{key:<44} {json.dumps(value):<28} {docs.get(key, '')}")
    for key, value in data["secrets"].items():
        typer.echo(f"secrets.{key:<36} {json.dumps(value)}")
    typer.echo(f"config_hash {data['config_hash']}")
