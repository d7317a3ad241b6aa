#!/usr/bin/env python3
"""Apply a market profile to config.yaml, keeping its comments.

Same flags as `lighter-bot ops apply-profile`; see docs/operations.md.
"""

import _venv

_venv.use_project_python()  # from any shell: re-run in the project's .venv (scripts/_venv.py)

from lighter_bot.cli.ops_cmds import run_script  # noqa: E402

if __name__ == "__main__":
    run_script("apply-profile")
