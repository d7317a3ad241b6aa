#!/usr/bin/env python3
"""Fetch the account's trades and their PnL (average cost + mark-to-market).

Same flags as `lighter-bot ops fetch-trades`; see docs/operations.md.
"""

import _venv

_venv.use_project_python()  # from any shell: re-run in the project's .venv (scripts/_venv.py)

from lighter_bot.cli.ops_cmds import run_script  # noqa: E402

if __name__ == "__main__":
    run_script("fetch-trades")
