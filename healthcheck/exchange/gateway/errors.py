"""Response mapping: everything a request can raise, turned once into a :class:`FetchError` a
person can read (network faults, timeouts, 5xx, malformed bodies, Binance error codes, 418/429
bans, which are also entered in the weight book). Exception texts from aiohttp carry signed URLs,
so no raw exception string ever leaves this module."""

from __future__ import annotations

import asyncio
import errno
import re
import socket
import time
from typing import Any

import aiohttp
from binance.exceptions import BinanceAPIException, BinanceRequestException

from healthcheck.exchange.endpoints import Endpoint
from healthcheck.exchange.fetch import FetchError, FetchErrorKind
from healthcheck.exchange.gateway.client import EmptyBody
from healthcheck.exchange.weights import _BANNED_UNTIL_RE, DEFAULT_BAN_SECONDS, WeightBook, host_key
from healthcheck.storage.redact import scrub


def map_error(
    exc: BaseException, base: str, ep: Endpoint, *, book: WeightBook, timeout: float
) -> FetchError:
    """Given what a request raised, return it as a readable error (never the raw text: it
    can carry the signed URL)."""
    if isinstance(exc, BinanceAPIException):
        return _api_error(exc, base, ep, book)
    if isinstance(exc, BinanceRequestException):
        return FetchError(
            FetchErrorKind.MALFORMED,
            f"{ep.path}: Binance answered with a body that is not JSON ({_snippet(exc.message)})",
        )
    if isinstance(exc, EmptyBody):
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
            f"{ep.path}: no answer within {timeout:g} s (request_timeout)",
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


def _api_error(exc: BinanceAPIException, base: str, ep: Endpoint, book: WeightBook) -> FetchError:
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
        book.ban(host_key(base, ep.pool), until, f"{what}: {_snippet(msg, 160)}")
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


def never_sent(exc: BaseException) -> bool:
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


def fmt_ts(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
