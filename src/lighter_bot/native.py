"""The compiled build of the per-event path, and the guard against running a stale one.

The modules every market event passes through (the engine core, the strategy, the caps, the domain
types, the replay loop and the tape simulator: `native-modules.txt` at the repository root) are compiled
with mypyc from their own typed sources into C extensions placed beside them (`make native`, which
`make run`, `make test` and `make bench` do first). Python imports an extension before a source of the
same name, so the compiled build runs where it was built; without it the same sources run interpreted
and give the same commands (tests/integration/test_native_build.py checks both ways on the same
events). The Docker image runs the sources interpreted.

mypyc was chosen because the code is already mypy-strict: no second language, no annotations of its own.

A compiled module older than its source would run code that is no longer in the tree, so importing the
package refuses that (`check_fresh`), naming the fix.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SRC = PACKAGE.parent
GROUP = "lighter_bot_native"  # the compiled modules share one library, src/<GROUP>__mypyc.<suffix>.so
_SUFFIX = ".cpython-"  # extensions are named <module>.cpython-311-<platform>.so


def compiled() -> list[Path]:
    """The package's compiled extensions (empty when it runs interpreted)."""
    out: list[Path] = []
    for root, _dirs, files in os.walk(PACKAGE):
        out += [Path(root) / f for f in files if f.endswith(".so") and _SUFFIX in f]
    return out


def stale() -> list[str]:
    """Sources changed (or removed) since their extension was built, as paths under src/."""
    out = []
    for so in compiled():
        py = so.with_name(so.name.split(".", 1)[0] + ".py")
        if not py.exists() or py.stat().st_mtime > so.stat().st_mtime:
            out.append(str(py.relative_to(SRC)))
    return sorted(out)


def check_fresh() -> None:
    changed = stale()
    if changed:
        raise ImportError(
            f"lighter_bot's compiled build is older than {', '.join(changed[:3])}"
            f"{' and others' if len(changed) > 3 else ''}: it would run code no longer in the tree. "
            "Rebuild it with `make native` (or remove it with `make clean-native` to run interpreted).")


def modules(listing: Path) -> list[str]:
    """The source paths listed in `native-modules.txt` (one per line, # comments)."""
    lines = (ln.split("#", 1)[0].strip() for ln in listing.read_text().splitlines())
    return [ln for ln in lines if ln]


def build(listing: Path, jobs: int = 2) -> None:
    """Compile the listed modules in place (the C sources go to build/native)."""
    from mypyc.build import mypycify  # the build needs mypy (a development dependency), the bot does not
    from setuptools import setup  # type: ignore[import-untyped]

    paths = modules(listing)
    root = listing.resolve().parent
    started = time.time()
    os.chdir(root / "src")  # extensions land beside their sources, named by module
    exts = mypycify([str(root / p) for p in paths], opt_level="3", group_name=GROUP,
                    target_dir=str(root / "build" / "native"))
    setup(name="lighter_bot_native", ext_modules=exts,
          script_args=["-q", "build_ext", "--inplace", "-j", str(jobs), "--build-temp", str(root / "build" / "native"),
                       "--build-lib", str(root / "build" / "native" / "lib")])
    # A module's own extension is a thin shim into the group's library, left as it was when its C did not
    # change: date them all from the start of this build, so that the freshness check reads the build.
    for so in compiled():
        os.utime(so, (started, started))


def clean() -> None:
    for so in compiled():
        so.unlink()
    for so in SRC.glob("*__mypyc.*.so"):  # a group's shared library, at the top of src/
        so.unlink()


if __name__ == "__main__":
    cmd = sys.argv[1:2]
    # Run as a script (`python src/lighter_bot/native.py build`), so that a stale build does not stop
    # its own rebuild: the package (and its guard) is not imported.
    if cmd == ["build"]:
        args = sys.argv[2:]
        required = "--required" in args
        files = [a for a in args if a != "--required"]
        try:
            build(Path(files[0]) if files else Path("native-modules.txt"))
        except (Exception, SystemExit) as exc:  # any failure (setuptools exits): no half build left behind
            clean()
            then = ("--required: stopping here." if required
                    else "The interpreted sources run instead (the same commands, slower).")
            print(f"{'error' if required else 'warning'}: the compiled build failed ({exc}); it needs a C compiler "
                  f"and Python's headers. {then}", file=sys.stderr)
            sys.exit(1 if required else 0)
    elif cmd == ["clean"]:
        clean()
    else:
        print("usage: python src/lighter_bot/native.py build [native-modules.txt] [--required] | clean", file=sys.stderr)
        sys.exit(2)
