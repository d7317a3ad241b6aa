"""Print `name value` lines from the running bot's /metrics:
`python scripts/dump_metrics.py --filter portfolio_` ([--host 127.0.0.1] [--port 8000] [--names N ...]).
Exit 0 ok, 1 fetch error, 2 bad flags, 3 nothing matched. Same as `lighter-bot dump-metrics`."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from lighter_bot.telemetry.dump import main
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from lighter_bot.telemetry.dump import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="dump_metrics.py"))
