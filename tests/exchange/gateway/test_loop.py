"""Tests for healthcheck.exchange.gateway.loop: the one shared event loop thread."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from healthcheck.exchange.gateway import EventLoopThread


async def _answer(x: int) -> int:
    await asyncio.sleep(0)
    return x * 2


async def _fail() -> None:
    raise ValueError("from the loop")


def test_the_shared_loop_runs_a_coroutine_and_stops_with_its_last_user() -> None:
    first = EventLoopThread.acquire()
    second = EventLoopThread.acquire()
    assert first is second and first.thread.is_alive()
    others = first.users - 2  # gateways of other tests still open in this process
    assert first.run(_answer(21), timeout=10) == 42
    first.release()
    assert first.thread.is_alive()  # one user left
    second.release()
    if others:
        return
    assert not first.thread.is_alive()
    fresh = EventLoopThread.acquire()
    try:
        assert fresh is not first and fresh.run(_answer(1), timeout=10) == 2
    finally:
        fresh.release()


def test_a_coroutines_exception_reaches_the_caller() -> None:
    loop = EventLoopThread.acquire()
    try:
        with pytest.raises(ValueError, match="from the loop"):
            loop.run(_fail(), timeout=10)
    finally:
        loop.release()


def test_a_coroutine_past_its_timeout_is_cancelled() -> None:
    loop = EventLoopThread.acquire()
    started = asyncio.Event()
    cancelled = concurrent.futures.Future[bool]()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set_result(True)
            raise

    try:
        with pytest.raises(concurrent.futures.TimeoutError):
            loop.run(forever(), timeout=0.2)
        assert cancelled.result(timeout=10) is True
    finally:
        loop.release()
