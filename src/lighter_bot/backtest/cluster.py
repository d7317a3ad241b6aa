"""Matrix and sweep runs on a Ray cluster (`--ray-address`, the optional `ray` extra).

This process is the driver: it connects to a running cluster and submits one Ray task per unit of
work (a matrix case, a sweep trial); results come back in submission order, so a cluster run gives
exactly the rows (and the sweep exactly the trials) of the same run in local processes.

Recordings are **read from a shared path, not shipped**: a task names its recording by path and the
node that runs it streams the files from that path. A recording can be days of data (gigabytes);
shipping it through Ray's object store would hold a copy in every node's memory, while the streaming
loaders read it in bounded memory from any filesystem. So every node must see the files at the same
path (a shared filesystem, or the cluster launcher's `file_mounts`); a node that does not fails the run
with a message naming the node and the file. Every node also needs lighter-bot and the same Ray
installed (docs/operations.md, "Sweeps and matrices on a Ray cluster").
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

from lighter_bot.errors import ConfigError, DataError, LighterBotError

T = TypeVar("T")
R = TypeVar("R")

INSTALL_HINT = "pip install -e '.[ray]' (the Ray version pinned in pyproject.toml, on every node)"
CONNECT_TIMEOUT_S = 5.0
SHARED_PATH_HINT = ("--ray-address reads recordings from the same path on every node: put them on a shared "
                    "filesystem or copy them there (e.g. the cluster launcher's file_mounts)")


def on_node(fn: Callable[[T], R], arg: T) -> R:
    """Run `fn(arg)` on a Ray worker; a recording this node cannot read is named with the node."""
    try:
        return fn(arg)
    except DataError as exc:
        raise DataError(f"on Ray node {socket.gethostname()}: {exc}; {SHARED_PATH_HINT}") from None


class RayCluster:
    """A connection to a running Ray cluster (`ray start --head` on the head node); close it when done."""

    def __init__(self, address: str) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError([f"--ray-address needs Ray: {INSTALL_HINT}, "
                               "or drop --ray-address to run in local processes"]) from None
        self._ray: Any = ray
        _check_reachable(address)
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError([f"--ray-address {address}: cannot join the Ray cluster there ({exc})"]) from None
        self._remote: Any = ray.remote(on_node)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """`fn` over `items` as Ray tasks (all submitted at once), results in the order of `items`.
        `fn` must be a module-level function (workers import it by name)."""
        refs = [self._remote.remote(fn, x) for x in items]
        for i, ref in enumerate(refs):
            try:
                out: R = self._ray.get(ref)
            except self._ray.exceptions.RayTaskError as exc:
                for rest in refs[i + 1:]:
                    self._ray.cancel(rest)
                cause = getattr(exc, "cause", None)
                if isinstance(cause, LighterBotError):
                    raise cause from None
                if isinstance(cause, ImportError):
                    raise ConfigError([f"a Ray worker cannot import lighter-bot ({cause}): {INSTALL_HINT}"]) from None
                raise
            yield out

    def close(self) -> None:
        self._ray.shutdown()

    def __enter__(self) -> RayCluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _check_reachable(address: str) -> None:
    """Fail at once (not after Ray's minutes of retries) when nothing listens at HOST:PORT."""
    if address == "auto" or "://" in address:
        return  # Ray finds the local cluster itself / a Ray Client address
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError([f"--ray-address {address!r}: expected HOST:PORT of the head node (e.g. 10.0.0.5:6379), "
                           "'auto', or ray://HOST:10001"])
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ConfigError([f"--ray-address {address}: nothing answers there ({exc.strerror or exc}); start the "
                           "head with `ray start --head --port PORT` or check the address"]) from None
