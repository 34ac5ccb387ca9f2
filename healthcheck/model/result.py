"""The one result type every check returns, and the Nagios status scale.

A :class:`Result` says, for one account and one check, how bad things are, in one line a person
reads, which Binance error codes the bot's orders would now fail with, and the figures behind it
in base units (milliseconds, ratios, weight units).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.IntEnum):
    """Nagios states; the integer value is the exit code."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3

    @property
    def severity(self) -> int:
        """Rank for "worst of": CRITICAL > UNKNOWN > WARNING > OK."""
        return _SEVERITY[self]

    @classmethod
    def parse(cls, text: str) -> Status:
        """Given "critical" or "CRITICAL", return the Status; raise ValueError if unknown."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown status {text!r} (use OK, WARNING, CRITICAL or UNKNOWN)"
            ) from None


_SEVERITY = {Status.OK: 0, Status.WARNING: 1, Status.UNKNOWN: 2, Status.CRITICAL: 3}


def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
    """Given statuses, return the worst by CRITICAL > UNKNOWN > WARNING > OK (OK if none)."""
    return max(statuses, key=lambda s: s.severity, default=Status.OK)


@dataclass(frozen=True)
class CodeRef:
    """Where a result's Binance code comes from: the product (error namespace of
    :mod:`healthcheck.exchange.catalogue`) the bot's orders get it from, and Binance's text as it
    will read (the check's figures filled in) or as Binance sent it; "" to quote the catalogue."""

    code: int
    product: str
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "product": self.product, "text": self.text}

    @classmethod
    def from_json(cls, data: Any) -> CodeRef | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(int(data["code"]), str(data["product"]), str(data.get("text") or ""))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class Result:
    """One check's verdict for one account."""

    account: str
    check: str
    status: Status
    summary: str
    codes: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float | int] = field(default_factory=dict)
    fix: str = ""
    # the codes a WARNING is heading towards (the bot does not get them yet)
    risk_codes: list[int] = field(default_factory=list)
    # per code in codes and risk_codes: its product and quote (a code may come from two)
    refs: list[CodeRef] = field(default_factory=list)

    def refs_for(self, code: int) -> list[CodeRef]:
        """Given one of the result's codes, return where it comes from (empty if not said)."""
        return [r for r in self.refs if r.code == code]

    def to_json(self) -> dict[str, Any]:
        details = dict(self.details)
        if self.fix:
            details.setdefault("fix", self.fix)
        return {
            "account": self.account,
            "check": self.check,
            "status": self.status.name,
            "summary": self.summary,
            "codes": list(self.codes),
            "risk_codes": list(self.risk_codes),
            "refs": [r.to_json() for r in self.refs],
            "details": details,
            "metrics": dict(self.metrics),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        details = dict(data.get("details") or {})
        return cls(
            account=str(data["account"]),
            check=str(data["check"]),
            status=Status[str(data["status"])],
            summary=str(data.get("summary", "")),
            codes=[int(c) for c in data.get("codes") or []],
            risk_codes=[int(c) for c in data.get("risk_codes") or details.get("risk_codes") or []],
            details=details,
            metrics=dict(data.get("metrics") or {}),
            fix=str(details.get("fix", "")),
            refs=[r for r in map(CodeRef.from_json, data.get("refs") or []) if r is not None],
        )
