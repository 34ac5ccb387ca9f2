"""The simulated exchange's request weight: per IP and weight pool the weight used in the current
minute (plus what "other processes" preloaded), the limits exchangeInfo reports, the 429 answer
over a limit and the 418 ban after ``ban_after_429`` of them in one minute, and the used-weight
headers every answer carries.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from healthcheck.model.markets import POOLS as POOL_TABLE
from healthcheck.simulator.wire import (
    GROUPS,
    Response,
    ban_message,
    json_response,
    limit_message,
)

DEFAULT_LIMITS = {p.id: p.default_limit for p in POOL_TABLE.values()}


def _minute(now_ms: int) -> int:
    return now_ms // 60000


class RateLimiter:
    """Weight used per (IP, pool) and minute, limits, 429s and bans (ms epoch per pool)."""

    def __init__(self, lock: threading.RLock, now_ms: Callable[[], int]) -> None:
        self._lock = lock
        self._now_ms = now_ms
        self.preload_weight: dict[str, int] = {g: 0 for g in GROUPS}
        self.limits: dict[str, int] = dict(DEFAULT_LIMITS)
        self.ban_after_429 = 3
        self.ban_seconds = 120
        self.bans: dict[str, int] = {g: 0 for g in GROUPS}  # group -> banned until (ms)
        self._weights: dict[tuple[str, str], tuple[int, int]] = {}  # (ip, group) -> (minute, used)
        self._violations: dict[tuple[str, str], tuple[int, int]] = {}  # -> (minute, 429s)

    def used(self, ip: str, group: str, now_ms: int) -> int:
        """Given an IP, a pool and a time, return that minute's weight, preload included."""
        minute, used = self._weights.get((ip, group), (0, 0))
        own = used if minute == _minute(now_ms) else 0
        return own + int(self.preload_weight.get(group, 0))

    def weight_used(self, group: str, ip: str = "127.0.0.1") -> int:
        """This IP's weight in the current minute, including other processes' preload."""
        with self._lock:
            return self.used(ip, group, self._now_ms())

    def add(self, ip: str, group: str, weight: int, now_ms: int) -> None:
        """Count ``weight`` (negative: refund it) on the IP's pool for the current minute."""
        minute, used = self._weights.get((ip, group), (0, 0))
        own = used if minute == _minute(now_ms) else 0
        self._weights[(ip, group)] = (_minute(now_ms), own + weight)

    def reset(self) -> None:
        """Forget the weight used and the 429s sent (limits, preload and bans stay)."""
        with self._lock:
            self._weights.clear()
            self._violations.clear()

    def restore_defaults(self) -> None:
        """No preload, no ban, no weight used."""
        with self._lock:
            self.preload_weight = {g: 0 for g in GROUPS}
            self.bans = {g: 0 for g in GROUPS}
            self.reset()

    def headers(self, group: str | None, ip: str, now_ms: int, *, extra: int = 0) -> dict[str, str]:
        """Used-weight headers; ``extra`` is the refused request's weight (a 429 reports the
        weight the request would have brought, over the limit, as Binance does)."""
        if group is None:
            return {}
        used = str(self.used(ip, group, now_ms) + extra)
        pool = POOL_TABLE[group]
        headers = {pool.header.upper(): used}
        if pool.fallback_header:
            headers[pool.fallback_header.upper()] = used
        return headers

    def banned(self, group: str, ip: str, now_ms: int) -> Response | None:
        """Given a pool, return the 418 its ban gives now, or None when it is not banned."""
        if self.bans.get(group, 0) <= now_ms:
            return None
        return self.ban_response(group, ip, now_ms)

    def ban_response(self, group: str, ip: str, now_ms: int) -> Response:
        """The 418 of the pool's ban."""
        until = self.bans.get(group, 0)
        retry = max(1, math.ceil((until - now_ms) / 1000))
        return json_response(
            418,
            {"code": -1003, "msg": ban_message(group, until, ip)},
            {**self.headers(group, ip, now_ms), "Retry-After": str(retry)},
        )

    def admit(self, group: str, ip: str, weight: int, now_ms: int) -> Response | None:
        """Given a request's pool and weight, count it and return None, or return the 429 (or,
        after ``ban_after_429`` of them this minute, the 418) that refuses it."""
        limit = int(self.limits.get(group, 0))
        if not limit or self.used(ip, group, now_ms) + weight <= limit:
            self.add(ip, group, weight, now_ms)
            return None
        minute, sent = self._violations.get((ip, group), (_minute(now_ms), 0))
        if minute != _minute(now_ms):
            sent = 0
        if sent >= self.ban_after_429:
            self.bans[group] = now_ms + int(self.ban_seconds * 1000)
            self._violations.pop((ip, group), None)
            return self.ban_response(group, ip, now_ms)
        self._violations[(ip, group)] = (_minute(now_ms), sent + 1)
        retry = math.ceil((60000 - now_ms % 60000) / 1000)
        return json_response(
            429,
            {"code": -1003, "msg": limit_message(group, limit, ip)},
            {**self.headers(group, ip, now_ms, extra=weight), "Retry-After": str(retry)},
        )

    def rate_limited(
        self, group: str | None, ip: str, now_ms: int, params: dict[str, Any]
    ) -> Response:
        """The 429 of the ``rate_limited`` fault: the weight reported is over the limit (a real
        429 never reports 0)."""
        pool = group or "api"
        limit = self.limits.get(pool, 6000)
        used = self.used(ip, pool, now_ms)
        hdr = self.headers(group, ip, now_ms, extra=max(1, limit + 1 - used))
        ra = params.get("retry_after", 30)
        if ra is not None:
            hdr["Retry-After"] = str(int(ra))
        return json_response(429, {"code": -1003, "msg": limit_message(pool, limit, ip)}, hdr)

    def fault_ban(
        self, group: str | None, ip: str, now_ms: int, params: dict[str, Any]
    ) -> Response:
        """The 418 of the ``banned`` fault, until its ``until_ms`` (or the pool's ban)."""
        hdr = self.headers(group, ip, now_ms)
        until = int(
            params.get("until_ms")
            or self.bans.get(group or "api", 0)
            or now_ms + self.ban_seconds * 1000
        )
        if "retry_after" not in params or params["retry_after"] is not None:
            hdr["Retry-After"] = str(max(0, math.ceil((until - now_ms) / 1000)))
        return json_response(418, {"code": -1003, "msg": ban_message(group, until, ip)}, hdr)
