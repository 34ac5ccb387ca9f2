"""The exchange gateway: the only module that imports python-binance.

It turns "fetch endpoint X for account Y" into one HTTP request through the real python-binance
client and maps everything that can go wrong, once, into a :class:`FetchError` a person can read:
network faults, timeouts, 5xx, malformed bodies, Binance error codes, and 418/429 bans. It also
keeps the request-weight books: the weight of every request we send, the ``X-MBX-USED-WEIGHT-1M``
headers we receive (they count every process on this IP), active bans (persisted, so a restart
does not knock on a banned host), and a per-host spending budget so the daemon never causes the
rate-limit problems it watches for. Exception texts from aiohttp carry signed URLs, so no raw
exception string ever leaves this module.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextvars
import errno
import json
import logging
import os
import re
import socket
import ssl
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

import aiohttp
from binance.async_client import AsyncClient
from binance.exceptions import BinanceAPIException, BinanceRequestException

from healthcheck.exchange.endpoints import ENDPOINTS, Endpoint
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome
from healthcheck.exchange.weights import (
    _BANNED_UNTIL_RE,
    DEFAULT_BAN_SECONDS,
    WAIT_FOR_PROBE,
    WeightBook,
    host_key,
)
from healthcheck.model.markets import MARKETS, POOLS
from healthcheck.storage.redact import scrub

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

log = logging.getLogger(__name__)


__all__ = [
    "AccountGateway",
    "ENDPOINTS",
    "Endpoint",
    "FetchError",
    "FetchErrorKind",
    "Outcome",
    "WeightBook",
    "host_key",
]

# ------------------------------------------------------------------------------- gateway


_PROXY_ENV = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class _EmptyBody(Exception):
    """A 2xx answer with no body at all (python-binance would turn it into ``{}``)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


# the response whose headers belong to the request of the current task (one task per call)
_RESPONSE: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "healthcheck_response", default=None
)


class _Client(AsyncClient):
    """python-binance's AsyncClient with the sync client's answer handling, race-free.

    ``_handle_response`` is where python-binance reads the answer. Ours records the response in
    a per-task context variable (``client.response`` is shared by concurrent calls), reads the
    body as bytes and decodes it the way the sync client does: non-JSON error bodies get their
    text (the async client puts a bound method's repr there), a 2xx HTML page is "Invalid
    Response" (aiohttp would raise ContentTypeError), and an empty 2xx body is an error, not {}.
    """

    async def _handle_response(self, response: aiohttp.ClientResponse) -> Any:
        _RESPONSE.set(response)
        body = await response.read()
        text = _decode(body, response.charset) if body else ""
        if not 200 <= response.status < 300:
            exc = BinanceAPIException(response, response.status, text)
            if not exc.code and str(exc.message).startswith("Invalid JSON error message"):
                # python-binance formats the unawaited bound method `response.text` here
                exc.message = f"Invalid JSON error message from Binance: {text}"
            raise exc

        if not body:
            raise _EmptyBody(response.status)
        try:
            return json.loads(body)
        except ValueError:
            raise BinanceRequestException(f"Invalid Response: {text}") from None


