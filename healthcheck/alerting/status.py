"""What the alerting side looks like right now, from the state directory alone.

:func:`collect` builds the document behind ``binance-healthcheck status`` (what is firing and
since when, when it was last notified and when the next reminder is due, what is silenced or
inhibited and by what, which maintenance windows are active, the outbox and the destinations
that keep failing), and :func:`status_line` the one line that the daemon sends to systemd as
``STATUS=`` and that ``status`` prints first: both come from the same stored check states, so
they agree. Nothing here talks to Binance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from healthcheck.config import Config
from healthcheck.engine.schedule import DAEMON_ACCOUNT, SCHEDULE_CHECK
from healthcheck.model.maintenance import active_windows, iso_utc
from healthcheck.model.result import Status
from healthcheck.model.silences import Silence
from healthcheck.storage.state import CheckState, StateDB, dest_fingerprint

Key = tuple[str, str]


def _iso(ts: float | None) -> str | None:
    return iso_utc(ts) if ts is not None else None


def _relevant(config: Config, states: Mapping[Key, CheckState]) -> dict[Key, CheckState]:
    names = {a.name for a in config.accounts}
    return {k: s for k, s in sorted(states.items()) if k[0] in names}


def status_line(
    config: Config, states: Mapping[Key, CheckState], now: float, pending: int = 0
) -> str:
    """Given the stored check states, return one line such as "2 accounts: 1 CRITICAL (main:
    position_mode); firing 1; muted 2 (1 silenced, 1 inhibited); 1 alert pending"."""
    n = len(config.accounts)
    head = f"{n} account{'s' if n != 1 else ''}"
    mine = _relevant(config, states)
    if not mine:
        return f"{head}: starting"
    bad = [(k, s) for k, s in mine.items() if s.last_status is not Status.OK]
    parts: list[str] = []
    for st in (Status.CRITICAL, Status.UNKNOWN, Status.WARNING):
        hits = [k for k, s in bad if s.last_status is st]
        if hits:
            names = ", ".join(f"{a}: {c}" for a, c in hits[:3])
            more = f" +{len(hits) - 3}" if len(hits) > 3 else ""
            parts.append(f"{len(hits)} {st.name} ({names}{more})")
    text = f"{head}: " + ("; ".join(parts) if parts else "all OK")
    extra: list[str] = []
    firing = sum(1 for s in mine.values() if s.notified_status is not None)
    if firing:
        extra.append(f"firing {firing}")
    muted: dict[str, int] = {}
    for s in mine.values():
        if s.muted and (s.last_status is not Status.OK or s.notified_status is not None):
            kind = str(s.muted.get("kind"))
            muted[kind] = muted.get(kind, 0) + 1
    if muted:
        label = {"silence": "silenced", "inhibited": "inhibited", "maintenance": "in maintenance"}
        detail = ", ".join(f"{v} {label.get(k, k)}" for k, v in sorted(muted.items()))
        extra.append(f"muted {sum(muted.values())} ({detail})")
    windows = active_windows(config.alerts.maintenance, now)
    if windows:
        extra.append(
            "maintenance " + ", ".join(f"'{w.name}' until {iso_utc(end)}" for w, _, end in windows)
        )
    if pending:
        extra.append(f"{pending} alert{'s' if pending != 1 else ''} pending")
    own = states.get((DAEMON_ACCOUNT, SCHEDULE_CHECK))
    if own is not None and own.last_status is not Status.OK:
        extra.append("checks behind schedule (weight budget)")
    return "; ".join([text, *extra])


def _kept_schedule(state: StateDB) -> Any:
    from healthcheck.engine.schedule import SCHEDULE_CACHE_KEY

    try:
        got = state.get_cache(SCHEDULE_CACHE_KEY)
    except Exception:  # noqa: BLE001 - an unreadable cache: compute from the config
        return None
    return got[1] if got else None


