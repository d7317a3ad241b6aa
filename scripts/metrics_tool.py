"""The fills ledger from the command line: `python scripts/metrics_tool.py dump` (also `window --hours 6`,
`window --seconds 300`, `reset --confirm`, `export --output fills.csv`, `import-json --input FILE`).
Same as `lighter-bot metrics ...`; global `--config` before the subcommand."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from lighter_bot.cli.metrics_cmd import app
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from lighter_bot.cli.metrics_cmd import app

if __name__ == "__main__":
    app(prog_name="metrics_tool.py")
