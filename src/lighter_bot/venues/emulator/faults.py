"""Fault injection for the emulator: the `--faults SPEC` grammar and a deterministic runtime plan.

Grammar (comma-separated items, each `kind[:key=value]...`; durations `30s`, `800ms`, `2m` or bare
seconds; times are seconds since the emulator started, on the wall clock):

    ws_drop:every=30s | ws_drop:at=45s        abort every WebSocket (TCP reset, no close frame)
    shutdown:at=60s[:every=D][:close_in_ms=1000]
                                              send {"type":"shutdown","close_in_ms":N}, close after N ms
    no_pong[:at=T][:for=D]                    stop answering client pings (WS ping frames and
                                              {"type":"ping"}); default from start, forever
    book_gap:p=0.01 | book_gap:at=T           drop an order_book update (begin_nonce != last nonce)
    http429:burst=5@40s[:every=D]             the next 5 REST requests from T answer 429 code 23000
    http5xx:p=0.02[:status=503]               a REST request fails with 5xx before it is processed
    slow_ack:ms=800[:p=1]                     sendTx/sendTxBatch answer ms later (tx applied at once)
    frozen_book:at=90s[:for=20s][:every=D]    order_book/ticker stop updating, connection stays up

Randomness comes from one RNG per kind seeded with the emulator seed, so a given seed and request
sequence gives the same faults.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from dataclasses import replace as _replace

from lighter_bot.errors import ConfigError

KINDS = ("ws_drop", "shutdown", "no_pong", "book_gap", "http429", "http5xx", "slow_ack", "frozen_book")

_ALLOWED: dict[str, set[str]] = {
    "ws_drop": {"every", "at"},
    "shutdown": {"every", "at", "close_in_ms"},
    "no_pong": {"at", "for"},
    "book_gap": {"p", "at", "every"},
    "http429": {"burst", "every"},
    "http5xx": {"p", "status"},
    "slow_ack": {"ms", "p"},
    "frozen_book": {"at", "for", "every"},
}

_DUR = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")


def parse_duration(text: str, what: str) -> float:
    m = _DUR.match(text.strip())
    if not m:
        raise ConfigError([f"{what}: {text!r} is not a duration (use e.g. 30s, 800ms, 2m)"], "--faults")
    value = float(m.group(1))
    unit = m.group(2) or "s"
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    at: float | None = None
    every: float | None = None
    duration: float | None = None
    p: float | None = None
    count: int = 0  # http429 burst size
    ms: float = 0.0  # slow_ack delay
    close_in_ms: int = 1000
    status: int = 503


def _parse_item(item: str) -> Fault:
    parts = item.strip().split(":")
    kind = parts[0].strip()
    if kind not in _ALLOWED:
        raise ConfigError([f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}"], "--faults")
    kw: dict[str, str] = {}
    for raw in parts[1:]:
        if "=" not in raw:
            raise ConfigError([f"{kind}: parameter {raw!r} must be key=value"], "--faults")
        key, value = (s.strip() for s in raw.split("=", 1))
        if key not in _ALLOWED[kind]:
            raise ConfigError([f"{kind}: unknown parameter {key!r}; allowed: {sorted(_ALLOWED[kind])}"], "--faults")
        kw[key] = value
    at = parse_duration(kw["at"], f"{kind}.at") if "at" in kw else None
    every = parse_duration(kw["every"], f"{kind}.every") if "every" in kw else None
    duration = parse_duration(kw["for"], f"{kind}.for") if "for" in kw else None
    p: float | None = None
    if "p" in kw:
        try:
            p = float(kw["p"])
        except ValueError:
            p = -1.0
        if not 0.0 <= p <= 1.0:
            raise ConfigError([f"{kind}.p={kw['p']!r} must be a probability in [0, 1]"], "--faults")
    if every is not None and every <= 0:
        raise ConfigError([f"{kind}.every must be > 0"], "--faults")
    fault = Fault(kind=kind, at=at, every=every, duration=duration, p=p)
    if kind in ("ws_drop", "shutdown") and at is None and every is None:
        raise ConfigError([f"{kind} needs at=T or every=D (e.g. {kind}:every=30s)"], "--faults")
    if kind == "shutdown" and "close_in_ms" in kw:
        if not kw["close_in_ms"].isdigit():
            raise ConfigError([f"shutdown.close_in_ms={kw['close_in_ms']!r} must be an integer"], "--faults")
        fault = _replace(fault, close_in_ms=int(kw["close_in_ms"]))
    if kind == "book_gap" and p is None and at is None:
        raise ConfigError(["book_gap needs p=P or at=T (e.g. book_gap:p=0.01)"], "--faults")
    if kind == "http429":
        m = re.match(r"^(\d+)@(.+)$", kw.get("burst", ""))
        if not m:
            raise ConfigError(["http429 needs burst=N@T (e.g. http429:burst=5@40s)"], "--faults")
        fault = _replace(fault, count=int(m.group(1)), at=parse_duration(m.group(2), "http429.burst"))
    if kind == "http5xx":
        if p is None:
            raise ConfigError(["http5xx needs p=P (e.g. http5xx:p=0.02)"], "--faults")
        status = kw.get("status", "503")
        if not status.isdigit() or not 500 <= int(status) <= 599:
            raise ConfigError([f"http5xx.status={status!r} must be 500..599"], "--faults")
        fault = _replace(fault, status=int(status))
    if kind == "slow_ack":
        try:
            ms = float(kw.get("ms", ""))
        except ValueError:
            raise ConfigError(["slow_ack needs ms=N (e.g. slow_ack:ms=800)"], "--faults") from None
        fault = _replace(fault, ms=ms, p=1.0 if p is None else p)
    if kind == "frozen_book":
        if at is None:
            raise ConfigError(["frozen_book needs at=T (e.g. frozen_book:at=90s:for=20s)"], "--faults")
        fault = _replace(fault, duration=20.0 if duration is None else duration)
    if kind == "no_pong":
        fault = _replace(fault, at=0.0 if at is None else at)
    return fault


def parse_faults(spec: str) -> list[Fault]:
    """Parse a --faults SPEC; raises ConfigError naming the bad item."""
    if not spec or not spec.strip():
        return []
    return [_parse_item(item) for item in spec.split(",") if item.strip()]


@dataclass
class _Timer:
    fault: Fault
    next_at: float | None


@dataclass
class FaultPlan:
    """Runtime state of the configured faults; every query takes `t` = seconds since start."""

    faults: list[Fault]
    seed: int = 1
    log: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rngs = {k: random.Random(f"{self.seed}:{k}") for k in KINDS}
        self._timers = [
            _Timer(f, f.at if f.at is not None else f.every)
            for f in self.faults
            if f.kind in ("ws_drop", "shutdown", "book_gap") and (f.at is not None or f.every is not None)
        ]
        self._bursts = [_Timer(f, f.at) for f in self.faults if f.kind == "http429"]
        self._burst_left = 0
        self.counts: dict[str, int] = {k: 0 for k in KINDS}

    def _record(self, t: float, kind: str) -> None:
        self.counts[kind] += 1
        self.log.append((round(t, 3), kind))

    def has(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.faults)

    def fired(self, kind: str, t: float) -> Fault | None:
        """Timer faults (ws_drop, shutdown, book_gap at=): the fault if one became due at or before t."""
        for timer in self._timers:
            f = timer.fault
            if f.kind != kind or timer.next_at is None or t < timer.next_at:
                continue
            timer.next_at = timer.next_at + f.every if f.every is not None else None
            self._record(t, kind)
            return f
        return None

    def active(self, kind: str, t: float) -> bool:
        """Window faults (no_pong, frozen_book): whether one is in effect at t."""
        for f in self.faults:
            if f.kind != kind or f.at is None or t < f.at:
                continue
            since = t - f.at
            if f.every is not None:
                since %= f.every
            if f.duration is None or since < f.duration:
                return True
        return False

    def chance(self, kind: str, t: float) -> bool:
        """Probability faults (book_gap p=, http5xx, slow_ack): one seeded draw per call."""
        for f in self.faults:
            if f.kind == kind and f.p is not None and self._rngs[kind].random() < f.p:
                self._record(t, kind)
                return True
        return False

    def http_fault(self, t: float) -> tuple[int, dict[str, object]] | None:
        """For one REST request: a (status, body) to answer instead, or None to serve it."""
        for timer in self._bursts:
            if timer.next_at is not None and t >= timer.next_at:
                self._burst_left += timer.fault.count
                timer.next_at = timer.next_at + timer.fault.every if timer.fault.every is not None else None
        if self._burst_left > 0:
            self._burst_left -= 1
            self._record(t, "http429")
            return 429, {"code": 23000, "message": "Too Many Requests!"}
        for f in self.faults:
            if f.kind == "http5xx" and f.p is not None and self._rngs["http5xx"].random() < f.p:
                self._record(t, "http5xx")
                return f.status, {"code": 29500, "message": "internal server error"}
        return None

    def ack_delay(self, t: float) -> float:
        """Seconds to hold a sendTx answer (slow_ack), 0 when none applies."""
        for f in self.faults:
            if f.kind == "slow_ack" and f.p is not None and self._rngs["slow_ack"].random() < f.p:
                self._record(t, "slow_ack")
                return f.ms / 1000.0
        return 0.0
