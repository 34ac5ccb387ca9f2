"""Binance's request security as the simulator enforces it on SIGNED endpoints: the API-key
format, key/IP/permission rejection (-2015), the timestamp and recvWindow rules (-1021, -1131)
and the signature (-1022) by HMAC-SHA256, Ed25519 or RSA, in Binance's order of checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from Crypto.Hash import SHA256
from Crypto.PublicKey import ECC, RSA
from Crypto.Signature import eddsa, pkcs1_15

from healthcheck.exchange.catalogue import quote
from healthcheck.simulator.accounts import SimAccount
from healthcheck.simulator.endpoints import MSG_AHEAD, MSG_OUTSIDE, ApiError, mandatory
from healthcheck.simulator.wire import Request

MAX_RECV_WINDOW = 60000


def rejected(group: str, ip: str) -> ApiError:
    """Given a pool and the client IP, return the -2015 refusal (futures name the IP)."""
    msg = quote(-2015, "spot")
    if group in ("fapi", "dapi", "papi"):
        msg = msg.rstrip(".") + f", request ip: {ip}"
    return ApiError(401, -2015, msg)


def split_signature(raw: str) -> tuple[str, str | None]:
    """Given a query string or body, return it without ``signature=`` and the signature."""
    kept: list[str] = []
    sig: str | None = None
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            sig = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), sig


class Gatekeeper:
    """Authenticates signed requests against the accounts ``account_by_key`` finds."""

    def __init__(self, account_by_key: Callable[[str | None], SimAccount | None]) -> None:
        self._account_by_key = account_by_key
        self._key_cache: dict[str, Any] = {}

    def authenticate(
        self, req: Request, group: str, params: dict[str, str], now_ms: int
    ) -> SimAccount:
        """Given a request to a SIGNED endpoint and its parameters, return its account; raise
        the ApiError Binance answers with when the key, time, signature or permission fails."""
        acct = self._known_key(req, group)
        self._check_time(group, params, now_ms)
        if not self.signature_ok(acct, req):
            raise ApiError(400, -1022)
        # Permissions are checked after the signature, as Binance does.
        self._check_permissions(acct, req, group, now_ms)
        return acct

    def _known_key(self, req: Request, group: str) -> SimAccount:
        key = (req.api_key or "").strip()
        if len(key) != 64 or not key.isascii() or not key.isalnum():
            raise ApiError(401, -2014)
        acct = self._account_by_key(key)
        if (
            acct is None
            or acct.key_deleted
            or (acct.ip_whitelist is not None and req.client_ip not in acct.ip_whitelist)
        ):
            raise rejected(group, req.client_ip)
        return acct

    @staticmethod
    def _check_time(group: str, params: dict[str, str], now_ms: int) -> None:
        try:
            ts = int(params.get("timestamp", ""))
        except ValueError:
            raise mandatory("timestamp") from None
        if group == "api" and ts > 10**14:
            ts //= 1000  # spot accepts microsecond timestamps
        try:
            recv_window = float(params.get("recvWindow") or 5000)
        except ValueError:
            raise mandatory("recvWindow") from None
        if recv_window > MAX_RECV_WINDOW:
            raise ApiError(400, -1131)
        if ts >= now_ms + 1000:
            raise ApiError(400, -1021, MSG_AHEAD)
        if now_ms - ts > recv_window:
            raise ApiError(400, -1021, MSG_OUTSIDE)

    @staticmethod
    def _check_permissions(acct: SimAccount, req: Request, group: str, now_ms: int) -> None:
        if not acct.enable_reading:
            raise rejected(group, req.client_ip)
        if group in ("fapi", "dapi") and (not acct.enable_futures or acct.portfolio_margin):
            # a Portfolio Margin account's classic futures calls are refused (users report)
            raise rejected(group, req.client_ip)
        if group == "papi" and not (acct.portfolio_margin and acct.enable_pm_trading):
            raise rejected(group, req.client_ip)
        if req.path in ("/api/v3/order", "/api/v3/order/test"):
            expiry = acct.trading_authority_expiration_ms
            if not acct.enable_spot_trading or (expiry is not None and expiry < now_ms):
                raise rejected(group, req.client_ip)

    def signature_ok(self, acct: SimAccount, req: Request) -> bool:
        """Given an account and a request, return whether the request's signature (query or
        body) is the account's HMAC-SHA256, Ed25519 or RSA signature of query + body."""
        query, sig_q = split_signature(req.raw_query)
        body, sig_b = split_signature(req.raw_body)
        sig = sig_q if sig_q is not None else sig_b
        if not sig:
            return False
        payload = (query + body).encode()
        if acct.public_key_pem is None:
            secret = acct.api_secret or ""
            if acct.secret_mismatch:
                secret = "mismatch-" + secret[::-1]
            expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, unquote(sig).lower())
        if acct.secret_mismatch:
            return False
        try:
            raw_sig = base64.b64decode(unquote(sig), validate=True)
        except ValueError:
            return False
        key = self._public_key(acct.public_key_pem)
        try:
            if isinstance(key, RSA.RsaKey):
                pkcs1_15.new(key).verify(SHA256.new(payload), raw_sig)
            else:
                eddsa.new(key, "rfc8032").verify(payload, raw_sig)
        except (ValueError, TypeError):
            return False
        return True

    def _public_key(self, pem: str) -> Any:
        key = self._key_cache.get(pem)
        if key is None:
            try:
                key = ECC.import_key(pem)
                if key.has_private():
                    key = key.public_key()
            except ValueError:
                key = RSA.import_key(pem)
                if key.has_private():
                    key = key.public_key()
            self._key_cache[pem] = key
        return key
