"""The fills ledger from the command line: `python scripts/metrics_tool.py dump` (also `window --hours 6`,
`window --seconds 300`, `reset --confirm`, `export --output fills.csv`, `import-json --input FILE`).
Same as `lighter-bot metrics ...`; global `--config` before the subcommand."""

from __future__ import annotations

import _venv

_venv.use_project_python()  # from any shell: re-run in the project's .venv (scripts/_venv.py)

from lighter_bot.cli.metrics_cmd import app  # noqa: E402

if __name__ == "__main__":
    app(prog_name="metrics_tool.py")
