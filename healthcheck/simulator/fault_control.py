"""The simulated exchange's active faults (the names in :mod:`healthcheck.simulator.faults`):
setting one (a transport fault waits for matching requests; a preset changes account, market or
exchange state and remembers the old values), clearing it (restoring them), finding the
transport fault a request meets, and the answer that fault gives instead of the endpoint's.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from healthcheck.exchange.catalogue import quote
from healthcheck.simulator.accounts import AccountBook, SimAccount
from healthcheck.simulator.faults import (
    ACCOUNT_PRESETS,
    FAULTS,
    GLOBAL_PRESETS,
    STATE_PRESETS,
    TRANSPORT_FAULTS,
    ActiveFault,
    Change,
)
from healthcheck.simulator.rate_limits import RateLimiter
from healthcheck.simulator.wire import (
    GROUPS,
    HTML_TYPE,
    JSON_TYPE,
    Request,
    Response,
    group_of,
    html_page,
    json_response,
)

if TYPE_CHECKING:
    from healthcheck.simulator.venue import Venue


def finite(value: Any, what: str, *, minimum: float | None = None) -> float:
    """Given a JSON/Python number, return it as a finite float; raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{what}: must be a number, got {value!r}")
    try:
        out = float(value)
    except ValueError:
        raise ValueError(f"{what}: must be a number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{what}: must be a finite number, got {value!r}")
    if minimum is not None and out < minimum:
        raise ValueError(f"{what}: must be >= {minimum:g}, got {value!r}")
    return out


