"""clock (-1021): is the local clock close enough to Binance's for signed requests to pass?

Binance rejects a request whose timestamp is 1000 ms or more ahead of its clock, or older than
recvWindow when it arrives. The offset to each market's server is measured from the midpoint of
the request's round trip (best of a few samples); NTP is the second opinion when Binance cannot
be asked, and the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    combine,
    first_product,
    row_product,
    setting,
)
from healthcheck.checks.measure import Family, Measurement, Perf, finite, perf_number
from healthcheck.exchange.catalogue import fix_for, quote
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Result, Status


@dataclass(frozen=True)
class ClockSettings(CheckSettings):
    samples: int = setting(
        3,
        "server-time samples per market; the one with the lowest round trip counts",
        minimum=1,
        maximum=10,
        integer=True,
    )
    ahead_critical_ms: float = setting(
        1000.0,
        "CRITICAL when the local clock is this far ahead (Binance rejects at 1000 ms)",
        minimum=0,
    )
    ahead_warning_ms: float = setting(500.0, "WARNING when this far ahead", minimum=0)

    def problems(self) -> list[tuple[str, str]]:
        if self.ahead_warning_ms > self.ahead_critical_ms:
            return [("ahead_warning_ms", "must not exceed ahead_critical_ms")]
        return []


OFFSET = Family(
    "clock_offset_seconds",
    "Local clock minus Binance server time per market (positive: local clock ahead)",
    ("account", "market"),
)
NTP_OFFSET = Family(
    "ntp_offset_seconds", "Local clock minus NTP time (positive: local clock ahead)", ("account",)
)


@dataclass(frozen=True)
class ClockCheck(CheckBase):
    settings: ClockSettings
    id: ClassVar[str] = "clock"
    title: ClassVar[str] = "local clock vs Binance server time and NTP"
    Settings: ClassVar[type[CheckSettings]] = ClockSettings
    wants_time_samples: ClassVar[bool] = True  # the runner samples each market's server time
    wants_ntp: ClassVar[bool] = True
    families: ClassVar[tuple[Family, ...]] = (OFFSET, NTP_OFFSET)

    def measurements(self, result: Result, run_started_at: float) -> list[Measurement]:
        """Each market's offset (with the ahead thresholds as perfdata) and the NTP offset."""
        warn = perf_number(self.settings.ahead_warning_ms / 1000)
        crit = perf_number(self.settings.ahead_critical_ms / 1000)
        out = []
        for key, value in sorted(result.metrics.items()):
            ms = finite(value)
            # "offset_ms" is the worst of the markets, not a market
            if (
                ms is None
                or key == "offset_ms"
                or not (key.startswith("offset_") and key.endswith("_ms"))
            ):
                continue
            market = key[len("offset_") : -len("_ms")]
            label = f"{result.account} clock_offset {market}"
            perf = Perf(label, ms / 1000, "s", f"~:{warn}", f"~:{crit}")
            out.append(Measurement(OFFSET, (result.account, market), ms / 1000, perf))
        ntp_ms = finite(result.metrics.get("ntp_offset_ms"))
        if ntp_ms is not None:
            out.append(Measurement(NTP_OFFSET, (result.account,), ntp_ms / 1000))
        return out

    def evaluate(self, facts: Facts) -> Result:
        """Given the server-time samples, NTP and this run's answers, return the clock verdict:
        each market's offset judged, NTP standing in when no market could be asked."""
        acc = facts.account
        details: dict = {"recv_window_ms": acc.recv_window_ms}
        metrics: dict = {}
        findings, unknown, worst_ahead = self._binance_offsets(facts, metrics)
        measured = worst_ahead is not None
        ntp_ahead = _ntp_offset(facts, details, metrics)
        if ntp_ahead is not None and not measured:
            # Binance keeps its clock on true time, so NTP stands in for it
            product = first_product(acc)
            findings.append(self._judge(ntp_ahead, 0.0, acc.recv_window_ms, "NTP", product))
            worst_ahead = ntp_ahead
        if worst_ahead is not None:
            metrics["offset_ms"] = round(worst_ahead, 1)
        findings.extend(_rejected_signed_request(facts))
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=_ok_summary(worst_ahead, measured),
            unknown=_unknown_reasons(facts, measured, unknown, details),
            details=details,
            metrics=metrics,
        )

    def _binance_offsets(
        self, facts: Facts, metrics: dict
    ) -> tuple[list[Finding], list[str], float | None]:
        """Given the server-time samples, return a finding per market with a server time, why
        the others could not be measured, and the offset furthest from zero (None if none)."""
        acc = facts.account
        findings: list[Finding] = []
        unknown: list[str] = []
        worst_ahead: float | None = None
        for market in acc.markets:
            if MARKETS[market].time_endpoint is None:
                continue  # no server time there: signed calls use another market's offset
            m = facts.time.get(market)
            if m is None or m.offset_ms is None:
                reason = m.error.message if m is not None and m.error else "not measured"
                unknown.append(f"Binance {market} server time: {reason}")
                continue
            metrics[f"offset_{market}_ms"] = round(m.offset_ms, 1)
            metrics[f"rtt_{market}_ms"] = round(m.rtt_ms or 0.0, 1)
            product = MARKETS[market].error_product
            one_way_ms = (m.rtt_ms or 0.0) / 2
            findings.append(
                self._judge(
                    m.offset_ms, one_way_ms, acc.recv_window_ms, f"Binance {market}", product
                )
            )
            if worst_ahead is None or abs(m.offset_ms) > abs(worst_ahead):
                worst_ahead = m.offset_ms
        return findings, unknown, worst_ahead

    def _judge(
        self, ahead_ms: float, one_way_ms: float, recv_window_ms: int, against: str, product: str
    ) -> Finding:
        s = self.settings
        fix = fix_for(-1021, product)
        # Binance's two -1021 texts: 0 "outside of the recvWindow", 1 "1000ms ahead"
        ahead = {-1021: quote(-1021, product, 1)}
        behind = {-1021: quote(-1021, product, 0)}
        behind_ms = -ahead_ms + one_way_ms  # how old a fresh request is when it arrives
        if ahead_ms >= s.ahead_critical_ms:
            return Finding(
                Status.CRITICAL,
                f"local clock is {ahead_ms:.0f} ms ahead of {against}: Binance rejects "
                f"every signed request ({s.ahead_critical_ms:.0f} ms limit) with -1021",
                [-1021],
                fix,
                product=product,
                quotes=ahead,
            )
        if behind_ms > recv_window_ms:
            return Finding(
                Status.CRITICAL,
                f"local clock is {-ahead_ms:.0f} ms behind {against}: requests arrive "
                f"older than recvWindow {recv_window_ms} ms and fail with -1021",
                [-1021],
                fix,
                product=product,
                quotes=behind,
            )
        if ahead_ms >= s.ahead_warning_ms:
            return Finding(
                Status.WARNING,
                f"local clock is {ahead_ms:.0f} ms ahead of {against} (fails at "
                f"{s.ahead_critical_ms:.0f} ms with -1021)",
                [],
                fix,
                risk_codes=[-1021],
                product=product,
                quotes=ahead,
            )
        if behind_ms > recv_window_ms / 2:
            return Finding(
                Status.WARNING,
                f"local clock is {-ahead_ms:.0f} ms behind {against} (fails beyond "
                f"recvWindow {recv_window_ms} ms with -1021)",
                [],
                fix,
                risk_codes=[-1021],
                product=product,
                quotes=behind,
            )
        return Finding(Status.OK, "")


