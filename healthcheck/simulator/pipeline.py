"""The simulator's request pipeline, from a parsed request to the answer, in Binance's order:
a transport fault the request meets, the host's ban, an unknown route (404/405), the weight
limit (429, then 418), authentication of SIGNED endpoints, the endpoint's handler; and the
record of every request (``Simulator.requests``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from healthcheck.exchange.catalogue import quote
from healthcheck.simulator.accounts import AccountBook, SimAccount
from healthcheck.simulator.endpoints import ROUTES, SIGNED, ApiError, Ctx, Endpoint
from healthcheck.simulator.fault_control import FaultController
from healthcheck.simulator.rate_limits import RateLimiter
from healthcheck.simulator.security import Gatekeeper
from healthcheck.simulator.wire import (
    Request,
    RequestRecord,
    Response,
    group_of,
    json_response,
    mangle,
)

if TYPE_CHECKING:
    from healthcheck.simulator.venue import Venue

log = logging.getLogger(__name__)


@dataclass
class _Call:
    """One request on its way through the pipeline."""

    req: Request
    group: str | None
    endpoint: Endpoint | None
    acct: SimAccount | None
    now_ms: int
    weight: int = 0
    mangle: bool = False  # a bad_schema fault: answer valid JSON of the wrong shape


def query_params(req: Request) -> dict[str, str]:
    """Given a request, return its parameters from the body and the query string."""
    params = dict(parse_qsl(req.raw_body, keep_blank_values=True)) if req.raw_body else {}
    # Binance: a parameter in both places takes the query-string value.
    params.update(parse_qsl(req.raw_query, keep_blank_values=True))
    return params


def not_found(req: Request, group: str | None, headers: dict[str, str]) -> Response:
    """The answer to a path no endpoint serves (405 when only the method is wrong)."""
    if any(k[1] == req.path for k in ROUTES):
        return json_response(405, {"code": -1000, "msg": quote(-1000, "spot")}, headers)
    # Binance: an empty 404 on the spot host, an HTML page on the futures hosts.
    if group in ("fapi", "dapi"):
        return Response(
            404, b"<html><body><h2>404 Not found</h2></body></html>", {"Content-Type": "text/html"}
        )
    return Response(404, b"", {})


class RequestPipeline:
    """Answers requests as the exchange does and records them."""

    def __init__(
        self,
        venue: Venue,
        lock: threading.RLock,
        accounts: AccountBook,
        faults: FaultController,
        limiter: RateLimiter,
        gatekeeper: Gatekeeper,
    ) -> None:
        self._venue = venue
        self._lock = lock
        self._accounts = accounts
        self._faults = faults
        self._limiter = limiter
        self.gatekeeper = gatekeeper
        self.requests: list[RequestRecord] = []

    def record(
        self,
        req: Request,
        status: int,
        weight: int,
        group: str | None,
        acct: SimAccount | None,
        signed: bool,
    ) -> None:
        rec = RequestRecord(
            time.time(),
            req.method,
            req.path,
            status,
            weight,
            group,
            acct.name if acct else None,
            signed,
        )
        with self._lock:
            self.requests.append(rec)

    def record_dropped(self, req: Request) -> None:
        """Record a request that got no answer (held by a fault until the simulator stopped)."""
        acct = self._accounts.account_by_key(req.api_key)
        self.record(req, 0, 0, group_of(req.path), acct, False)

    def process(
        self, req: Request, *, skip_transport: bool = False, record: bool = True
    ) -> Response:
        """Given a request, return its answer (or socket action) and record it, unless held."""
        endpoint = ROUTES.get((req.method, req.path))
        signed = endpoint is not None and endpoint.security in SIGNED
        acct = self._accounts.account_by_key(req.api_key)
        call = _Call(req, group_of(req.path), endpoint, acct, self._venue.now_ms())
        try:
            resp = self._answer(call, skip_transport)
        except Exception as e:  # a simulator bug: answer like Binance's 500 and keep serving
            log.exception("simulator error on %s %s", req.method, req.path)
            resp = json_response(500, {"code": -1000, "msg": f"simulator error: {e!r}"})
        if record and resp.action != "hold":  # a held request is recorded when it ends
            status = resp.status if resp.action in ("send", "truncate") else 0
            self.record(req, status, call.weight, call.group, acct, signed)
        return resp

    def _answer(self, call: _Call, skip_transport: bool) -> Response:
        if not skip_transport:
            fault = self._faults.match(call.req, call.acct)
            if fault is not None:
                resp = self._faults.response(fault, call.req, call.group, call.now_ms)
                if resp is not None:
                    return resp
                call.mangle = fault.name == "bad_schema"
                call.now_ms = self._venue.now_ms()  # a "slow" fault took time
        params = query_params(call.req)
        refusal = self._admit(call, params)
        if refusal is not None:
            return refusal
        return self._call_endpoint(call, params)

    def _admit(self, call: _Call, params: dict[str, str]) -> Response | None:
        """Count the request's weight and return None, or return the ban, 404/405 or 429 that
        refuses it."""
        ip, group, now = call.req.client_ip, call.group, call.now_ms
        with self._lock:
            banned = self._limiter.banned(group, ip, now) if group is not None else None
            if banned is not None:
                return banned
            if call.endpoint is None:
                return not_found(call.req, group, self._limiter.headers(group, ip, now))
            assert group is not None
            weight = call.endpoint.weight_for(params)
            refused = self._limiter.admit(group, ip, weight, now)
            if refused is None:
                call.weight = weight
            return refused

    def _call_endpoint(self, call: _Call, params: dict[str, str]) -> Response:
        """Authenticate a SIGNED request, run the handler and answer with its payload."""
        endpoint, req, group = call.endpoint, call.req, call.group
        assert endpoint is not None and group is not None
        ip = req.client_ip
        ctx = Ctx(self._venue, req.method, req.path, group, params, ip, call.now_ms)
        try:
            if endpoint.security in SIGNED:
                ctx.account = self.gatekeeper.authenticate(req, group, params, call.now_ms)
            payload = endpoint.handler(ctx)
            status = 200
        except ApiError as e:
            payload, status = {"code": e.code, "msg": e.msg}, e.status
        if status == 200 and ctx.refund_weight and endpoint.zero_weight_on_success:
            with self._lock:
                self._limiter.add(ip, group, -call.weight, call.now_ms)
                call.weight = 0
        if call.mangle and status == 200:
            payload = mangle(payload)
        headers = {**self._limiter.headers(group, ip, call.now_ms), **ctx.extra_headers}
        return json_response(status, payload, headers)