class EventLoopThread:
    """One asyncio event loop running in a daemon thread, for every gateway of the process.

    Reference-counted: the first gateway starts it, the last one to close stops it (so a
    daemon reload or the end of a CLI run leaves no thread or socket behind).
    """

    _lock = threading.Lock()
    _shared: EventLoopThread | None = None

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.users = 0
        self.gateways: weakref.WeakSet[AccountGateway] = weakref.WeakSet()  # not yet closed
        self.thread = threading.Thread(target=self._run, name="binance-loop", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            try:
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
            finally:
                self.loop.close()

    @classmethod
    def acquire(cls) -> EventLoopThread:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            cls._shared.users += 1
            return cls._shared

    def release(self) -> None:
        with EventLoopThread._lock:
            self.users -= 1
            if self.users > 0:
                return
            if EventLoopThread._shared is self:
                EventLoopThread._shared = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self.thread:
            self.thread.join(5)

    def run(self, coro: Any, timeout: float | None = None) -> Any:
        """Given a coroutine, run it on the loop and return its result (raises its exception)."""
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise


@atexit.register
def _close_at_exit() -> None:
    # a gateway nobody closed: close its aiohttp sessions while the loop thread still runs
    # (otherwise aiohttp warns "Unclosed client session" at interpreter exit)
    shared = EventLoopThread._shared
    if shared is not None:
        for gw in list(shared.gateways):
            gw.close()


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


async def _shared_connector() -> aiohttp.BaseConnector:
    """The process's shared connector, made on the loop."""
    ctx = _ssl_context()
    if ctx is not None:
        return aiohttp.TCPConnector(limit=0, ttl_dns_cache=60, ssl=ctx)
    return aiohttp.TCPConnector(limit=0, ttl_dns_cache=60)


class AccountGateway:
    """Sends one account's requests through python-binance clients (one per market).

    A client per market because ``timestamp_offset`` is per client and the spot and futures
    servers may disagree about the time. The clients are python-binance's ``AsyncClient`` on the
    process's one event-loop thread (a request costs a quarter of the CPU of the sync client's
    requests + urllib3); :meth:`call` stays synchronous and thread-safe: the weight book is
    consulted on the calling thread, then the request runs on the loop and the caller waits.
    """

    def __init__(
        self,
        account: AccountConfig,
        book: WeightBook,
        *,
        timeout: float,
        connector: aiohttp.BaseConnector | None = None,
    ) -> None:
        self.account = account
        self.book = book
        self.timeout = timeout
        self._connector = connector
        self._shared: aiohttp.BaseConnector | None = None  # closed by close_many()
        self._loop = EventLoopThread.acquire()
        self._closed = False
        self._loop.gateways.add(self)
        try:
            self.clients: dict[str, _Client] = self._loop.run(self._build(), timeout + 30)
        except BaseException:
            self._loop.release()
            raise

    @classmethod
    def build_many(
        cls, accounts: Any, book: WeightBook, *, timeout: float
    ) -> dict[str, AccountGateway]:
        """Given accounts, return a gateway per account name, all on one connection pool."""
        loop = EventLoopThread.acquire()
        try:
            connector = loop.run(_shared_connector(), 30)
            gws = {a.name: cls(a, book, timeout=timeout, connector=connector) for a in accounts}
        finally:
            loop.release()
        if gws and connector is not None:
            next(iter(gws.values()))._shared = connector
        return gws

    @staticmethod
    def close_many(gateways: Any) -> None:
        """Close gateways made by :meth:`build_many`, then their shared connection pool."""
        shared = None
        gws = list(gateways)
        for gw in gws:
            shared = getattr(gw, "_shared", None) or shared
        if shared is not None and gws:
            loop = gws[0]._loop
            try:
                loop.run(shared.close(), 10)
            except Exception:  # noqa: BLE001 - closing must never fail a run
                pass
        for gw in gws:
            gw.close()

    async def _build(self) -> dict[str, _Client]:
        # built on the loop: aiohttp sessions and connectors belong to the loop they are made in
        account = self.account
        secret = account.api_secret.reveal() if account.api_secret else None
        pem = account.private_key.reveal() if account.private_key else None
        clients: dict[str, _Client] = {}
        for market in MARKETS.values():
            c = _Client(
                account.api_key.reveal(),
                secret,
                private_key=pem,
                loop=asyncio.get_running_loop(),
                session_params=_session_params(self._connector),
            )
            # python-binance forces its own recvWindow (10000) on every signed call; use the bot's
            c.REQUEST_RECVWINDOW = account.recv_window_ms
            c.REQUEST_TIMEOUT = self.timeout
            # keep testnet/demo False: they would override the URLs per request
            for pool_id in market.pools:
                pool = POOLS[pool_id]
                setattr(c, pool.client_url_attr, account.base_url(market.id) + pool.prefix)
            clients[market.id] = c
        return clients

    def base_url(self, endpoint: Endpoint) -> str:
        return self.account.base_url(endpoint.market)

    def set_offset(self, market: str, offset_ms: float) -> None:
        self.clients[market].timestamp_offset = int(round(offset_ms))

    async def _close_clients(self) -> None:
        for c in self.clients.values():
            try:
                await c.close_connection()
            except Exception:  # noqa: BLE001 - closing must never fail a run
                pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._loop.run(self._close_clients(), 10)
        except Exception:  # noqa: BLE001 - closing must never fail a run
            pass
        finally:
            self._loop.release()

    def call(self, name: str, params: dict[str, Any] | None = None) -> Outcome:
        """Given an endpoint name, send it once and return data or a readable error.

        Blocking and thread-safe: the request runs on the event loop while this thread waits.
        """
        ep = ENDPOINTS[name]
        base = self.base_url(ep)
        key = host_key(base, ep.pool)
        out = Outcome(name)
        if self._paused(out, key):
            return out
        refused = self.book.reserve(base, ep.pool, ep.weight_for(params))
        if refused is not None:
            out.sent = False
            out.error = refused
            return out
        try:
            if self._paused(out, key):  # banned while this request waited in reserve()
                return out
            try:
                # aiohttp's total timeout ends the request; the margin only guards a stuck loop
                return self._loop.run(self._send(ep, base, out, params), self.timeout + 10)
            except concurrent.futures.TimeoutError:
                out.data = None
                out.error = FetchError(
                    FetchErrorKind.TIMEOUT,
                    f"{ep.path}: no answer within {self.timeout:g} s (request_timeout)",
                )
                return out
        finally:
            self.book.probe_finished(base, ep.pool)

    def submit(
        self, pool: concurrent.futures.Executor, name: str, params: dict[str, Any] | None = None
    ) -> concurrent.futures.Future:
        """Given an endpoint name, start sending it; return a future of its :class:`Outcome`.

        Without a thread per request: the weight book is asked here (without waiting) and the
        request goes straight to the event loop. Only a request that must wait for another's
        weight probe takes a thread of ``pool`` (it runs :meth:`call` there).
        """
        ep = ENDPOINTS[name]
        base = self.base_url(ep)
        out = Outcome(name)
        if self._paused(out, host_key(base, ep.pool)):
            return _done(out)
        owner = object()
        refused = self.book.reserve(base, ep.pool, ep.weight_for(params), owner=owner, block=False)
        if refused is WAIT_FOR_PROBE:
            return pool.submit(self.call, name, params)
        if refused is not None:
            out.sent = False
            out.error = refused
            return _done(out)
        return asyncio.run_coroutine_threadsafe(
            self._send_owned(ep, base, out, params, owner), self._loop.loop
        )

    async def _send_owned(
        self, ep: Endpoint, base: str, out: Outcome, params: dict[str, Any] | None, owner: object
    ) -> Outcome:
        try:
            return await self._send(ep, base, out, params)
        finally:
            self.book.probe_finished(base, ep.pool, owner=owner)

    def _paused(self, out: Outcome, key: str) -> bool:
        """Given a host key under an active ban, fill ``out`` with why nothing was sent."""
        ban = self.book.active_ban(key)
        if ban is None:
            return False
        until, reason = ban
        out.sent = False
        out.error = FetchError(
            FetchErrorKind.BANNED,
            f"not sent: {reason}; requests to {key.split(':', 1)[1]} paused until {_fmt_ts(until)}",
            code=-1003,
            retry_after=max(0.0, until - time.time()),
        )
        return True

    async def _send(
        self, ep: Endpoint, base: str, out: Outcome, params: dict[str, Any] | None
    ) -> Outcome:
        """Given a reserved request, send it on the loop and fill ``out`` (one task per call:
        the response recorded by ``_Client`` in the context variable is this call's)."""
        out.weight = ep.weight_for(params)
        client = self.clients[ep.market]
        kwargs = dict(ep.kwargs)
        kwargs.update(params or {})
        _RESPONSE.set(None)
        exc: Exception | None = None
        out.started_at = time.time()
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout + 5):  # a guard; aiohttp's timeout ends it
                out.data = await getattr(client, ep.client_method)(**kwargs)
        except Exception as e:  # noqa: BLE001 - mapped below; unknown ones are re-raised
            exc = e
        out.finished_at = time.time()
        out.elapsed_ms = (time.monotonic() - t0) * 1000
        resp = _RESPONSE.get()
        if exc is not None:
            out.data = None
            out.error = self._map_error(exc, base, ep)
            if resp is None and _never_sent(exc):
                out.sent = False
                self.book.refund(base, ep.pool, out.weight)
        if resp is not None and not (
            out.error is not None
            and out.error.kind in (FetchErrorKind.BANNED, FetchErrorKind.RATE_LIMITED)
        ):
            # a 418/429's used-weight header is not recorded: the ban it starts governs, and
            # when it ends one request finds out the IP's usage before the rest go out
            self._record_weight(resp, base, ep)
        if out.error is None and not isinstance(out.data, dict | list):
            out.error = FetchError(
                FetchErrorKind.MALFORMED,
                f"{ep.path}: expected a JSON object, got {type(out.data).__name__}",
            )
            out.data = None
        return out

    def _map_error(self, exc: BaseException, base: str, ep: Endpoint) -> FetchError:
        """Given what a request raised, return it as a readable error (never the raw text: it
        can carry the signed URL)."""
        if isinstance(exc, BinanceAPIException):
            return self._api_error(exc, base, ep)
        if isinstance(exc, BinanceRequestException):
            return FetchError(
                FetchErrorKind.MALFORMED,
                f"{ep.path}: Binance answered with a body that is "
                f"not JSON ({_snippet(exc.message)})",
            )
        if isinstance(exc, _EmptyBody):
            # python-binance turns an empty 200 body into {}: that is no answer, not data
            return FetchError(
                FetchErrorKind.MALFORMED,
                f"{ep.path}: Binance answered HTTP {exc.status} with an empty body instead of JSON",
            )
        if isinstance(exc, asyncio.TimeoutError | TimeoutError) and not isinstance(
            exc, aiohttp.ClientConnectorError
        ):
            return FetchError(
                FetchErrorKind.TIMEOUT,
                f"{ep.path}: no answer within {self.timeout:g} s (request_timeout)",
            )
        if isinstance(exc, aiohttp.ClientPayloadError):
            if "decode" in repr(exc.args).lower() and "not completed" not in repr(exc.args):
                return FetchError(
                    FetchErrorKind.MALFORMED, f"{ep.path}: answer body could not be decoded"
                )
            return FetchError(
                FetchErrorKind.NETWORK, f"{ep.path}: connection broke mid-answer (truncated body)"
            )
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return FetchError(
                FetchErrorKind.NETWORK, f"{ep.path}: server closed the connection without answering"
            )
        if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ClientOSError | OSError):
            return FetchError(FetchErrorKind.NETWORK, f"{ep.path}: {_connection_reason(exc)}")
        if isinstance(exc, aiohttp.ClientError):
            return FetchError(
                FetchErrorKind.NETWORK, f"{ep.path}: request failed ({type(exc).__name__})"
            )
        if isinstance(exc, ValueError | TypeError | KeyError):
            return FetchError(
                FetchErrorKind.MALFORMED, f"{ep.path}: unusable answer ({type(exc).__name__})"
            )
        raise exc

    def _record_weight(self, resp: aiohttp.ClientResponse, base: str, ep: Endpoint) -> None:
        pool = POOLS[ep.pool]
        raw = resp.headers.get(pool.header)
        if raw is None and pool.fallback_header:
            raw = resp.headers.get(pool.fallback_header)
        if raw is None:
            return
        try:
            self.book.observe(base, ep.pool, int(raw))
        except ValueError:
            log.debug("ignoring non-numeric weight header %r", raw[:20])

    def _api_error(self, exc: BinanceAPIException, base: str, ep: Endpoint) -> FetchError:
        status = exc.status_code
        code = exc.code if exc.code else None
        msg = scrub(str(exc.message or ""))
        if status in (418, 429):
            retry_after = _retry_after(exc.response)
            until = time.time() + (retry_after if retry_after is not None else DEFAULT_BAN_SECONDS)
            m = _BANNED_UNTIL_RE.search(msg)
            if m:
                banned_until = int(m.group(1)) / (1000 if len(m.group(1)) >= 13 else 1)
                until = max(until, banned_until)
            what = "IP banned (HTTP 418)" if status == 418 else "rate limited (HTTP 429)"
            self.book.ban(host_key(base, ep.pool), until, f"{what}: {_snippet(msg, 160)}")
            return FetchError(
                FetchErrorKind.BANNED if status == 418 else FetchErrorKind.RATE_LIMITED,
                f"{ep.path}: {what}, code {code}: {_snippet(msg, 160)}",
                code=code or -1003,
                http_status=status,
                retry_after=retry_after,
            )
        if code is None:
            if status >= 500:
                return FetchError(
                    FetchErrorKind.HTTP,
                    f"{ep.path}: Binance server error HTTP {status}{_body_hint(msg)}",
                    http_status=status,
                )
            return FetchError(
                FetchErrorKind.HTTP,
                f"{ep.path}: unexpected HTTP {status}{_body_hint(msg)}",
                http_status=status,
            )
        if status >= 500:
            return FetchError(
                FetchErrorKind.HTTP,
                f"{ep.path}: Binance server error HTTP {status}, code {code}: {_snippet(msg)}",
                code=code,
                http_status=status,
            )
        return FetchError(
            FetchErrorKind.API,
            f"{ep.path}: Binance error {code}: {_snippet(msg, 200)}",
            code=code,
            http_status=status,
        )


