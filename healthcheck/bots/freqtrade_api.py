"""freqtrade's REST API (its ``api_server``), the few endpoints a health check reads.

``GET /api/v1/ping`` needs no credentials (``{"status": "pong"}``); ``GET /api/v1/health`` and
``GET /api/v1/whitelist`` take HTTP basic auth (freqtrade 2026.9, rpc/api_server/api_v1.py,
api_trading.py and api_schemas.py ``Health``/``WhitelistResponse``). Every failure becomes one
:class:`BotApiError` with one kind and a one-line reason naming the URL (never the credentials).
A server that accepts the connection and never answers fails after ``timeout_seconds``; one that
trickles its answer is cut at the first chunk read after that deadline; at most
``MAX_BODY_BYTES`` are read.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import requests

from healthcheck.bots.liveness import ApiFailure
from healthcheck.storage.redact import scrub, strip_userinfo

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 1 << 20  # health and whitelist answers are a few hundred bytes
DEFAULT_TIMEOUT_SECONDS = 10.0


class BotApiError(Exception):
    """A request to the bot's API failed; ``kind`` says how, the message says it in one line."""

    def __init__(self, kind: ApiFailure, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Health:
    """``/api/v1/health``: when the bot last ran its loop and when it started (epoch seconds;
    None until it happened)."""

    last_process_ts: float | None
    bot_start_ts: float | None
    bot_startup_ts: float | None


class FreqtradeApi:
    """A client of one freqtrade api_server. ``url`` is the base (``http://127.0.0.1:8080``)."""

    def __init__(
        self,
        url: str,
        username: str = "",
        password: str = "",
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        session: requests.Session | None = None,
    ) -> None:
        self.url = strip_userinfo(url.rstrip("/"))
        self._auth = (username, password)
        self.timeout_seconds = timeout_seconds
        self._session = session or requests.Session()
        self._session.trust_env = False  # the bot is local: no proxy from the environment

    def close(self) -> None:
        self._session.close()

    def ping(self) -> bool:
        """Return True when the API answers ``pong``; raise BotApiError otherwise."""
        data = self._get("/ping", auth=False)
        if not isinstance(data, dict) or data.get("status") != "pong":
            raise BotApiError(
                ApiFailure.MALFORMED, f"{self.url}{API_PREFIX}/ping: answered {_brief(data)}"
            )
        return True

    def health(self) -> Health:
        """Return ``/api/v1/health``; raise BotApiError if it fails or has the wrong shape."""
        data = self._get("/health")
        if not isinstance(data, dict):
            raise BotApiError(
                ApiFailure.MALFORMED, f"{self.url}{API_PREFIX}/health: answered {_brief(data)}"
            )
        return Health(
            _ts(data.get("last_process_ts")),
            _ts(data.get("bot_start_ts")),
            _ts(data.get("bot_startup_ts")),
        )

    def whitelist(self) -> list[str]:
        """Return the live pair whitelist (``BTC/USDT:USDT`` ...); raise BotApiError."""
        data = self._get("/whitelist")
        pairs = data.get("whitelist") if isinstance(data, dict) else None
        if not isinstance(pairs, list) or not all(isinstance(p, str) for p in pairs):
            raise BotApiError(
                ApiFailure.MALFORMED,
                f"{self.url}{API_PREFIX}/whitelist: answered {_brief(data)}",
            )
        return list(pairs)

    # ------------------------------------------------------------------ transport
    def _get(self, path: str, *, auth: bool = True) -> Any:
        where = f"{self.url}{API_PREFIX}{path}"
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with self._session.get(
                where,
                auth=self._auth if auth else None,
                timeout=(self.timeout_seconds, self.timeout_seconds),
                stream=True,
                allow_redirects=False,
            ) as resp:
                body = bytearray()
                for chunk in resp.iter_content(8192):
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise BotApiError(
                            ApiFailure.MALFORMED, f"{where}: answer larger than {MAX_BODY_BYTES}"
                        )
                    if time.monotonic() > deadline:
                        raise requests.Timeout()
                status = resp.status_code
        except BotApiError:
            raise
        except requests.Timeout:
            raise BotApiError(
                ApiFailure.TIMEOUT, f"{where}: no answer within {self.timeout_seconds:g} s"
            ) from None
        except requests.ConnectionError as exc:
            raise BotApiError(ApiFailure.UNREACHABLE, f"{where}: {_why(exc)}") from None
        except requests.RequestException as exc:
            raise BotApiError(ApiFailure.UNREACHABLE, f"{where}: {_why(exc)}") from None
        if status in (401, 403):
            raise BotApiError(
                ApiFailure.AUTH, f"{where}: the credentials are refused (HTTP {status})"
            )
        if not 200 <= status < 300:
            raise BotApiError(ApiFailure.HTTP, f"{where}: HTTP {status}")
        try:
            return json.loads(bytes(body))
        except (ValueError, RecursionError):
            raise BotApiError(ApiFailure.MALFORMED, f"{where}: the answer is not JSON") from None


def _ts(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < 253402300799 else None


def _brief(data: Any) -> str:
    return scrub(json.dumps(data, default=str))[:80]


def _why(exc: BaseException) -> str:
    """Given a requests exception, return its root cause in a few words ("connection refused")."""
    text = str(exc)
    for needle, short in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "the connection was closed without an answer"),
        ("No route to host", "no route to host"),
    ):
        if needle in text:
            return short
    return scrub(" ".join(text.split()))[:160]
