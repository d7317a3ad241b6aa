"""What the live venue's parts share: its settings and the state they all read or write.

`LighterVenue` (venue.py) owns one `VenueContext` and hands it to its parts: order entry (entry.py),
frame handling (frames.py), health and reconciliation (monitor.py). Collaborators that exist only
once the venue started (signer, auth tokens, WebSocket) are filled in by `start()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from lighter_bot.domain.events import Event
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.request_budget import DEADMAN_REARM_S, POSITION_CHECK_S
from lighter_bot.engine.clock import Clock
from lighter_bot.errors import ConfigError, FatalVenueError
from lighter_bot.venues.lighter.auth import AuthTokens
from lighter_bot.venues.lighter.book import LocalBook
from lighter_bot.venues.lighter.instance_check import ForeignOrders
from lighter_bot.venues.lighter.orders import OrderBook, client_index_base
from lighter_bot.venues.lighter.parse import RowErrors
from lighter_bot.venues.lighter.ratelimit import RequestGate
from lighter_bot.venues.lighter.rest import RestClient
from lighter_bot.venues.lighter.signer import TxSigner
from lighter_bot.venues.lighter.ws import WsSupervisor

DEADMAN_HORIZON_S = 360.0  # Lighter accepts 5 min .. 15 days ahead; 6 min bounds an orphan's life


def ws_url_for(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://") :].rstrip("/") + "/stream"
    if base_url.startswith("http://"):
        return "ws://" + base_url[len("http://") :].rstrip("/") + "/stream"
    raise ConfigError([f"api.base_url ({base_url!r}) must start with http:// or https://"])


@dataclass
class VenueSettings:
    market_id: int
    account_index: int
    api_key_index: int
    base_url: str
    ws_url: str
    tier: str = "standard"
    tx_per_minute: int | None = None
    quote_expiry_s: float = 3600.0
    book_depth: int = 25
    book_stale_s: float = 10.0
    ws_silence_s: float = 10.0
    # How long a sent order may go unconfirmed before REST is asked about it. Lighter executes within
    # its 200-300 ms speed bump; 2 s leaves room for slow acks while a placement whose answer was lost
    # (5xx, timeout) holds its quote back for at most ~2 s. One that lands later is found as an orphan.
    order_grace_s: float = 2.0
    position_grace_s: float = 3.0
    deadman: bool = True
    deadman_horizon_s: float = DEADMAN_HORIZON_S
    deadman_rearm_s: float = DEADMAN_REARM_S
    position_check_s: float = POSITION_CHECK_S
    token_lifetime_s: float = 3600.0  # auth tokens are minted for this long...
    token_renew_before_s: float = 900.0  # ...renewed this long before expiry, on the running connection
    instance_probe_s: float = 1.0  # foreign orders at start: listed again after this long


@dataclass
class VenueContext:
    s: VenueSettings
    clock: Clock
    gate: RequestGate  # the one request budget: every REST call and every send (a batch once)
    rest: RestClient
    tracker: OrderBook
    book: LocalBook
    foreign: ForeignOrders  # another bot on this account and market (instance_check.py)
    spec: MarketSpec | None = None
    signer: TxSigner | None = None
    tokens: AuthTokens | None = None
    ws: WsSupervisor | None = None
    closing: bool = False
    row_errors: RowErrors = field(default_factory=RowErrors)  # rows skipped in account frames
    events: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    stats: dict[str, int] = field(default_factory=lambda: {
        "gaps": 0, "reconnects": 0, "tx_sent": 0, "tx_rejected": 0, "rate_limited": 0})

    @classmethod
    def build(cls, s: VenueSettings, clock: Clock, spec: MarketSpec | None) -> VenueContext:
        gate = RequestGate.for_tier(s.tier, clock, s.tx_per_minute)
        tracker = OrderBook(client_index_base(clock.now()), s.account_index, s.order_grace_s, s.position_grace_s)
        foreign = ForeignOrders(tracker.base, clock.now())
        return cls(s, clock, gate, RestClient(s.base_url, gate), tracker, LocalBook(s.book_depth), foreign, spec)

    @property
    def market(self) -> MarketSpec:
        """The exchange's market spec once start() loaded it (the config's guess before that)."""
        if self.spec is None:
            raise FatalVenueError("market metadata not loaded yet: call start() first")
        return self.spec

    def emit(self, events: Sequence[Event]) -> None:
        for e in events:
            self.events.put_nowait(e)

    def token(self) -> str | None:
        """A valid auth token (renewed when close to expiry), None without one."""
        return self.tokens.token() if self.tokens is not None else None

    def ws_up(self) -> bool:
        return self.ws is not None and self.ws.connected
