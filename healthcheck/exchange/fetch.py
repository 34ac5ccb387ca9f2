"""What a check asks for and what it gets back: requests, outcomes and fetch errors.

Pure types (standard library only), so a check module imports them without pulling in
python-binance or aiohttp. A :class:`Request` names an endpoint of
:mod:`healthcheck.exchange.endpoints`, its parameters and how long an answer may be reused; the
planner merges the requests of every due check, the executor (:mod:`healthcheck.engine.runner`
with :mod:`healthcheck.exchange.gateway`) sends them and hands each check the :class:`Outcome` of
each of its requests.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class FetchErrorKind(enum.StrEnum):
    """Why an endpoint gave no usable data. A StrEnum: ``kind == "budget"`` keeps working."""

    NETWORK = "network"  # DNS, refused, reset, closed without an answer
    TIMEOUT = "timeout"  # no answer within request_timeout
    HTTP = "http"  # a 5xx or an unexpected status without a Binance code
    API = "api"  # Binance answered with an error code
    MALFORMED = "malformed"  # an answer that is not the JSON we expect
    BANNED = "banned"  # HTTP 418, or a ban we remember: nothing was sent
    RATE_LIMITED = "rate_limited"  # HTTP 429
    BUDGET = "budget"  # not sent: the IP's limit (every process on it) is nearly used up
    DEFERRED = "deferred"  # not sent: this daemon's own weight budget; the check waits its turn
    INTERNAL = "internal"

    @property
    def sent(self) -> bool:
        """False for the kinds that mean no request went out."""
        return self not in (FetchErrorKind.BUDGET, FetchErrorKind.DEFERRED)


# kinds that say nothing about the account: the exchange or the path to it is unwell
TRANSPORT_KINDS = frozenset(
    {
        FetchErrorKind.NETWORK,
        FetchErrorKind.TIMEOUT,
        FetchErrorKind.HTTP,
        FetchErrorKind.MALFORMED,
        FetchErrorKind.BANNED,
        FetchErrorKind.RATE_LIMITED,
        FetchErrorKind.BUDGET,
        FetchErrorKind.DEFERRED,
        FetchErrorKind.INTERNAL,
    }
)


@dataclass
class FetchError:
    """Why an endpoint gave no usable data, in words a person understands."""

    kind: FetchErrorKind
    message: str
    code: int | None = None  # Binance error code, when Binance sent one
    http_status: int | None = None
    retry_after: float | None = None

    def __post_init__(self) -> None:
        self.kind = FetchErrorKind(self.kind)

    def __str__(self) -> str:
        return self.message


@dataclass
class Outcome:
    """The answer to one request: data, or why there is none."""

    endpoint: str
    data: Any = None
    error: FetchError | None = None
    elapsed_ms: float = 0.0
    sent: bool = True  # False when no request went out (ban, budget, cache)
    weight: int = 0
    started_at: float = 0.0  # wall clock, seconds
    finished_at: float = 0.0
    cached_at: float | None = None  # set when the answer was reused from an earlier run

    @property
    def ok(self) -> bool:
        return self.error is None


Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Request:
    """One request a check needs: an endpoint, its parameters, and how long an answer may be
    reused (0: fetched every run the check is due; >0: an answer that young, from this process or
    from ``state_dir``, is used instead of a new request)."""

    endpoint: str
    params: Params = ()
    reuse_seconds: float = 0.0

    @classmethod
    def of(cls, endpoint: str, reuse_seconds: float = 0.0, **params: Any) -> Request:
        """Given an endpoint and keyword parameters, return the Request (parameters sorted, as
        strings, so equal requests compare equal)."""
        return cls(
            endpoint, tuple(sorted((k, _param(v)) for k, v in params.items())), reuse_seconds
        )

    @property
    def key(self) -> tuple[str, Params]:
        """What makes two requests the same request (the reuse time does not)."""
        return (self.endpoint, self.params)

    def label(self) -> str:
        if not self.params:
            return self.endpoint
        return self.endpoint + "?" + "&".join(f"{k}={v}" for k, v in self.params)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
