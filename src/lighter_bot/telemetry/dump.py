"""`dump_metrics`: print `name value` lines from a running bot's /metrics.

Exit codes: 0 printed something, 1 could not fetch or parse /metrics, 2 bad flags, 3 nothing matched.
`--filter` is a repeatable substring match on the sample name; `--names` (exact names) wins over it.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

from prometheus_client.parser import text_string_to_metric_families

from lighter_bot.config import load_config
from lighter_bot.errors import ConfigError

EXIT_OK, EXIT_FETCH, EXIT_USAGE, EXIT_NO_MATCH = 0, 1, 2, 3
DEFAULT_PORT = 8000


def fetch(host: str, port: int, timeout: float) -> str:
    url = f"http://{host}:{port}/metrics"
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        body: bytes = resp.read()
    return body.decode()


def _fmt_value(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def select(text: str, filters: Sequence[str], names: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if names:
                if s.name not in names:
                    continue
            elif filters and not any(f in s.name for f in filters):
                continue
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            shown = f"{s.name}{{{labels}}}" if labels else s.name
            lines.append(f"{shown} {_fmt_value(float(s.value))}")
    return lines


def _default_port(config: str | None) -> int:
    try:
        return load_config(config).telemetry.port
    except ConfigError as exc:
        print(f"warning: {exc.problems[0] if exc.problems else exc}; using port {DEFAULT_PORT}", file=sys.stderr)
        return DEFAULT_PORT


def parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Print `name value` lines from a running bot's /metrics.")
    p.add_argument("--host", default="127.0.0.1", help="bot address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="bot HTTP port (default: telemetry.port of --config, 8000)")
    p.add_argument("--config", default=None, help="config file for the default port ($LIGHTER_CONFIG or config.yaml)")
    p.add_argument("--filter", action="append", default=[], metavar="PREFIX",
                   help="keep samples whose name contains this (repeatable)")
    p.add_argument("--names", nargs="+", default=[], metavar="NAME", help="exact sample names (wins over --filter)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "dump_metrics.py") -> int:
    try:
        args = parser(prog).parse_args(argv)
    except SystemExit as exc:  # argparse already printed the problem
        return int(exc.code or 0) and EXIT_USAGE
    port = args.port if args.port is not None else _default_port(args.config)
    try:
        text = fetch(args.host, port, args.timeout)
        lines = select(text, args.filter, args.names)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"error: cannot read http://{args.host}:{port}/metrics: {reason} (is the bot running? check --host/--port)",
              file=sys.stderr)
        return EXIT_FETCH
    if not lines:
        what = f"names {args.names}" if args.names else f"filter {args.filter}" if args.filter else "anything"
        print(f"no metric matched {what}", file=sys.stderr)
        return EXIT_NO_MATCH
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
