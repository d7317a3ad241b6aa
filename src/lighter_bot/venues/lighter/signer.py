"""Signing and sending transactions through the SDK's SignerClient, with our own nonces.

We sign with explicit nonces (so batches get consecutive ones and nothing in the SDK silently
fetches a nonce with a blocking call) and send through SignerClient.send_tx / send_tx_batch. The
NonceKeeper refetches `nextNonce` after ANY failed or uncertain send, not only after a 400 with
"invalid nonce" (the SDK leaves its optimistic counter one ahead after a 429, 5xx or timeout).
SDK exceptions are classified in parse.send_exception; their text is never logged because it may
carry request data.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lighter_bot.errors import FatalVenueError
from lighter_bot.venues.lighter.parse import SendOutcome, send_exception, send_reply

# Lighter's constants (SignerClient class attributes), restated so callers need no SDK import.
ORDER_TYPE_LIMIT = 0
TIF_IOC = 0
TIF_GTT = 1
TIF_POST_ONLY = 2
CANCEL_ALL_IMMEDIATE = 0
CANCEL_ALL_SCHEDULED = 1
CANCEL_ALL_ABORT = 2
NIL_MARKET_INDEX = 255  # cancel-all of every market
MAX_BATCH = 50
SEND_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class SignedTx:
    tx_type: int
    tx_info: str


class TxSigner(Protocol):
    """What order entry needs from a signer; SdkSigner wraps lighter.SignerClient, tests fake it."""

    def sign_create(
        self, *, market: int, coi: int, size: int, price: int, is_ask: bool, tif: int, reduce_only: bool,
        expiry_ms: int, nonce: int,
    ) -> SignedTx: ...

    def sign_modify(self, *, market: int, coi: int, size: int, price: int, version: int, nonce: int) -> SignedTx: ...

    def sign_cancel(self, *, market: int, coi: int, nonce: int) -> SignedTx: ...

    def sign_cancel_all(self, *, tif: int, time_ms: int, nonce: int, market: int | None = None) -> SignedTx: ...

    async def send(self, txs: Sequence[SignedTx]) -> SendOutcome: ...

    def auth_token(self, expiry_s: int) -> tuple[str | None, str | None]: ...

    async def check(self) -> str | None: ...

    async def close(self) -> None: ...


class SdkSigner:
    """lighter.SignerClient with one API key. Construct inside a running event loop."""

    def __init__(self, base_url: str, account_index: int, api_key_index: int, private_key: str) -> None:
        from lighter import nonce_manager, signer_client  # imported lazily: loads the native signer

        self._client: Any = signer_client.SignerClient(
            url=base_url,
            account_index=account_index,
            api_private_keys={api_key_index: private_key},
            nonce_management_type=nonce_manager.NonceManagerType.NONE,
        )
        self.key = api_key_index

    @staticmethod
    def _tx(result: tuple[Any, Any, Any, Any], what: str) -> SignedTx:
        tx_type, tx_info, _tx_hash, err = result
        if err is not None:
            raise FatalVenueError(f"signer refused {what}: {err}")
        return SignedTx(int(tx_type), str(tx_info))

    def sign_create(
        self, *, market: int, coi: int, size: int, price: int, is_ask: bool, tif: int, reduce_only: bool,
        expiry_ms: int, nonce: int,
    ) -> SignedTx:
        return self._tx(
            self._client.sign_create_order(
                market, coi, size, price, int(is_ask), ORDER_TYPE_LIMIT, tif, int(reduce_only), 0, expiry_ms,
                nonce=nonce, api_key_index=self.key,
            ),
            "create order",
        )

    def sign_modify(self, *, market: int, coi: int, size: int, price: int, version: int, nonce: int) -> SignedTx:
        # `order_version` (attribute 8): Lighter applies a versioned modify only above the order's stored
        # version, so a late or resent modify can never overwrite a newer one.
        return self._tx(
            self._client.sign_modify_order(
                market, coi, size, price, 0, order_version=version, nonce=nonce, api_key_index=self.key
            ),
            "modify order",
        )

    def sign_cancel(self, *, market: int, coi: int, nonce: int) -> SignedTx:
        return self._tx(self._client.sign_cancel_order(market, coi, nonce=nonce, api_key_index=self.key), "cancel")

    def sign_cancel_all(self, *, tif: int, time_ms: int, nonce: int, market: int | None = None) -> SignedTx:
        # `cancel_all_market_index` (attribute 5): an immediate cancel-all of ONE market, one tx. Lighter
        # cannot scope a scheduled one (the dead-man switch stays account-wide).
        scope = NIL_MARKET_INDEX if market is None else market
        return self._tx(
            self._client.sign_cancel_all_orders(
                tif, time_ms, cancel_all_market_index=scope, nonce=nonce, api_key_index=self.key
            ),
            "cancel all",
        )

    async def send(self, txs: Sequence[SignedTx]) -> SendOutcome:
        try:
            if len(txs) == 1:
                resp = await asyncio.wait_for(self._client.send_tx(txs[0].tx_type, txs[0].tx_info), SEND_TIMEOUT_S)
            else:
                resp = await asyncio.wait_for(
                    self._client.send_tx_batch([t.tx_type for t in txs], [t.tx_info for t in txs]), SEND_TIMEOUT_S
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the SDK raises plain ApiException subclasses and aiohttp errors
            return send_exception(exc)
        return send_reply(
            getattr(resp, "code", None), getattr(resp, "message", None), getattr(resp, "volume_quota_remaining", None)
        )

    def auth_token(self, expiry_s: int) -> tuple[str | None, str | None]:
        # The SDK signs expiry = timestamp + deadline; we pass the absolute expiry that way.
        tok, err = self._client.create_auth_token_with_expiry(1, timestamp=expiry_s - 1, api_key_index=self.key)
        return (str(tok) if tok else None), (str(err) if err else None)

    async def check(self, timeout_s: float = 20.0) -> str | None:
        # check_client does a blocking HTTP call inside the Go signer (no timeout of its own): run it
        # on a daemon thread so neither the event loop nor interpreter exit can hang on it.
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[object] = loop.create_future()

        def work() -> None:
            try:
                res: object = self._client.check_client()
            except Exception as exc:  # reported as a failed check below
                res = f"check_client raised {type(exc).__name__}"
            def deliver() -> None:
                if not fut.done():
                    fut.set_result(res)

            if not loop.is_closed():
                loop.call_soon_threadsafe(deliver)

        threading.Thread(target=work, name="lighter-check-client", daemon=True).start()
        try:
            err = await asyncio.wait_for(fut, timeout_s)
        except TimeoutError:
            return "failed to get Api Keys: check_client timed out"
        return str(err) if err else None

    async def close(self) -> None:
        await self._client.close()


class NonceKeeper:
    """The next nonce of our API key; forgets it after any failed send and refetches lazily."""

    def __init__(self, fetch: Callable[[], Awaitable[int]]) -> None:
        self._fetch = fetch
        self._next: int | None = None
        self.refetches = 0

    async def take(self, n: int) -> int:
        """Reserve n consecutive nonces; return the first."""
        if self._next is None:
            self._next = await self._fetch()
            self.refetches += 1
        first = self._next
        self._next += n
        return first

    def invalidate(self) -> None:
        self._next = None

    @property
    def known(self) -> bool:
        return self._next is not None


def tx_summary(tx: SignedTx) -> dict[str, Any]:
    """Non-secret fields of a signed tx for debugging (no signature)."""
    try:
        info = json.loads(tx.tx_info)
    except ValueError:
        return {"tx_type": tx.tx_type}
    return {k: v for k, v in info.items() if k not in ("Sig", "L1Sig")} | {"tx_type": tx.tx_type}