def schedule_doc(
    config: Config, states: Mapping[Key, CheckState], now: float, kept: Any = None
) -> dict[str, Any]:
    """Given the config and the stored states, return what the daemon's schedule stretched
    (computed from the config as the daemon does at start), the results older than their
    stretched interval (kept while our own weight budget defers them) and whether the daemon
    says it is behind."""
    from healthcheck.engine.schedule import build_schedule

    doc = build_schedule(config).to_json()
    if kept is not None and isinstance(kept, dict) and isinstance(kept.get("intervals"), dict):
        doc = kept  # the running daemon's, fitted to the limits Binance reported
    intervals: dict[str, Any] = doc["intervals"]  # type: ignore[assignment]
    waiting = []
    for (account, check), s in _relevant(config, states).items():
        every = intervals.get(check)
        if every is None or not s.last_run_ts:
            continue
        age = now - s.last_run_ts
        if age > 1.5 * every + 60:
            waiting.append(
                {"account": account, "check": check, "age_seconds": round(age), "every": every}
            )
    own = states.get((DAEMON_ACCOUNT, SCHEDULE_CHECK))
    return {
        **doc,
        "old_results": waiting,
        "behind": own.last_summary if own and own.last_status is not Status.OK else None,
    }


def collect(config: Config, state: StateDB, now: float) -> dict[str, Any]:
    """Given the config and its state database, return the status document (JSON-ready)."""
    states = state.load_check_states()
    pending = state.pending_count()
    mine = _relevant(config, states)
    checks = [
        _check_doc(account, check, s, config.alerts.repeat_interval, now)
        for (account, check), s in mine.items()
        if not (s.last_status is Status.OK and s.notified_status is None and not s.muted)
    ]
    silences: list[Silence] = state.silences(now=now)
    return {
        "generated_at": iso_utc(now),
        "line": status_line(config, states, now, pending),
        "state_dir": str(config.state_dir()),
        "checks": checks,
        "silences": [s.to_json(now) for s in silences],
        "maintenance": [
            {
                "name": w.name,
                "window": w.describe(),
                "started": iso_utc(start),
                "ends": iso_utc(end),
            }
            for w, start, end in active_windows(config.alerts.maintenance, now)
        ],
        "outbox": {"pending": pending, "destinations": _destinations_doc(config, state)},
        "schedule": schedule_doc(config, states, now, _kept_schedule(state)),
    }


def _check_doc(
    account: str, check: str, s: CheckState, repeat: float, now: float
) -> dict[str, Any]:
    """Given a check that is not quietly OK, return its entry in the status document."""
    muted = s.muted or {}
    reminder_due = None
    if s.notified_status is not None and repeat > 0 and s.notified_at is not None:
        reminder_due = s.notified_at + repeat
    return {
        "account": account,
        "check": check,
        "status": s.last_status.name,
        "summary": s.last_summary,
        "firing": s.notified_status is not None,
        "notified_status": s.notified_status.name if s.notified_status else None,
        "bad_since": _iso(s.bad_since_ts),
        "last_notified": _iso(s.notified_at),
        "reminder_due": _iso(reminder_due),
        "reminder_overdue": reminder_due is not None and reminder_due <= now,
        "last_run": _iso(s.last_run_ts or None),
        "silenced_by": muted.get("by") if muted.get("kind") == "silence" else None,
        "inhibited_by": muted.get("by") if muted.get("kind") == "inhibited" else None,
        "maintenance": muted.get("by") if muted.get("kind") == "maintenance" else None,
        "held_back": s.held,
    }


