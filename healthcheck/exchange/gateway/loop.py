"""The one asyncio event loop (in a daemon thread) that every gateway of the process sends on."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
import weakref
from typing import Any, Protocol


class _Gateway(Protocol):
    def close(self) -> None: ...


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
        self.gateways: weakref.WeakSet[_Gateway] = weakref.WeakSet()  # not yet closed
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
