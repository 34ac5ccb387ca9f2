"""Ties followers, parser and store together: one poll reads every source, finds the Binance
errors, and stores positions and occurrences in one transaction; ``results`` turns the stored
occurrences into one bot_errors result per watched account.

Used three ways: ``check`` polls once (what was written since the last run; the first time only
the last ``window`` seconds count), the daemon runs :meth:`Watcher.start` (a background thread),
and ``explain --log`` uses :func:`healthcheck.logwatch.scan.scan_file` without any config.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthcheck.bots.liveness import SourceSilence
from healthcheck.checks.bot_errors import evaluate_bot_errors
from healthcheck.logwatch import bots
from healthcheck.logwatch.follow import (
    CommandFollower,
    PathFollower,
    journal_argv,
)
from healthcheck.logwatch.parse import (
    candidate_lines,
    line_timestamp,
    mask,
    parse_line,
)
from healthcheck.logwatch.settings import WatchConfig
from healthcheck.logwatch.store import KEEP_SECONDS, Occurrence, Position, WatchStore
from healthcheck.model.result import Result, Status
from healthcheck.service.metrics import record_bot_error
from healthcheck.storage.redact import scrub

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
PRUNE_EVERY = 3600.0
LAST_LINE_MARK = "last_line:"  # + source id: when the source last wrote a line (epoch seconds)


def last_line_time(
    watch: WatchConfig, lines: list[str], *, now: float, backlog: bool, mtime: float | None
) -> float:
    """Given the lines one poll read from a source, return when the source last wrote a line.

    A journal line carries journald's own time (short-iso, with its zone); a live line of a file
    or command is dated when read; a backlog line of a file (written while we were not running)
    by the file's mtime, never later than now.
    """
    if watch.unit is not None and lines:
        ts = line_timestamp(lines[-1])
        if ts is not None and ts <= now + 60:
            return ts
    if backlog and mtime is not None:
        return min(mtime, now)
    return now


def default_product(watch: WatchConfig, markets: Iterable[str]) -> str | None:
    """Given a [[watch]] entry and its account's markets, return the product to assume for
    lines that do not say (None: decide per code)."""
    if watch.product:
        return watch.product
    ms = tuple(markets)
    return ms[0] if len(ms) == 1 else None


def occurrences_in(
    lines: Iterable[str],
    account: str,
    *,
    now: float,
    backlog: bool,
    mtime: float | None,
    since: float | None,
    default: str | None = None,
    chain: bots.RetryChain | None = None,
) -> list[Occurrence]:
    """Given lines read from a source, return their Binance errors as occurrences.

    ``default`` is the product a bot's own words stand for when the line does not say (the
    account's market); ``chain`` (kept per source) counts one freqtrade retry chain once.

    Live lines are dated when read (``now``): a bot's local-time stamps are not trusted across
    time zones. Backlog lines (the first look at a file, or lines written while we were down)
    take the line's own timestamp, else the file's mtime, and are dropped before ``since``.
    """
    out = []
    chain = chain if chain is not None else bots.RetryChain()
    for line in candidate_lines(list(lines)):
        hits = parse_line(line, default)
        if hits and not chain.counts(line):
            continue
        for hit in hits:
            ts = now
            if backlog:
                ts = hit.ts if hit.ts is not None and hit.ts <= now + 60 else (mtime or now)
                if since is not None and ts < since:
                    continue
            out.append(Occurrence(account, hit.code, hit.product or "", ts, hit.msg, mask(line)))
    return out


@dataclass
class _Source:
    watch: WatchConfig
    follower: Any  # PathFollower | CommandFollower
    last_position: Position | None = None
    chain: bots.RetryChain = field(default_factory=bots.RetryChain)


@dataclass
class Watcher:
    """Follows every [[watch]] source of a config."""

    watches: tuple[WatchConfig, ...]
    markets: dict[str, tuple[str, ...]]  # account -> markets
    store: WatchStore
    state_dir: Path | None = None
    oneshot: bool = False  # `check`: no --follow, commands are not run
    sources: list[_Source] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # account -> why it has no data
    problems: dict[int, str | None] = field(default_factory=dict)  # one-shot commands' trouble

    def __post_init__(self) -> None:
        for w in self.watches:
            name = f"watch[{w.index}] {w.label}"
            if w.path is not None:
                f: Any = PathFollower(w.path, self.store.position(w.source_id), name=name)
            elif w.unit is not None:
                cursor = (self.state_dir or Path(".")) / f"journal-{w.unit}.cursor"
                argv = journal_argv(w.unit, cursor, since_seconds=w.window, follow=not self.oneshot)
                f = CommandFollower(argv, name=name)
            elif self.oneshot:
                self.skipped[w.account] = (
                    f"{name}: a command is only followed by the daemon (`run`)"
                )
                continue
            else:
                f = CommandFollower(list(w.command), name=name)
            self.sources.append(_Source(w, f))
        self._all_sources = list(self.sources)  # drain() drops finished one-shot commands
        self.started_at = time.time()  # a source that never wrote a line is silent since then
        self.last_line: dict[str, float] = {}  # source id -> when it last wrote a line
        for w in self.watches:
            stored = self.store.mark(LAST_LINE_MARK + w.source_id)
            try:
                self.last_line[w.source_id] = float(stored) if stored is not None else 0.0
            except ValueError:
                self.last_line[w.source_id] = 0.0
            if not self.last_line[w.source_id] > 0:
                del self.last_line[w.source_id]
        self._stop = threading.Event()
        self._latest: dict[tuple[str, str], Result] = {}
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    @classmethod
    def from_config(cls, config: Any, store: WatchStore, *, oneshot: bool = False) -> Watcher:
        markets = {a.name: tuple(a.markets) for a in config.accounts}
        return cls(tuple(config.watch), markets, store, config.state_dir(), oneshot)

    # ------------------------------------------------------------------ reading
    def poll_once(self, now: float | None = None) -> int:
        """Read every source once; store positions and occurrences; return how many found."""
        now = time.time() if now is None else now
        positions: dict[str, Position] = {}
        found: list[Occurrence] = []
        marks: dict[str, str] = {}
        for s in self.sources:
            try:
                batch = s.follower.poll()
            except Exception:  # noqa: BLE001 - one broken source must not stop the others
                log.exception("%s: unexpected error while reading; retrying", s.watch.label)
                continue
            if batch.lines:
                backlog = batch.backlog or self.oneshot
                ts = last_line_time(
                    s.watch, batch.lines, now=now, backlog=backlog, mtime=batch.mtime
                )
                sid = s.watch.source_id
                if ts > self.last_line.get(sid, 0.0):
                    self.last_line[sid] = ts
                    marks[LAST_LINE_MARK + sid] = repr(ts)
                found.extend(
                    occurrences_in(
                        batch.lines,
                        s.watch.account,
                        now=now,
                        backlog=batch.backlog or self.oneshot,
                        mtime=batch.mtime,
                        since=now - s.watch.window,
                        default=default_product(s.watch, self.markets.get(s.watch.account, ())),
                        chain=s.chain,
                    )
                )
            pos = getattr(s.follower, "position", None)
            if pos is not None and pos != s.last_position:
                positions[s.watch.source_id] = pos
                s.last_position = pos
        self.store.commit_batch(positions, found, marks)
        if now - self._last_prune > PRUNE_EVERY:
            self._last_prune = now
            self.store.prune(now - KEEP_SECONDS)
        if found:
            for o in found:
                log.info("bot log of %s: Binance error %s", o.account, o.code)
                record_bot_error(o.account, o.code)
        return len(found)

    def drain(
        self, now: float | None = None, max_polls: int = 64, command_timeout: float = 10.0
    ) -> None:
        """Poll until the sources have nothing more to give (for `check`): files to their end,
        one-shot commands (journalctl without --follow) until they exit or time out."""
        deadline = time.monotonic() + command_timeout
        commands = [s.follower for s in self.sources if isinstance(s.follower, CommandFollower)]
        while commands and time.monotonic() < deadline:
            self.poll_once(now)
            if all(c.restarts > 0 or c.proc is None for c in commands):
                break
            time.sleep(0.05)
        for c in commands:
            if c.restarts == 0 and c.proc is not None:
                log.warning(
                    "%s: did not finish in %.0f s; using what it printed", c.name, command_timeout
                )
            elif c.last_exit:
                c.w.warn("exit", f"{c.name}: exited with code {c.last_exit}")
            self.problems[id(c)] = c.problem
            c.close()
        self.sources = [s for s in self.sources if not isinstance(s.follower, CommandFollower)]
        for _ in range(max_polls):
            before = [getattr(s.follower, "position", None) for s in self.sources]
            self.poll_once(now)
            after = [getattr(s.follower, "position", None) for s in self.sources]
            if before == after:
                break

    def _problem(self, source: _Source) -> str | None:
        if id(source.follower) in self.problems:
            return self.problems[id(source.follower)]
        return getattr(source.follower, "problem", None)

    def start(self) -> Watcher:
        self._thread = threading.Thread(target=self._loop, name="logwatch", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - the thread must outlive any bug
                log.exception("log watcher poll failed; continuing")
            self._stop.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for s in self.sources:
            try:
                s.follower.close()
            except Exception:  # noqa: BLE001
                log.debug("closing %s failed", s.watch.label, exc_info=True)

    # ------------------------------------------------------------------ results
    def silences_for(self, account: str) -> list[SourceSilence]:
        """Given an account, return when each of its watched sources last wrote a line (the
        sources this process does not follow, such as commands under `check`, are left out)."""
        out = []
        for s in self._all_sources:
            w = s.watch
            if w.account != account:
                continue
            out.append(
                SourceSilence(
                    label=w.label,
                    stale_after=w.stale_after,
                    last_line_ts=self.last_line.get(w.source_id),
                    watching_since=self.started_at,
                    problem=self._problem(s),
                )
            )
        return out

    def units_for(self, account: str) -> list[str]:
        """Given an account, return the systemd units of its ``unit =`` sources."""
        return [w.unit for w in self.watches if w.account == account and w.unit is not None]

    def facts_for(self, account: str, now: float | None = None) -> BotLogFacts | None:
        """Given an account, return what its watched logs hold now (None if not watched): the
        facts the bot_errors check evaluates."""
        now = time.time() if now is None else now
        ws = [w for w in self.watches if w.account == account]
        if not ws:
            return None
        first = ws[0]
        severity: dict[int, Status] = {}
        for w in ws:
            severity.update(w.severity)
        settings = WatchConfig(
            account=account,
            path=first.path,
            command=first.command,
            unit=first.unit,
            window=first.window,
            threshold=first.threshold,
            severity=severity,
            product=first.product,
            index=first.index,
        )
        unreadable = [
            p
            for p in (self._problem(s) for s in self._all_sources if s.watch.account == account)
            if p
        ]
        occ = self.store.occurrences(account, now - settings.window)
        note = self.skipped.get(account, "") if not occ else ""
        return BotLogFacts(
            settings,
            list(occ),
            default_product(first, self.markets.get(account, ())),
            unreadable,
            note,
        )

    def results(
        self,
        others: Iterable[Result],
        now: float | None = None,
        accounts: Iterable[str] | None = None,
    ) -> list[Result]:
        """Given the other results of this run, return one bot_errors result per watched
        account (several [[watch]] of one account are merged; window and threshold come from
        the first)."""
        now = time.time() if now is None else now
        # the daemon runs each check at its own interval: quote the latest result of each
        for r in others:
            if r.check != "bot_errors":
                self._latest[(r.account, r.check)] = r
        others = list(self._latest.values())
        wanted = set(accounts) if accounts is not None else None
        out = []
        for account in dict.fromkeys(w.account for w in self.watches):
            facts = self.facts_for(account, now) if wanted is None or account in wanted else None
            if facts is None:
                continue
            r = evaluate_bot_errors(
                account,
                facts.occurrences,
                facts.settings,
                now,
                [r for r in others if r.account == account],
                facts.default_product,
                unavailable=facts.unavailable,
            )
            if facts.note:
                r.summary += f" ({facts.note})"
            r.summary = scrub(r.summary)  # like every check's text (runner._scrub_result)
            for info in r.details.get("codes", []):
                info["sample"] = scrub(info["sample"])
            out.append(r)
        return out


@dataclass
class BotLogFacts:
    """What one account's watched logs hold at a run: the facts of the bot_errors check."""

    settings: WatchConfig
    occurrences: list[Occurrence]
    default_product: str | None
    unavailable: list[str]
    note: str = ""  # why older lines were skipped, if they were