def _destinations_doc(config: Config, state: StateDB) -> list[dict[str, Any]]:
    """Return each destination with undelivered alerts, masked, with its retry state."""
    from healthcheck.alerting.notify import mask_url

    masks = {dest_fingerprint(u.url.reveal()): mask_url(u.url.reveal()) for u in config.alerts.urls}
    return [
        {
            "destination": masks.get(d["dest"], "(no longer configured)"),
            "pending": d["pending"],
            "attempts": d["attempts"],
            "failing": d["attempts"] > 0,
            "last_error": d["last_error"],
            "oldest": _iso(d["oldest_created_at"]),
            "next_attempt": _iso(d["next_attempt_at"]),
        }
        for d in state.pending_by_destination()
    ]


def render(doc: dict[str, Any]) -> str:
    """Given :func:`collect`'s document, return the text for a terminal (times in UTC)."""
    lines = [doc["line"]]
    for section in (
        _render_firing,
        _render_quiet,
        _render_silences,
        _render_maintenance,
        _render_schedule,
        _render_outbox,
    ):
        part = section(doc)
        if part:
            lines.append("")
            lines.extend(part)
    return "\n".join(lines)


def _render_firing(doc: dict[str, Any]) -> list[str]:
    firing = [c for c in doc["checks"] if c["firing"]]
    if not firing:
        return []
    lines = ["Firing (times UTC):"]
    for c in firing:
        lines.append(f"  {c['status']:<8} {c['account']}/{c['check']}: {c['summary']}")
        due = c["reminder_due"] or "never"
        if c["silenced_by"] or c["inhibited_by"] or c["maintenance"]:
            due = "muted"
        lines.append(
            f"           bad since {c['bad_since']}, last notified "
            f"{c['last_notified']}, next reminder {due}"
        )
        for key in ("silenced_by", "inhibited_by", "maintenance"):
            if c[key]:
                lines.append(f"           muted: {c[key]}")
    return lines


def _render_quiet(doc: dict[str, Any]) -> list[str]:
    other = [c for c in doc["checks"] if not c["firing"]]
    if not other:
        return []
    lines = ["Not alerting (below threshold, muted or held back):"]
    for c in other:
        why = (
            c["silenced_by"] or c["inhibited_by"] or c["maintenance"] or "below the alert threshold"
        )
        lines.append(f"  {c['status']:<8} {c['account']}/{c['check']}: {why}")
    return lines


def _render_silences(doc: dict[str, Any]) -> list[str]:
    if not doc["silences"]:
        return []
    lines = ["Silences:"]
    for s in doc["silences"]:
        scope = (
            ", ".join(f"{k} {s[k]}" for k in ("account", "check", "code") if s[k] is not None)
            or "everything"
        )
        lines.append(f"  {s['id']}: {scope} until {s['ends_at']} ({s['reason']})")
    return lines


def _render_maintenance(doc: dict[str, Any]) -> list[str]:
    if not doc["maintenance"]:
        return []
    return ["Maintenance active:"] + [
        f"  {m['window']}, ends {m['ends']}" for m in doc["maintenance"]
    ]


def _render_schedule(doc: dict[str, Any]) -> list[str]:
    sched = doc.get("schedule") or {}
    if not (sched.get("lines") or sched.get("old_results") or sched.get("behind")):
        return []
    lines = ["Schedule (the daemon's weight budget):"]
    for text in sched.get("lines", []):
        lines.append(f"  {text}")
    if sched.get("behind"):
        lines.append(f"  WARNING: {sched['behind']}")
    for w in sched.get("old_results", [])[:10]:
        lines.append(
            f"  {w['account']}/{w['check']}: last result {w['age_seconds']} s old "
            f"(runs every {w['every']:.0f} s)"
        )
    return lines


def _render_outbox(doc: dict[str, Any]) -> list[str]:
    out = doc["outbox"]
    lines = [f"Outbox: {out['pending']} pending"]
    for d in out["destinations"]:
        state = (
            f"FAILING after {d['attempts']} attempt(s): {d['last_error']}"
            if d["failing"]
            else "waiting"
        )
        lines.append(f"  {d['destination']}: {d['pending']} pending since {d['oldest']}; {state}")
    return lines
