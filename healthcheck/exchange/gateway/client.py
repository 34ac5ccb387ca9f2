"""The python-binance client per market: API key and signing (HMAC secret or Ed25519/RSA key),
``recvWindow``, the clock offset python-binance adds to every signed timestamp, the base URLs, the
aiohttp session (proxy variables, CA bundle, the process's shared connection pool), and the
answer handling that records each call's response for the weight headers."""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import ssl
import threading
from typing import TYPE_CHECKING, Any

import aiohttp
from binance.async_client import AsyncClient
from binance.exceptions import BinanceAPIException, BinanceRequestException

from healthcheck.model.markets import MARKETS, POOLS

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

_PROXY_ENV = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class EmptyBody(Exception):
    """A 2xx answer with no body at all (python-binance would turn it into ``{}``)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


# the response whose headers belong to the request of the current task (one task per call)
RESPONSE: contextvars.ContextVar[Any] = contextvars.ContextVar("healthcheck_response", default=None)


class Client(AsyncClient):
    """python-binance's AsyncClient with the sync client's answer handling, race-free.

    ``_handle_response`` is where python-binance reads the answer. Ours records the response in
    a per-task context variable (``client.response`` is shared by concurrent calls), reads the
    body as bytes and decodes it the way the sync client does: non-JSON error bodies get their
    text (the async client puts a bound method's repr there), a 2xx HTML page is "Invalid
    Response" (aiohttp would raise ContentTypeError), and an empty 2xx body is an error, not {}.
    """

    async def _handle_response(self, response: aiohttp.ClientResponse) -> Any:
        RESPONSE.set(response)
        body = await response.read()
        text = _decode(body, response.charset) if body else ""
        if not 200 <= response.status < 300:
            exc = BinanceAPIException(response, response.status, text)
            if not exc.code and str(exc.message).startswith("Invalid JSON error message"):
                # python-binance formats the unawaited bound method `response.text` here
                exc.message = f"Invalid JSON error message from Binance: {text}"
            raise exc

        if not body:
            raise EmptyBody(response.status)
        try:
            return json.loads(body)
        except ValueError:
            raise BinanceRequestException(f"Invalid Response: {text}") from None


_ssl_lock = threading.Lock()
_ssl_contexts: dict[str, ssl.SSLContext] = {}


def _ssl_context() -> ssl.SSLContext | None:
    """The CA bundle the sync client (requests) honoured, as one SSL context per process (loading
    a bundle costs ~30 ms: once per account and market made 20 accounts wait 1.3 s)."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not bundle:
        return None
    with _ssl_lock:
        ctx = _ssl_contexts.get(bundle)
        if ctx is None:
            ctx = (
                ssl.create_default_context(cafile=bundle)
                if os.path.isfile(bundle)
                else ssl.create_default_context(capath=bundle)
            )
            _ssl_contexts[bundle] = ctx
        return ctx


def _session_params(connector: aiohttp.BaseConnector | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if any(k.lower() in _PROXY_ENV for k in os.environ):
        # aiohttp only honours HTTP(S)_PROXY / NO_PROXY with trust_env (read on every request,
        # so only when a proxy variable is set at all)
        params["trust_env"] = True
    if connector is not None:
        # one connection pool for every account of the process: keep-alive connections and the
        # DNS cache are shared, so the twentieth account does not pay for its own handshakes
        params["connector"] = connector
        params["connector_owner"] = False
        return params
    ctx = _ssl_context()
    if ctx is not None:
        params["connector"] = aiohttp.TCPConnector(ssl=ctx)
        params["connector_owner"] = True
    return params


async def shared_connector() -> aiohttp.BaseConnector:
    """The process's shared connector, made on the loop."""
    ctx = _ssl_context()
    if ctx is not None:
        return aiohttp.TCPConnector(limit=0, ttl_dns_cache=60, ssl=ctx)
    return aiohttp.TCPConnector(limit=0, ttl_dns_cache=60)


async def build_clients(
    account: AccountConfig, timeout: float, connector: aiohttp.BaseConnector | None
) -> dict[str, Client]:
    """Given an account, return its client per market id. Run on the loop: aiohttp sessions and
    connectors belong to the loop they are made in."""
    secret = account.api_secret.reveal() if account.api_secret else None
    pem = account.private_key.reveal() if account.private_key else None
    clients: dict[str, Client] = {}
    for market in MARKETS.values():
        c = Client(
            account.api_key.reveal(),
            secret,
            private_key=pem,
            loop=asyncio.get_running_loop(),
            session_params=_session_params(connector),
        )
        # python-binance forces its own recvWindow (10000) on every signed call; use the bot's
        c.REQUEST_RECVWINDOW = account.recv_window_ms
        c.REQUEST_TIMEOUT = timeout
        # keep testnet/demo False: they would override the URLs per request
        for pool_id in market.pools:
            pool = POOLS[pool_id]
            setattr(c, pool.client_url_attr, account.base_url(market.id) + pool.prefix)
        clients[market.id] = c
    return clients


def set_offset(client: Client, offset_ms: float) -> None:
    """Make ``client`` sign with the server's clock: python-binance adds ``timestamp_offset``
    (ms) to every signed request's timestamp."""
    client.timestamp_offset = int(round(offset_ms))


async def close_clients(clients: dict[str, Client]) -> None:
    """Close every client's aiohttp session; closing never fails a run."""
    for c in clients.values():
        try:
            await c.close_connection()
        except Exception:  # noqa: BLE001 - closing must never fail a run
            pass


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset
        return body.decode("utf-8", errors="replace")