def check_fault_args(name: str, scope: Any, count: Any, params: dict[str, Any]) -> None:
    """Reject fault settings that would only fail later, inside a request (never a 500)."""
    if scope is not None and not (isinstance(scope, str) and scope.startswith("/")):
        raise ValueError(f"{name}: scope must be a path prefix such as '/fapi', got {scope!r}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError(f"{name}: count must be an integer >= 1, got {count!r}")
    for key in ("seconds", "days"):
        if key in params:
            finite(params[key], f"{name}: {key}", minimum=0)
    for key in ("retry_after", "until_ms"):
        if params.get(key) is not None:
            finite(params[key], f"{name}: {key}", minimum=0)
    if name == "http_503" and params.get("kind", "busy") not in (
        "busy",
        "unknown",
        "internal",
        "unavailable",
    ):
        raise ValueError(
            f"http_503: kind must be busy, unknown, internal or unavailable, got {params['kind']!r}"
        )


def _http_503(kind: str, wh: dict[str, str]) -> Response:
    if kind == "unavailable":
        return Response(503, b"Service Unavailable.", {"Content-Type": "text/plain"})
    code, msg = {
        "busy": (-1008, quote(-1008, "spot")),
        "internal": (-1001, quote(-1001, "spot")),
        "unknown": (-1000, "Unknown error, please check your request or try again later."),
    }.get(kind, (-1008, quote(-1008, "spot")))
    return json_response(503, {"code": code, "msg": msg}, wh)


# A dispatch over the fault names, one answer each: it reads best as one table.
def broken_answer(name: str, params: dict[str, Any], wh: dict[str, str]) -> Response:
    """Given a transport fault that answers without the exchange (an error page, a broken
    body, a dropped connection) and the weight headers, return its answer."""
    if name == "http_500":
        return json_response(500, {"code": -1000, "msg": quote(-1000, "spot")}, wh)
    if name == "http_502":
        return html_page(502, "502 ERROR", "CloudFront wasn't able to connect to the origin.")
    if name == "http_504":
        return html_page(
            504,
            "504 Gateway Timeout ERROR",
            "CloudFront attempted to establish a connection with the origin, but "
            "either the attempt failed or the origin closed the connection.",
        )
    if name == "http_503":
        return _http_503(params.get("kind", "busy"), wh)
    if name == "waf_403":
        return html_page(
            403,
            "403 ERROR",
            "Request blocked. We can't connect to the server for this app or website at this time.",
        )
    if name in ("close", "reset"):
        return Response(action=name)
    if name == "truncated":
        return Response(
            200, b'{"serverTime":', {"Content-Type": JSON_TYPE, **wh}, action="truncate"
        )
    if name == "malformed_json":
        return Response(200, b'{"serverTime": 12', {"Content-Type": JSON_TYPE, **wh})
    if name == "html_200":
        page = (
            b"<!DOCTYPE html><html><head><title>Binance</title></head><body>"
            b"<h1>We'll be back soon.</h1></body></html>"
        )
        return Response(200, page, {"Content-Type": HTML_TYPE})
    if name == "empty_body":
        return Response(200, b"", {"Content-Type": JSON_TYPE, **wh})
    raise AssertionError(f"unhandled transport fault {name}")


class FaultController:
    """The active faults of one simulator, in the order they were set."""

    def __init__(
        self,
        venue: Venue,
        lock: threading.RLock,
        stopping: threading.Event,
        accounts: AccountBook,
        limiter: RateLimiter,
    ) -> None:
        self._venue = venue
        self._lock = lock
        self._stopping = stopping
        self._accounts = accounts
        self._limiter = limiter
        self.active: list[ActiveFault] = []

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self.active]

    def set_fault(
        self,
        name: str,
        *,
        scope: str | None = None,
        account: str | None = None,
        count: int | None = None,
        **params: Any,
    ) -> None:
        """Given a fault name and its settings, make it active; raise ValueError naming a bad
        one."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; valid: {', '.join(FAULTS)}")
        if account is not None and account not in self._accounts.accounts:
            have = ", ".join(self._accounts.accounts)
            raise ValueError(f"unknown account {account!r}; have: {have}")
        check_fault_args(name, scope, count, params)
        fault = ActiveFault(name, scope, account, count, dict(params))
        with self._lock:
            if name not in TRANSPORT_FAULTS:
                self._apply_preset(fault)
                return
            if name == "banned":
                self._ban(fault)
            self.active.append(fault)

    def _ban(self, fault: ActiveFault) -> None:
        """Ban the scope's host (every host without a scope) for the fault's retry_after."""
        lim = self._limiter
        secs = fault.params.get("retry_after", lim.ban_seconds) or lim.ban_seconds
        until = self._venue.now_ms() + int(secs * 1000)
        fault.saved.append((lim, "bans", dict(lim.bans)))
        fault.params.setdefault("until_ms", until)
        # A ban is per host (weight group): a scoped fault bans that group only.
        scope = fault.scope
        banned = [group_of(scope.rstrip("/") + "/")] if scope else list(GROUPS)
        lim.bans = {g: (until if g in banned else old) for g, old in lim.bans.items()}

    def _preset_changes(self, fault: ActiveFault) -> list[Change]:
        """Given a preset fault, return the (target, attribute, value) changes it makes."""
        if fault.name in GLOBAL_PRESETS:
            return [
                (self._venue, attr, value(self._venue) if callable(value) else value)
                for attr, value in GLOBAL_PRESETS[fault.name].items()
            ]
        targets = (
            [self._accounts.accounts[fault.account]]
            if fault.account is not None
            else self._accounts.all()
        )
        if fault.name in STATE_PRESETS:
            return STATE_PRESETS[fault.name](self._venue, targets, fault.params)
        return [
            (acct, attr, value(acct, self._venue) if callable(value) else value)
            for acct in targets
            for attr, value in ACCOUNT_PRESETS[fault.name].items()
        ]

    def _apply_preset(self, fault: ActiveFault) -> None:
        changes = self._preset_changes(fault)
        touched = {(id(t), a) for t, a, _ in changes}
        # A preset replaces any active preset on the same knobs (margin_warning -> margin_critical),
        # so clearing either one later restores the original values.
        for other in [f for f in self.active if not f.is_transport and f.touches() & touched]:
            other.restore()
            self.active.remove(other)
        for target, attr, value in changes:
            fault.saved.append((target, attr, getattr(target, attr)))
            setattr(target, attr, value)
        fault.applied = changes
        self.active.append(fault)

    def clear_fault(self, name: str | None = None) -> None:
        """Clear the named fault (every fault without a name), restoring what it changed."""
        with self._lock:
            gone = [f for f in self.active if name is None or f.name == name]
            for f in reversed(gone):
                f.restore()
                f.cleared.set()
                self.active.remove(f)

    def apply_changes(self, spec: dict[str, Any]) -> None:
        """Apply a control body: {"clear": [...] or "all", "set": [{name, account, ...}]}."""
        clear = spec.get("clear")
        if clear == "all":
            self.clear_fault()
        elif isinstance(clear, str):
            self.clear_fault(clear)
        elif isinstance(clear, Iterable):
            for name in clear:
                self.clear_fault(str(name))
        for item in spec.get("set") or []:
            if isinstance(item, str):
                item = {"name": item}
            self.set_fault(
                item["name"],
                scope=item.get("scope"),
                account=item.get("account"),
                count=item.get("count"),
                **(item.get("params") or {}),
            )

    def match(self, req: Request, acct: SimAccount | None) -> ActiveFault | None:
        """Given a request and its account, return the transport fault it meets (counting it
        down), or None."""
        with self._lock:
            for f in self.active:
                if not f.is_transport:
                    continue
                if f.scope and not req.path.startswith(f.scope):
                    continue
                if f.account is not None and (acct is None or acct.name != f.account):
                    continue
                if f.count is not None:
                    f.count -= 1
                    if f.count <= 0:
                        # Keep the restore for "banned" (its ban stays as the server state).
                        self.active.remove(f)
                return f
        return None

    def response(
        self, f: ActiveFault, req: Request, group: str | None, now_ms: int
    ) -> Response | None:
        """The answer a transport fault gives, or None to continue normally (slow, bad_schema)."""
        ip = req.client_ip
        if f.name == "rate_limited":
            return self._limiter.rate_limited(group, ip, now_ms, f.params)
        if f.name == "banned":
            return self._limiter.fault_ban(group, ip, now_ms, f.params)
        if f.name == "timeout":
            return Response(
                action="hold", hold_seconds=float(f.params.get("seconds", 60)), hold_fault=f
            )
        if f.name == "slow":
            self._stopping.wait(float(f.params.get("seconds", 2)))
            return None
        if f.name == "bad_schema":
            return None
        return broken_answer(f.name, f.params, self._limiter.headers(group, ip, now_ms))

    def hold(self, resp: Response) -> None:
        """Block this handler thread for a 'timeout' fault until time, clear_fault or stop."""
        assert resp.hold_fault is not None
        deadline = time.monotonic() + resp.hold_seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or resp.hold_fault.cleared.wait(min(left, 0.05)):
                return
