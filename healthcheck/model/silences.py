"""Silences: an operator's "I know, stop telling me" for some account/check/code, for a while.

A silence is stored in the state database (table ``silences``) by ``binance-healthcheck silence
add`` and read by the running daemon on every tick, so it takes effect at once and survives
restarts. It matches a result when every given field matches (account, check, and a Binance code
among the result's codes or risk codes); fields left out match anything. While it is active the
alert engine sends nothing for the matched results; when it ends (``--for`` ran out or ``silence
expire``) and the problem is still there, the alert goes out then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from healthcheck.model.maintenance import iso_utc
from healthcheck.model.result import Result


@dataclass(frozen=True)
class Silence:
    """One stored silence; times are UNIX seconds."""

    id: int
    created_at: float
    ends_at: float
    reason: str
    account: str | None = None
    check: str | None = None
    code: int | None = None
    expired_at: float | None = None  # set by `silence expire` (ends_at is then that time too)

    def active(self, now: float) -> bool:
        """Return True if the silence is in force at ``now``."""
        return self.expired_at is None and self.created_at <= now < self.ends_at

    def matches(self, account: str, check: str, codes: Iterable[int] = ()) -> bool:
        """Return True if this silence covers the given account, check and codes."""
        if self.account is not None and self.account != account:
            return False
        if self.check is not None and self.check != check:
            return False
        return self.code is None or self.code in set(codes)

    def matches_result(self, r: Result) -> bool:
        return self.matches(r.account, r.check, [*r.codes, *r.risk_codes])

    def scope(self) -> str:
        """Return "account main, check balance, code -2019" or "everything"."""
        parts = []
        if self.account is not None:
            parts.append(f"account {self.account}")
        if self.check is not None:
            parts.append(f"check {self.check}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        return ", ".join(parts) or "everything"

    def describe(self) -> str:
        """Return "silence 3 'deploy' until 2026-11-29T04:00:00+00:00"."""
        return f"silence {self.id} '{self.reason}' until {iso_utc(self.ends_at)}"

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "account": self.account,
            "check": self.check,
            "code": self.code,
            "reason": self.reason,
            "created_at": iso_utc(self.created_at),
            "ends_at": iso_utc(self.ends_at),
            "expired_at": iso_utc(self.expired_at) if self.expired_at is not None else None,
        }
        if now is not None:
            out["active"] = self.active(now)
        return out


def silenced_by(silences: Iterable[Silence], r: Result, now: float) -> Silence | None:
    """Return the active silence that covers ``r`` and lasts longest, or None."""
    hits = [s for s in silences if s.active(now) and s.matches_result(r)]
    return max(hits, key=lambda s: s.ends_at, default=None)