def _ntp_offset(facts: Facts, details: dict, metrics: dict) -> float | None:
    """Given NTP's reading (noted in the details), return the local clock minus NTP time in
    ms, or None if NTP was not asked or did not answer."""
    ntp = facts.ntp
    if ntp is None:
        return None
    details["ntp"] = ntp.to_json()
    if ntp.offset_ms is None:
        return None
    local_minus_ntp = -ntp.offset_ms
    metrics["ntp_offset_ms"] = round(local_minus_ntp, 1)
    return local_minus_ntp


def _rejected_signed_request(facts: Facts) -> list[Finding]:
    """Given this run's answers, return a CRITICAL finding for the first signed request that
    Binance rejected with -1021: decisive even with our offset correction."""
    for (name, _params), out in facts.outcomes.items():
        if out.error is not None and out.error.code == -1021:
            product = row_product(facts.account, name)
            return [
                Finding(
                    Status.CRITICAL,
                    f"Binance rejected a signed request with -1021 ({name})",
                    [-1021],
                    fix_for(-1021, product),
                    product=product,
                    quotes={-1021: out.error.message},
                )
            ]
    return []


def _unknown_reasons(facts: Facts, measured: bool, unknown: list[str], details: dict) -> list[str]:
    """Given whether any Binance offset was measured and why some were not, return the reasons
    for UNKNOWN: none when Binance or NTP gave an offset (the other's problem goes to details)."""
    ntp = facts.ntp
    if measured:
        # Binance is what matters; NTP down alone is no reason for UNKNOWN
        if ntp is not None and ntp.offset_ms is None and ntp.samples:
            details["ntp_problem"] = ntp.reason
        return []
    if ntp is not None and ntp.offset_ms is not None:
        details["binance_time_problem"] = (
            "; ".join((m.error.message if m.error else "not measured") for m in facts.time.values())
            or "not measured"
        )
        return []
    if ntp is not None and ntp.samples:
        return [*unknown, f"NTP: {ntp.reason}"]
    return unknown


def _ok_summary(worst_ahead_ms: float | None, measured: bool) -> str:
    """Given the offset furthest from zero and whether Binance measured it, return the OK text."""
    ok = "local clock within {} of Binance".format(
        f"{abs(worst_ahead_ms):.0f} ms" if worst_ahead_ms is not None else "limits"
    )
    if worst_ahead_ms is not None and not measured:
        ok += " (measured with NTP; Binance server time unavailable)"
    return ok
