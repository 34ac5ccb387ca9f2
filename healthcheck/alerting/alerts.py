"""The alert state machine: from one cycle's results to the messages a person should get.

Pure and deterministic apart from the alert ids: given the results, the remembered per-check
state and the time, :class:`AlertEngine` decides, in the manner of healthchecks.io, Gatus and
Alertmanager, when a problem has lasted long enough to alert (``failure_threshold`` consecutive
bad results, ``unknown_threshold`` for UNKNOWN), when to send an update (worse status, different
predicted Binance errors), a reminder (``repeat_interval``) and one resolved notice. Everything
one account needs to hear in a cycle is grouped into one message. :func:`outbox_rows_for` then
cuts that message per destination by its minimum status, ready for the outbox.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from healthcheck.alerting.inhibit import covered_checks, describe_covered, inhibitions
from healthcheck.alerting.mutes import Mute, known_results, mute_for
from healthcheck.config import MAX_BODY_CHARS, AlertsConfig, AlertUrl
from healthcheck.exchange import catalogue
from healthcheck.model.result import CodeRef, Result, Status, worst
from healthcheck.model.silences import Silence
from healthcheck.storage.state import CheckState, HistoryRow, OutboxRow, dest_fingerprint

MAX_TITLE_CHARS = 200
MAX_ITEM_CHARS = 1500  # one runaway summary must not crowd out the other checks


class AlertKind(enum.Enum):
    FIRING = "FIRING"  # first notice of a problem
    UPDATE = "UPDATE"  # got worse, or now predicts different Binance errors
    REMINDER = "REMINDER"  # still bad after repeat_interval
    RESOLVED = "RESOLVED"  # back to OK after an alert


# which kind names an outbox row that carries several
_KIND_PRIORITY = (AlertKind.FIRING, AlertKind.UPDATE, AlertKind.REMINDER, AlertKind.RESOLVED)


@dataclass(frozen=True)
class AlertItem:
    """One check's part of an alert message."""

    check: str
    kind: AlertKind
    status: Status  # current status (OK for RESOLVED)
    previous_status: Status | None  # last notified status (for UPDATE / RESOLVED)
    summary: str
    codes: tuple[int, ...] = ()
    risk_codes: tuple[int, ...] = ()
    fix: str = ""
    refs: tuple[CodeRef, ...] = ()  # each code's product and quote
    metrics: dict[str, float | int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    bad_since_ts: float | None = None
    # the status that decides which destinations get this item (RESOLVED: worst notified)
    routing_status: Status = Status.OK
    covers: str = ""  # root cause: "Also makes balance, trading_status unknown"
    note: str = ""  # e.g. "Held back by silence 3 'deploy' until …; still not fixed"


@dataclass
class AlertMessage:
    """Everything one account needs to hear from one cycle."""

    alert_id: str
    account: str
    items: list[AlertItem]
    created_at: float

    @property
    def worst_status(self) -> Status:
        return worst([i.status for i in self.items if i.kind is not AlertKind.RESOLVED])

    @property
    def title(self) -> str:
        return render_title(self.account, self.items)

    @property
    def body(self) -> str:
        return render_body(self.alert_id, self.items, self.created_at)

    @property
    def notify_type(self) -> str:
        return notify_type_for(self.items)

    def items_for(self, min_status: Status) -> list[AlertItem]:
        """Return the items a destination with this minimum status receives."""
        return [i for i in self.items if i.routing_status.severity >= min_status.severity]


@dataclass
class Decision:
    """The outcome of one evaluation: new states, flips to log, messages to queue."""

    states: dict[tuple[str, str], CheckState]
    history_rows: list[HistoryRow]
    messages: list[AlertMessage]


class AlertEngine:
    """Applies the alert rules of :class:`AlertsConfig` to each cycle's results."""

    def __init__(
        self, cfg: AlertsConfig, new_id: Callable[[], str] = lambda: uuid.uuid4().hex
    ) -> None:
        self.cfg = cfg
        self._new_id = new_id

    def evaluate(
        self,
        results: Iterable[Result],
        states: dict[tuple[str, str], CheckState],
        now: float,
        silences: Iterable[Silence] = (),
    ) -> Decision:
        """Given this cycle's results, the remembered states and the stored silences, return
        the :class:`Decision`.

        ``states`` is not modified; the decision holds a full updated copy. Checks without a
        result this cycle keep their state untouched (they run on their own intervals). A
        result covered by a maintenance window, a silence or a root cause (see
        :mod:`healthcheck.alerting.mutes`) sends nothing; when that ends, what is still wrong
        alerts.
        """
        new_states = {k: replace(v) for k, v in states.items()}
        history: list[HistoryRow] = []
        items_by_account: dict[str, list[AlertItem]] = {}
        latest: dict[tuple[str, str], Result] = {}
        for r in results:
            latest[(r.account, r.check)] = r  # a check reported twice: the last word counts
        silences = list(silences)
        known = known_results(latest, states)
        covers = inhibitions(known) if self.cfg.inhibit else {}
        for key, result in latest.items():
            prev = states.get(key)
            mute = mute_for(result, self.cfg.maintenance, silences, covers.get(key), now)
            state, item = self._step(prev, result, now, mute)
            if item is not None and item.kind is not AlertKind.RESOLVED and covers:
                text = describe_covered(covered_checks(covers, key, known))
                if text:
                    item = replace(item, covers=text)
            new_states[key] = state
            if prev is None or prev.last_status != result.status:
                if not (prev is None and result.status is Status.OK):
                    history.append(
                        HistoryRow(
                            now,
                            result.account,
                            result.check,
                            prev.last_status if prev else None,
                            result.status,
                            result.summary,
                        )
                    )
            if item is not None:
                items_by_account.setdefault(result.account, []).append(item)
        messages = [
            AlertMessage(self._new_id(), account, _sorted_items(items), now)
            for account, items in sorted(items_by_account.items())
        ]
        return Decision(new_states, history, messages)

    def _step(
        self, prev: CheckState | None, r: Result, now: float, mute: Mute | None = None
    ) -> tuple[CheckState, AlertItem | None]:
        """Return one check's next state and the item to send, if any."""
        s = replace(prev) if prev is not None else CheckState(last_status=r.status)
        was_muted = s.muted
        _record_run(s, r, now, mute)
        if r.status is Status.OK:
            return s, self._step_ok(s, r, now, mute)
        s.consecutive_ok = 0
        s.consecutive_bad += 1  # any non-OK counts, even if WARNING/CRITICAL/UNKNOWN alternate
        if s.bad_since_ts is None or (s.consecutive_bad == 1 and s.notified_status is None):
            s.bad_since_ts = now
        cfg = self.cfg
        threshold = cfg.unknown_threshold if r.status is Status.UNKNOWN else cfg.failure_threshold
        if s.consecutive_bad < max(1, threshold):
            return s, None
        if mute is not None:
            s.held = True  # the alert goes out when the mute ends and the problem is still here
            return s, None
        if s.held:
            return s, self._held_notice(s, r, now, was_muted)
        return s, self._news(s, r, now)

    def _step_ok(self, s: CheckState, r: Result, now: float, mute: Mute | None) -> AlertItem | None:
        """Given the state of a check that ran OK, update it; return the "resolved" item if
        the open incident ends now."""
        s.consecutive_ok += 1
        s.consecutive_bad = 0
        s.last_ok_ts = now
        if s.notified_status is not None and (
            s.consecutive_ok < max(1, self.cfg.success_threshold) or mute is not None
        ):
            # the incident stays open: not enough OK runs yet (a flapping check must not
            # send resolve/fire pairs), or a maintenance window holds the notice back
            s.held = s.held or mute is not None
            return None
        item = None
        if s.notified_status is not None and self.cfg.send_resolved:
            item = _item(
                r,
                AlertKind.RESOLVED,
                s.notified_status,
                bad_since=s.bad_since_ts,
                routing=s.notified_peak or s.notified_status,
            )
        s.bad_since_ts = None
        s.notified_status = None
        s.notified_codes = []
        s.notified_at = None
        s.notified_peak = None
        s.held = False
        return item

    def _held_notice(
        self, s: CheckState, r: Result, now: float, was_muted: dict[str, Any] | None
    ) -> AlertItem:
        """Given a failing check whose alert a silence, maintenance window or root cause held
        back and that ended with this still wrong, return the notice that says so now."""
        notified = s.notified_status
        s.held = False
        note = (
            f"Held back by {was_muted.get('by')}; still not fixed"
            if was_muted
            else "Held back earlier; still not fixed"
        )
        kind = AlertKind.FIRING if notified is None else AlertKind.REMINDER
        if notified is not None and (
            r.status.severity > notified.severity
            or sorted(set(r.codes)) != sorted(set(s.notified_codes))
        ):
            kind = AlertKind.UPDATE
        if notified is not None and r.status is Status.UNKNOWN and notified is not Status.UNKNOWN:
            kind = AlertKind.REMINDER  # "cannot check" is no news about a known problem
            s.notified_at = now
        else:
            self._notified(s, r, now)
        return replace(_item(r, kind, notified, s.bad_since_ts, r.status), note=note)

    def _news(self, s: CheckState, r: Result, now: float) -> AlertItem | None:
        """Given a check failing past its threshold, return what the person must hear now:
        the first alert, a worse status or other codes, a reminder, or nothing."""
        notified = s.notified_status
        if notified is None:
            self._notified(s, r, now)
            return _item(r, AlertKind.FIRING, None, s.bad_since_ts, r.status)
        if r.status is Status.UNKNOWN and notified is not Status.UNKNOWN:
            # "cannot check right now" is not news about a known problem, nor an improvement:
            # keep what the person was told, so a one-run API blip does not cause an update
            return None
        if r.status.severity > notified.severity:
            self._notified(s, r, now)
            return _item(r, AlertKind.UPDATE, notified, s.bad_since_ts, r.status)
        if r.status.severity < notified.severity:
            # better but not OK: nothing to say; remember it so a relapse is news again
            s.notified_status = r.status
            s.notified_codes = list(r.codes)
            return None
        if sorted(set(r.codes)) != sorted(set(s.notified_codes)):
            self._notified(s, r, now)
            return _item(r, AlertKind.UPDATE, notified, s.bad_since_ts, r.status)
        if (
            self.cfg.repeat_interval > 0
            and s.notified_at is not None
            and now - s.notified_at >= self.cfg.repeat_interval
        ):
            s.notified_at = now
            return _item(r, AlertKind.REMINDER, notified, s.bad_since_ts, r.status)
        return None

    @staticmethod
    def _notified(s: CheckState, r: Result, now: float) -> None:
        s.notified_status = r.status
        s.notified_codes = list(r.codes)
        s.notified_at = now
        if s.notified_peak is None or r.status.severity > s.notified_peak.severity:
            s.notified_peak = r.status


def outbox_rows_for(
    message: AlertMessage, destinations: Iterable[AlertUrl], now: float
) -> list[OutboxRow]:
    """Given a message and the configured destinations, return one outbox row per destination
    that has at least one item at or above its ``min_status``, with title and body cut to
    those items. Destinations are stored as fingerprints, never as URLs.
    """
    rows: list[OutboxRow] = []
    seen: set[str] = set()
    for dest in destinations:
        fp = dest_fingerprint(dest.url.reveal())
        if fp in seen:  # the same URL configured twice would deliver twice
            continue
        seen.add(fp)
        items = message.items_for(dest.min_status)
        if not items:
            continue
        rows.append(
            OutboxRow(
                dest=fp,
                title=render_title(message.account, items),
                body=render_body(message.alert_id, items, message.created_at, dest.max_chars),
                notify_type=notify_type_for(items),
                alert_id=message.alert_id,
                kind=next(k for k in _KIND_PRIORITY if any(i.kind is k for i in items)).value,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return rows


# -------------------------------------------------------------------------- rendering


def notify_type_for(items: list[AlertItem]) -> str:
    """Return the apprise notify type: failure (CRITICAL), warning, or success (all resolved)."""
    active = [i.status for i in items if i.kind is not AlertKind.RESOLVED]
    if not active:
        return "success"
    return "failure" if worst(active) is Status.CRITICAL else "warning"


def render_title(account: str, items: list[AlertItem]) -> str:
    """Return "[CRITICAL] main: position_mode, clock (+1 resolved)" or "[RESOLVED] main: clock"."""
    active = [i for i in items if i.kind is not AlertKind.RESOLVED]
    resolved = [i for i in items if i.kind is AlertKind.RESOLVED]
    if active:
        head = f"[{worst([i.status for i in active]).name}] {account}: "
        names = [i.check for i in active]
        tail = f" (+{len(resolved)} resolved)" if resolved else ""
    else:
        head = f"[RESOLVED] {account}: "
        names = [i.check for i in resolved]
        tail = ""
    listed = ", ".join(names)
    if len(head) + len(listed) + len(tail) > MAX_TITLE_CHARS:
        listed = _truncate(listed, MAX_TITLE_CHARS - len(head) - len(tail))
    return head + listed + tail


def render_body(
    alert_id: str, items: list[AlertItem], now: float, max_chars: int = MAX_BODY_CHARS
) -> str:
    """Return the plain-text body: one block per item, the time and the alert id, in at most
    ``max_chars`` characters (items that do not fit are counted in a last line)."""
    footer = f"Time: {_iso(now)}\nAlert id: {alert_id}"
    budget = max_chars - len(footer) - 2
    blocks: list[str] = []
    used = 0
    for n, item in enumerate(items):
        block = _truncate(_render_item(item, now), MAX_ITEM_CHARS)
        rest = len(items) - n - 1
        # keep room for the "more checks" line unless this is the last item
        reserve = 80 if rest else 0
        if used + len(block) + 2 + reserve > budget:
            more = len(items) - n
            blocks.append(
                f"… and {more} more check{'s' if more > 1 else ''} not shown "
                f"(message too long); run `binance-healthcheck check` for all."
            )
            break
        blocks.append(block)
        used += len(block) + 2
    return "\n\n".join([*blocks, footer])


def _render_item(item: AlertItem, now: float) -> str:
    lines: list[str] = []
    if item.kind is AlertKind.RESOLVED:
        was = f" (was {item.previous_status.name})" if item.previous_status else ""
        lines.append(f"RESOLVED {item.check}{was}")
        lines.append(f"Now: {item.summary}")
        if item.bad_since_ts is not None:
            lines.append(
                f"Was bad since {_iso(item.bad_since_ts)} ({_duration(now - item.bad_since_ts)})"
            )
        return "\n".join(lines)

    head = f"{item.status.name} {item.check}"
    if item.kind is AlertKind.UPDATE and item.previous_status is not None:
        if item.previous_status is item.status:
            head += " (different Binance errors now)"
        else:
            head += f" (was {item.previous_status.name})"
    elif item.kind is AlertKind.REMINDER:
        head += " (reminder: still not fixed)"
    lines.append(head)
    lines.append(f"What: {item.summary}")
    if item.covers:
        lines.append(item.covers)
    if item.note:
        lines.append(item.note)
    for code in item.codes:
        prefix = "At risk of Binance error" if item.status is Status.WARNING else "Binance error"
        lines += [f"{prefix}: {d}" for d in describe_code(code, item.refs)]
    for code in item.risk_codes:
        if code not in item.codes:
            lines += [f"At risk of Binance error: {d}" for d in describe_code(code, item.refs)]
    if item.fix:
        lines.append(f"Fix: {item.fix}")
    figures = format_metrics(item.metrics)
    if figures:
        lines.append(f"Figures: {figures}")
    if item.bad_since_ts is not None:
        lines.append(f"Bad since: {_iso(item.bad_since_ts)} ({_duration(now - item.bad_since_ts)})")
    return "\n".join(lines)


def describe_code(code: int, refs: tuple[CodeRef, ...] | list[CodeRef]) -> list[str]:
    """Given a code and where the result says it comes from, return one "-4164 MIN_NOTIONAL —
    Order's notional must be no smaller than 100 ..." line per distinct product text."""
    out: list[str] = []
    for r in [r for r in refs if r.code == code] or [CodeRef(code, "")]:
        said = catalogue.named_quote(code, r.product or None, r.text)
        line = f"{code} {said[0]} — {said[1]}" if said else str(code)
        if line not in out:
            out.append(line)
    return out


def format_metrics(metrics: dict[str, float | int]) -> str:
    """Return "offset 1,234 ms, margin ratio 85.0%, used weight 1,200" from base units."""
    parts: list[str] = []
    for key in sorted(metrics):
        value = metrics[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        label = key
        if key.endswith("_ms"):
            label, text = key[:-3], f"{value:,.0f} ms"
        elif key.endswith("_seconds"):
            label, text = key[:-8], f"{value:,.1f} s"
        elif key.endswith("_days"):
            label, text = key[:-5], f"{value:,.1f} days"
        elif key.endswith("_ratio") or key.endswith("_ratios") or key == "ratio":
            label, text = key, f"{value * 100:.1f}%"
        elif "weight" in key:  # Binance request-weight units; the label already says "weight"
            text = f"{value:,.0f}"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = f"{value:,.4g}"
        parts.append(f"{label.replace('_', ' ')} {text}")
    return ", ".join(parts)


def _record_run(s: CheckState, r: Result, now: float, mute: Mute | None) -> None:
    """Given a check's state, note this run's result and what mutes the check now."""
    s.last_status = r.status
    s.last_codes = list(r.codes)
    s.last_summary = r.summary
    s.last_result = r.to_json()
    s.last_run_ts = now
    s.muted = mute.to_json() if mute is not None else None


def _item(
    r: Result, kind: AlertKind, previous: Status | None, bad_since: float | None, routing: Status
) -> AlertItem:
    risk = r.risk_codes or r.details.get("risk_codes") or ()
    try:
        risk_codes = tuple(int(c) for c in risk)
    except (TypeError, ValueError):
        risk_codes = ()
    return AlertItem(
        check=r.check,
        kind=kind,
        status=r.status,
        previous_status=previous,
        summary=r.summary,
        codes=tuple(r.codes),
        risk_codes=risk_codes,
        fix=r.fix,
        refs=tuple(r.refs),
        metrics=dict(r.metrics),
        details=dict(r.details),
        bad_since_ts=bad_since,
        routing_status=routing,
    )


def _sorted_items(items: list[AlertItem]) -> list[AlertItem]:
    # worst first so the title and a truncated body lead with what matters; resolved last
    return sorted(items, key=lambda i: (i.kind is AlertKind.RESOLVED, -i.status.severity, i.check))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"
