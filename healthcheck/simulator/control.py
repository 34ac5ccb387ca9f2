"""The simulator's ``/_sim`` control API: JSON over HTTP so another process (a daemon under
test, the soak bench, curl) can read the simulated exchange's state and change it while it runs:
faults, the clock, a reset, and the Python API's setters (``CONTROL_CALLS``).
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any, Protocol

from healthcheck.simulator.accounts import AccountBook, SimAccount
from healthcheck.simulator.fault_control import FaultController, finite
from healthcheck.simulator.faults import FAULTS
from healthcheck.simulator.market_book import MarketBook
from healthcheck.simulator.rate_limits import RateLimiter
from healthcheck.simulator.wire import GROUPS, RequestRecord, Response, json_response


class Controlled(Protocol):
    """What the control API reads and changes (:class:`~.server.Simulator` provides it)."""

    clock_offset_ms: float
    latency_ms: float
    maintenance: bool
    account_book: AccountBook
    market_book: MarketBook
    rate_limiter: RateLimiter
    fault_control: FaultController

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def started(self) -> bool: ...

    @property
    def url(self) -> str: ...

    @property
    def accounts(self) -> dict[str, SimAccount]: ...

    @property
    def faults(self) -> list[dict[str, Any]]: ...

    @property
    def limits(self) -> dict[str, int]: ...

    @property
    def preload_weight(self) -> dict[str, int]: ...

    @property
    def bans(self) -> dict[str, int]: ...

    @property
    def banned_until_ms(self) -> int: ...

    @property
    def spot_delist(self) -> list[dict[str, Any]]: ...

    @property
    def requests(self) -> list[RequestRecord]: ...

    def now_ms(self) -> int: ...

    def reset(self) -> None: ...


# POST /_sim/<path> -> (method name, whether "account" selects a SimAccount method)
CONTROL_CALLS: dict[str, tuple[str, bool]] = {
    "/_sim/price": ("set_price", False),
    "/_sim/price_path": ("set_price_path", False),
    "/_sim/symbol_status": ("set_symbol_status", False),
    "/_sim/delivery_date": ("set_delivery_date", False),
    "/_sim/spot_delist": ("set_spot_delist", False),
    "/_sim/filter": ("set_filter", False),
    "/_sim/open_order": ("add_open_order", True),
    "/_sim/position": ("set_position", True),
    "/_sim/leverage": ("set_leverage", True),
    "/_sim/margin_type": ("set_margin_type", True),
    "/_sim/unfilled_order_count": ("set_unfilled_order_count", True),
}


def state(sim: Controlled) -> dict[str, Any]:
    """Given a simulator, return what ``GET /_sim/state`` shows (never a secret)."""
    with sim.lock:
        now = sim.now_ms()
        return {
            "url": sim.url if sim.started else None,
            "server_time": now,
            "accounts": [a.public_view() for a in sim.accounts.values()],
            "faults": sim.faults,
            "clock_offset_ms": sim.clock_offset_ms,
            "latency_ms": sim.latency_ms,
            "maintenance": sim.maintenance,
            "limits": dict(sim.limits),
            "preload_weight": dict(sim.preload_weight),
            "weights": {g: sim.rate_limiter.used("127.0.0.1", g, now) for g in GROUPS},
            "banned_until_ms": sim.banned_until_ms,
            "bans": dict(sim.bans),
            "markets": sim.market_book.describe(now),
            "spot_delist": [dict(e) for e in sim.spot_delist],
            "requests": len(sim.requests),
            "fault_names": list(FAULTS),
        }


def handle(sim: Controlled, method: str, path: str, raw_body: bytes) -> Response:
    """Given a control request, apply it and return the state after it (400 naming the bad
    value, 404 for an unknown endpoint)."""
    try:
        body = _json_object(raw_body)
        extra: dict[str, Any] = {}
        if method == "GET" and path == "/_sim/state":
            pass
        elif method == "POST" and path == "/_sim/faults":
            sim.fault_control.apply_changes(body)
        elif method == "POST" and path == "/_sim/clock":
            if "offset_ms" not in body:
                raise ValueError("offset_ms: missing")
            sim.clock_offset_ms = finite(body["offset_ms"], "offset_ms")
        elif method == "POST" and path == "/_sim/reset":
            sim.reset()
        elif method == "POST" and path in CONTROL_CALLS:
            extra = _call(sim, path, body)
        else:
            return json_response(404, {"error": f"unknown control endpoint {method} {path}"})
    except (ValueError, KeyError, TypeError) as e:
        msg = f"missing key {e}" if isinstance(e, KeyError) else str(e)
        return json_response(400, {"error": msg})
    return json_response(200, {**state(sim), **extra})


def _json_object(raw_body: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw_body or b"{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def _call(sim: Controlled, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /_sim/<call> with the Python API's keyword arguments as a JSON object."""
    name, needs_account = CONTROL_CALLS[path]
    args = dict(body)
    target: Any = sim
    if needs_account:
        target = sim.account_book.named(args.pop("account", None))
    if name == "set_filter":
        fields = args.pop("fields", None)
        if not isinstance(fields, dict):
            raise ValueError("fields: must be an object of filter fields")
        args.update(fields)
    func = getattr(target, name)
    try:
        result = func(**args)
    except TypeError as e:
        raise ValueError(f"{name}: {e}") from None
    return {"result": result} if result is not None else {}
