"""The request pipeline: :class:`AccountGateway` turns "fetch endpoint X for account Y" into one
HTTP request through the real python-binance client, with the weight book asked before it goes
(active bans, the per-host budget, the one weight probe) and told after (used-weight headers,
refunds of requests that never left)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from healthcheck.exchange.endpoints import ENDPOINTS, Endpoint
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome
from healthcheck.exchange.gateway.client import (
    RESPONSE,
    Client,
    build_clients,
    close_clients,
    set_offset,
    shared_connector,
)
from healthcheck.exchange.gateway.errors import fmt_ts, map_error, never_sent
from healthcheck.exchange.gateway.loop import EventLoopThread
from healthcheck.exchange.weights import WAIT_FOR_PROBE, WeightBook, host_key
from healthcheck.model.markets import POOLS

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

log = logging.getLogger(__name__)


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
            self.clients: dict[str, Client] = self._loop.run(
                build_clients(account, timeout, connector), timeout + 30
            )
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
            connector = loop.run(shared_connector(), 30)
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

    def base_url(self, endpoint: Endpoint) -> str:
        return self.account.base_url(endpoint.market)

    def set_offset(self, market: str, offset_ms: float) -> None:
        set_offset(self.clients[market], offset_ms)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._loop.run(close_clients(self.clients), 10)
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
            f"not sent: {reason}; requests to {key.split(':', 1)[1]} paused until {fmt_ts(until)}",
            code=-1003,
            retry_after=max(0.0, until - time.time()),
        )
        return True

    async def _send(
        self, ep: Endpoint, base: str, out: Outcome, params: dict[str, Any] | None
    ) -> Outcome:
        """Given a reserved request, send it on the loop and fill ``out`` (one task per call:
        the response recorded by ``Client`` in the context variable is this call's)."""
        out.weight = ep.weight_for(params)
        client = self.clients[ep.market]
        kwargs = dict(ep.kwargs)
        kwargs.update(params or {})
        RESPONSE.set(None)
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
        resp = RESPONSE.get()
        if exc is not None:
            out.data = None
            out.error = map_error(exc, base, ep, book=self.book, timeout=self.timeout)
            if resp is None and never_sent(exc):
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


def _done(out: Outcome) -> concurrent.futures.Future:
    fut: concurrent.futures.Future = concurrent.futures.Future()
    fut.set_result(out)
    return fut
