"""How a report reads on a terminal: one line per account and check with the fix under each
problem, or the report as JSON. The command line and the demo print through it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from healthcheck.exchange.catalogue import named_quote
from healthcheck.model.result import Status

_MARK = {
    Status.OK: "OK",
    Status.WARNING: "WARNING",
    Status.CRITICAL: "CRITICAL",
    Status.UNKNOWN: "UNKNOWN",
}


def render_text(report: Any, out=None, mutes: dict[tuple[str, str], Any] | None = None) -> None:
    """Given a Report, print one status line per account and check, then a summary line."""
    out = out or sys.stdout
    width_acc = max([len(r.account) for r in report.results] + [7])
    for r in report.results:
        print(f"{_MARK[r.status]:<9} {r.account:<{width_acc}} {r.check:<15} {r.summary}", file=out)
        if r.status != Status.OK:
            pad = " " * (9 + 1 + width_acc + 1 + 15 + 1)
            for code in r.codes:
                # one line per product the code comes from, quoting its text with the figures
                shown = set()
                for ref in r.refs_for(code) or [None]:
                    said = named_quote(code, ref.product if ref else None, ref.text if ref else "")
                    text = f'{code} {said[0]}: "{said[1]}"' if said else str(code)
                    if text not in shown:
                        shown.add(text)
                        print(f"{pad}bot's orders fail with {text}", file=out)
            for code in r.risk_codes:
                ref = next(iter(r.refs_for(code)), None)
                said = named_quote(code, ref.product if ref else None)
                print(f"{pad}at risk of {code}{' ' + said[0] if said else ''}", file=out)
            if r.fix:
                print(f"{pad}fix: {r.fix}", file=out)
            mute = (mutes or {}).get((r.account, r.check))
            if mute is not None:
                label = {
                    "silence": "silenced by",
                    "inhibited": "not alerted: explained by",
                    "maintenance": "not alerted: in",
                }[mute.kind]
                print(f"{pad}{label} {mute.by}", file=out)
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
    parts = [
        f"{counts[s.name]} {s.name}"
        for s in (Status.CRITICAL, Status.UNKNOWN, Status.WARNING, Status.OK)
        if s.name in counts
    ]
    m = report.metrics
    print(
        f"{report.status.name}: {m.get('accounts', 0)} account(s), {len(report.results)} "
        f"checks: {', '.join(parts) or 'none'}; request weight {m.get('request_weight', 0)}, "
        f"{m.get('duration_ms', 0):.0f} ms",
        file=out,
    )


def print_json(report: Any) -> None:
    print(json.dumps(report.to_json(), indent=2, sort_keys=False, default=str))
