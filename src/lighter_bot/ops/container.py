"""Container entrypoint: make the data volume writable for the unprivileged user, drop to it, exec.

Railway mounts volumes owned by root after the image is built, so a non-root process cannot write
the ledger there. With the service variable RAILWAY_RUN_UID=0 the container starts as root; this
entrypoint then chowns `data/` (only what is not already owned) to the `bot` user, drops every
privilege (groups, gid, uid) and execs the command. Started as non-root (local `docker run`,
no volume), it only checks that `data/` is writable and execs.

    python -m lighter_bot.ops.container lighter-bot run --venue lighter

On Railway (RAILWAY_ENVIRONMENT_ID is set) it also refuses to start without a volume mounted on the
data directory: only a volume makes Railway stop the old deployment before it starts the new one
("we prevent multiple deployments from being active and mounted to the same service",
https://docs.railway.com/reference/volumes, Caveats). Without one, every deploy would run two bots on
one API key while the new one passes its health check, and the ledger would start empty.
LIGHTER_ALLOW_NO_VOLUME=1 overrides (e.g. a throwaway test service).
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Mapping
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


def railway_volume_problem(env: Mapping[str, str], data_dir: Path) -> str | None:
    """On Railway: the data directory must be the mounted volume (see the module docstring)."""
    if not env.get("RAILWAY_ENVIRONMENT_ID") or env.get("LIGHTER_ALLOW_NO_VOLUME") == "1":
        return None
    mount = env.get("RAILWAY_VOLUME_MOUNT_PATH")
    if not mount:
        return (
            "no Railway volume is attached: without one Railway runs the old and the new deployment side by side "
            "during every deploy (two bots on one API key: nonce clashes, double quotes) and the ledger starts empty. "
            f"Attach a volume with mount path {data_dir.resolve()} (docs/operations.md, Deploy), or set "
            "LIGHTER_ALLOW_NO_VOLUME=1 to run without one anyway"
        )
    if Path(mount).resolve() != data_dir.resolve():
        return (f"the Railway volume is mounted at {mount} but the bot writes to {data_dir.resolve()}: change the "
                f"volume's mount path to {data_dir.resolve()} (or LIGHTER_DATA_DIR)")
    return None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m lighter_bot.ops.container COMMAND [ARGS...]", file=sys.stderr)
        return 2
    data_dir = Path(os.environ.get("LIGHTER_DATA_DIR", "data"))
    problem = railway_volume_problem(os.environ, data_dir) or prepare(data_dir, os.environ.get("LIGHTER_RUN_AS", "bot"))
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