def _done(out: Outcome) -> concurrent.futures.Future:
    fut: concurrent.futures.Future = concurrent.futures.Future()
    fut.set_result(out)
    return fut


def _retry_after(response: Any) -> float | None:
    try:
        raw = response.headers.get("Retry-After")
    except AttributeError:
        return None
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None  # HTTP-date form: fall back to the message or the default pause
    return value if value >= 0 else None


def _never_sent(exc: BaseException) -> bool:
    """Given what a request raised, say whether it certainly never reached the server."""
    if isinstance(exc, getattr(aiohttp, "ClientConnectorDNSError", ())):
        return True
    if isinstance(exc, aiohttp.ClientConnectorError):  # no connection was made at all
        return _connection_reason(exc) in ("DNS lookup of the host failed", "connection refused")
    return False


def _connection_reason(exc: BaseException) -> str:
    """Given a connection failure (aiohttp wraps the OSError), say what happened; never its text."""
    os_err = getattr(exc, "os_error", None) or exc
    if isinstance(exc, getattr(aiohttp, "ClientConnectorDNSError", ())) or isinstance(
        os_err, socket.gaierror
    ):
        return "DNS lookup of the host failed"
    num = getattr(os_err, "errno", None)
    if num == errno.ECONNREFUSED or isinstance(os_err, ConnectionRefusedError):
        return "connection refused"
    if num in (errno.ECONNRESET, errno.EPIPE) or isinstance(os_err, ConnectionResetError):
        return "connection reset by the server"
    if num == errno.ECONNABORTED or isinstance(os_err, ConnectionAbortedError):
        return "server closed the connection without answering"
    if num == errno.ETIMEDOUT:
        return "connection timed out"
    low = (repr(os_err) + " " + type(exc).__name__).lower()
    if (
        "name or service not known" in low
        or "nodename nor servname" in low
        or "temporary failure in name resolution" in low
        or "getaddrinfo" in low
        or "name resolution" in low
    ):
        return "DNS lookup of the host failed"
    if "connection refused" in low:
        return "connection refused"
    if "reset by peer" in low or "connectionreset" in low:
        return "connection reset by the server"
    if (
        "remotedisconnected" in low
        or "without response" in low
        or "aborted" in low
        or "serverdisconnected" in low
    ):
        return "server closed the connection without answering"
    if "timed out" in low:
        return "connection timed out"
    return "could not connect"


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset
        return body.decode("utf-8", errors="replace")


def _snippet(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    if text.lower().startswith("invalid json error message from binance:"):
        text = text.split(":", 1)[1].strip()
    if text.lower().startswith("invalid response:"):
        text = text.split(":", 1)[1].strip()
    if "<html" in text.lower() or "<!doctype" in text.lower():
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        text = f"HTML page{': ' + title.group(1).strip() if title else ''}"
    if not text:
        return "empty body"
    return scrub(text[:limit] + ("…" if len(text) > limit else ""))


def _body_hint(msg: str) -> str:
    return f" ({_snippet(msg)})" if msg else ""


def _fmt_ts(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
