"""The exchange gateway: the only package that imports python-binance (and aiohttp).

It turns "fetch endpoint X for account Y" into one HTTP request through the real python-binance
client and maps everything that can go wrong, once, into a :class:`FetchError` a person can read:
network faults, timeouts, 5xx, malformed bodies, Binance error codes, and 418/429 bans. It also
keeps the request-weight books: the weight of every request we send, the ``X-MBX-USED-WEIGHT-1M``
headers we receive (they count every process on this IP), active bans (persisted, so a restart
does not knock on a banned host), and a per-host spending budget so the daemon never causes the
rate-limit problems it watches for. Exception texts from aiohttp carry signed URLs, so no raw
exception string ever leaves this package.

Split by job: :mod:`.client` (the python-binance client per market: signing, recvWindow, clock
offset, URLs, sessions), :mod:`.gateway` (the request pipeline through the weight book),
:mod:`.errors` (response mapping) and :mod:`.loop` (the shared event-loop thread).
"""

from healthcheck.exchange.endpoints import ENDPOINTS, Endpoint
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome
from healthcheck.exchange.gateway.gateway import AccountGateway
from healthcheck.exchange.gateway.loop import EventLoopThread
from healthcheck.exchange.weights import WeightBook, host_key

__all__ = [
    "ENDPOINTS",
    "AccountGateway",
    "Endpoint",
    "EventLoopThread",
    "FetchError",
    "FetchErrorKind",
    "Outcome",
    "WeightBook",
    "host_key",
]
