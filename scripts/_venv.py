"""Makes `python scripts/X.py` work from any shell: the operator's scripts run in the project's `.venv`.

A plain shell's `python` usually lacks the bot's dependencies (`No module named 'typer'`). When the
checkout has a `.venv` (created by `make run`, `make test` or `make venv`) and this is not it, the
script is re-executed with `.venv/bin/python`, same arguments, same working directory: the versions
the tests ran with, nothing to activate. Without a `.venv` (the Docker image installs everything into
its system Python) the script runs as it is, and says how to fix a missing dependency.

Standard library only: it runs before anything of the project can be imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
_GUARD = "LIGHTER_BOT_SCRIPT_REEXEC"  # set across the exec: never loop


def use_project_python() -> None:
    python = VENV / "bin" / "python"
    inside = Path(sys.prefix).resolve() == VENV.resolve()
    if python.exists() and not inside and not os.environ.get(_GUARD):
        os.environ[_GUARD] = "1"
        script = os.path.abspath(sys.argv[0])
        os.execv(str(python), [str(python), script, *sys.argv[1:]])
    try:
        import typer  # noqa: F401
    except ImportError as exc:
        sys.stderr.write(
            f"error: the bot's dependencies are not installed for {sys.executable} (no module {exc.name!r}).\n"
            f"Run `make venv` once in {ROOT} (it creates .venv from requirements.lock; the scripts then use it "
            "from any shell), or install them into this Python: pip install -r requirements.lock && pip install -e .\n"
        )
        raise SystemExit(2) from None
    try:
        import lighter_bot  # noqa: F401
    except ImportError:  # dependencies present, the package itself not installed: use the checkout's
        sys.path.insert(0, str(ROOT / "src"))
