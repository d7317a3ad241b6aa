"""Container entrypoint: make the data volume writable for the unprivileged user, drop to it, exec.

Railway mounts volumes owned by root after the image is built, so a non-root process cannot write
the ledger there. With the service variable RAILWAY_RUN_UID=0 the container starts as root; this
entrypoint then chowns `data/` (only what is not already owned) to the `bot` user, drops every
privilege (groups, gid, uid) and execs the command. Started as non-root (local `docker run`,
no volume), it only checks that `data/` is writable and execs.

    python -m lighter_bot.ops.container lighter-bot run --venue lighter
"""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path

EXIT_CONFIG = 78  # EX_CONFIG: the deployment, not the bot, needs fixing


def _chown_tree(root: Path, uid: int, gid: int) -> int:
    changed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for p in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            st = os.lstat(p)
            if st.st_uid != uid or st.st_gid != gid:
                os.lchown(p, uid, gid)
                changed += 1
    return changed


def prepare(data_dir: Path, user: str) -> str | None:
    """Make data_dir writable for `user` and become that user (when root). Returns a problem or None."""
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            return f"user {user!r} does not exist in the image (LIGHTER_RUN_AS)"
        data_dir.mkdir(parents=True, exist_ok=True)
        _chown_tree(data_dir, pw.pw_uid, pw.pw_gid)
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
        os.environ["HOME"] = pw.pw_dir
        os.environ["USER"] = user
    else:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create {data_dir}: {exc.strerror}"
    if not os.access(data_dir, os.W_OK | os.X_OK):
        return (
            f"{data_dir.resolve()} is not writable by uid {os.geteuid()}: on Railway set the service variable "
            "RAILWAY_RUN_UID=0 (the volume is mounted root-owned; this entrypoint fixes it and drops to the bot user)"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m lighter_bot.ops.container COMMAND [ARGS...]", file=sys.stderr)
        return 2
    problem = prepare(Path(os.environ.get("LIGHTER_DATA_DIR", "data")), os.environ.get("LIGHTER_RUN_AS", "bot"))
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        os.execvp(args[0], args)
    except OSError as exc:
        print(f"error: cannot run {args[0]!r}: {exc.strerror}", file=sys.stderr)
    return 127


if __name__ == "__main__":
    sys.exit(main())
