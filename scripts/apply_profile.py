#!/usr/bin/env python3
"""Apply a market profile to config.yaml, keeping its comments.

Same flags as `lighter-bot ops apply-profile`; see docs/operations.md.
"""

import sys
from pathlib import Path

try:
    import lighter_bot  # noqa: F401  (installed in the venv)
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from lighter_bot.cli.ops_cmds import run_script

if __name__ == "__main__":
    run_script("apply-profile")
