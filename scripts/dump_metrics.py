"""Print `name value` lines from the running bot's /metrics:
`python scripts/dump_metrics.py --filter portfolio_` ([--host 127.0.0.1] [--port 8000] [--names N ...]).
Exit 0 ok, 1 fetch error, 2 bad flags, 3 nothing matched. Same as `lighter-bot dump-metrics`."""

from __future__ import annotations

import sys

import _venv

_venv.use_project_python()  # from any shell: re-run in the project's .venv (scripts/_venv.py)

from lighter_bot.telemetry.dump import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="dump_metrics.py"))
