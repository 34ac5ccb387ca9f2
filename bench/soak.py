"""Soak test: an in-process daemon against the simulator with random faults switched on and off.

    python bench/soak.py [--runs N] [--accounts K] [--seed S] [--failure-threshold T]

A *check run* is one check evaluated for one account; every tick runs every registered check
(11) for every account, so the default 10,000 runs with 2 accounts is ~455 ticks. The daemon is
driven by calling ``Daemon.tick()`` in a loop as fast as it goes (no scheduler, no sleeping;
``--tick-seconds`` paces it), with every check due on every tick.
Between ticks a seeded RNG switches faults in the simulator:

* account presets (hedge_mode, margin_critical, quant_locked, cannot_trade, unknown_key, ...),
  at most one per (account, check family), each held for 3-12 ticks so it alerts, or for 1 tick
  (a blip that must not alert while failure_threshold >= 2);
* simulator-wide presets (clock_warn / clock_ahead, maintenance);
* account-scoped transport faults (http_502, reset, close, malformed_json, timeout, ...), held
  for 4-8 ticks (UNKNOWN alerts need ``unknown_threshold`` = 3 consecutive runs) or 1-2 ticks.

The simulator and its NTP responders run in a child process (commands on its stdin), so the
numbers below are the daemon's process alone: the daemon, its apprise delivery worker and a
JsonReceiver (tests/support/receivers.py) that takes the alerts over real ``json://``.

Every 500 check runs (~36 ticks) it samples RSS (VmRSS), open file descriptors and live threads,
after letting the outbox drain (so short-lived send threads are not counted), and prints a table
and the growth from the first to the last quartile of the samples. Two bounded, expected kinds of
growth are shown in their own columns: keep-alive connections to the simulator (each client pool
keeps up to 10, as many as its peak concurrency) and the runner's fetch threads (started lazily,
up to ``max_workers``, when requests pile up behind a timeout fault); the weight book's 60 s
window of request records is shown too (it fills during the first minute at this rate). The
receiver's messages are folded into compact counts at every sample so the harness itself does
not grow. The numbers are a report; only the alerting property and counts are judged, never
timing. ``--tracemalloc`` adds where Python memory grew.

At the end all faults are cleared, the daemon ticks until every check is OK again, the outbox
drains, and the receiver's messages are checked item by item against the incidents that the
per-tick results imply under the alert rules (``failure_threshold`` consecutive bad runs,
``unknown_threshold`` for UNKNOWN): for every (account, check), exactly one FIRING item and
exactly one RESOLVED item per incident, in order, no duplicate messages. The state DB history
(flips) and outbox are cross-checked, and the simulator-side fault timeline is used to check
that every fault held long enough was alerted on and that every alert had a fault behind it.

Prints PASS/FAIL lines; exits 1 if any FAIL (a crash exits non-zero too).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from healthcheck.config import CHECK_IDS, AlertUrl, ChecksConfig  # noqa: E402
from healthcheck.engine.reuse import BAD_NEWS_REUSE_SECONDS  # noqa: E402
from healthcheck.model.result import Status  # noqa: E402
from healthcheck.storage.secrets import Secret  # noqa: E402

# ------------------------------------------------------------------------------ fault catalogue

# Account presets by the check they target; at most one active per (account, family), and a
# fault name is active on at most one account at a time (clear_fault clears by name).
PRESET_FAMILIES: dict[str, tuple[str, ...]] = {
    "position_mode": ("hedge_mode",),
    "trading_status": (
        "quant_locked",
        "cannot_trade",
        "reduce_only",
        "quant_near",
        "account_restricted",
        "spot_locked",
    ),
    "balance": ("margin_critical", "margin_warning", "low_balance", "spot_low_balance"),
    "api_key": (
        "withdrawals_enabled",
        "trading_authority_expiring",
        "no_ip_restriction",
        "unknown_key",
    ),
}
PRESET_CHECK = {name: fam for fam, names in PRESET_FAMILIES.items() for name in names}
# simulator-wide presets: family -> (names, the check they break for every account)
GLOBAL_FAMILIES: dict[str, tuple[tuple[str, ...], str]] = {
    "clock": (("clock_warn", "clock_ahead"), "clock"),
    "maintenance": (("maintenance",), "system_status"),
}
TRANSPORT = (
    "http_502",
    "http_503",
    "http_500",
    "reset",
    "close",
    "malformed_json",
    "truncated",
    "html_200",
    "empty_body",
    "timeout",
)
TRANSPORT_SCOPES = (None, None, "/fapi", "/sapi", "/api")

P_PRESET = 0.035  # per tick, per free (account, family)
P_GLOBAL = 0.01  # per tick, per free global family
P_TRANSPORT = 0.03  # per tick while no transport fault is active
REQUEST_TIMEOUT = 1.0  # daemon request timeout; the 'timeout' fault holds requests 2 s


# ------------------------------------------------------------------------------ simulator child


def _sim_child(n_accounts: int) -> int:
    """Child process: run the simulator + 3 NTP responders; obey JSON-line commands on stdin."""
    import json

    logging.basicConfig(level=logging.ERROR)
    from healthcheck.simulator import NtpResponder, Simulator
    from healthcheck.simulator.server import GROUPS

    sim = Simulator().start()
    # the soak sends ~30 requests per tick as fast as it can: far above Binance's real limits
    sim.limits = {g: 1_000_000_000 for g in GROUPS}
    ntps = [NtpResponder().start() for _ in range(3)]
    accounts = []
    for i in range(n_accounts):
        a = sim.add_account(f"acct{i}")
        accounts.append((a.name, a.api_key, a.api_secret))

    def reply(*msg: Any) -> None:
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()

    reply("ready", sim.url, accounts, [list(r.address) for r in ntps])
    try:
        for line in sys.stdin:
            cmd, *args = json.loads(line)
            try:
                if cmd == "set":
                    name, kwargs = args
                    sim.set_fault(name, **kwargs)
                elif cmd == "clear":
                    sim.clear_fault(args[0])
                elif cmd == "clear_all":
                    sim.clear_fault()
                elif cmd == "stop":
                    reply("ok", None)
                    break
                with sim.lock:  # the request log is test history, not simulator state
                    if len(sim.requests) > 5000:
                        sim.requests.clear()
                reply("ok", None)
            except Exception as e:  # noqa: BLE001 - report, keep serving
                reply("error", repr(e))
    finally:
        for r in ntps:
            r.stop()
        sim.stop()
    return 0


class SimProcess:
    """The simulator in a child process (``soak.py --sim-child K``), driven over its stdin."""

    def __init__(self, n_accounts: int) -> None:
        import subprocess

        env = dict(
            os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        )
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--sim-child", str(n_accounts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        msg = self._read()
        assert msg[0] == "ready", msg
        _, self.url, self.accounts, self.ntp = msg

    def _read(self) -> list[Any]:
        import json

        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator process ended (exit {self.proc.poll()})")
        return json.loads(line)

    def call(self, *cmd: Any) -> None:
        import json

        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        status, detail = self._read()
        if status != "ok":
            raise RuntimeError(f"simulator command {cmd!r} failed: {detail}")

    def stop(self) -> None:
        try:
            self.call("stop")
        except (OSError, RuntimeError, ValueError):
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()
        try:
            self.proc.wait(10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait(5)


# ------------------------------------------------------------------------------ fault schedule


@dataclass
class Episode:
    name: str
    kind: str  # preset | global | transport
    family: str
    account: str | None  # None: simulator-wide
    start: int  # first tick that sees it
    end: int  # first tick that no longer sees it
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def hold(self) -> int:
        return self.end - self.start

    def label(self) -> str:
        where = self.account or "all"
        scope = self.params.get("scope")
        return f"{self.name}@{where}{scope or ''} ticks {self.start}-{self.end - 1}"


class FaultSchedule:
    """Seeded random fault switching between ticks; keeps the full timeline."""

    def __init__(self, sim: SimProcess, accounts: list[str], rng: random.Random) -> None:
        self.sim = sim
        self.accounts = accounts
        self.rng = rng
        self.active: list[Episode] = []
        self.timeline: list[Episode] = []

    def _names_in_use(self) -> set[str]:
        return {e.name for e in self.active}

    def _start(self, ep: Episode) -> None:
        kwargs: dict[str, Any] = dict(ep.params)
        if ep.account is not None:
            kwargs["account"] = ep.account
        self.sim.call("set", ep.name, kwargs)
        self.active.append(ep)
        self.timeline.append(ep)

    def step(self, tick: int) -> None:
        """Switch faults before ``tick``: end the due episodes, maybe start new ones."""
        rng = self.rng
        for ep in [e for e in self.active if e.end <= tick]:
            self.sim.call("clear", ep.name)
            self.active.remove(ep)
        used = self._names_in_use()
        busy = {(e.account, e.family) for e in self.active}
        for acct in self.accounts:
            for fam, names in PRESET_FAMILIES.items():
                if (acct, fam) in busy or rng.random() >= P_PRESET:
                    continue
                free = [n for n in names if n not in used]
                if not free:
                    continue
                name = rng.choice(free)
                hold = 1 if rng.random() < 0.15 else rng.randint(3, 12)
                self._start(Episode(name, "preset", fam, acct, tick, tick + hold))
                used.add(name)
        for fam, (names, _check) in GLOBAL_FAMILIES.items():
            if (None, fam) in busy or rng.random() >= P_GLOBAL:
                continue
            name = rng.choice(names)
            self._start(Episode(name, "global", fam, None, tick, tick + rng.randint(3, 8)))
        if not any(e.kind == "transport" for e in self.active) and rng.random() < P_TRANSPORT:
            name = rng.choice(TRANSPORT)
            params: dict[str, Any] = {}
            scope = rng.choice(TRANSPORT_SCOPES)
            if scope:
                params["scope"] = scope
            if name == "timeout":
                params["seconds"] = 2.0  # > REQUEST_TIMEOUT: every hit is a client timeout
                hold = rng.randint(3, 4)
            else:
                hold = rng.randint(1, 2) if rng.random() < 0.4 else rng.randint(4, 8)
            self._start(
                Episode(
                    name,
                    "transport",
                    "transport",
                    rng.choice(self.accounts),
                    tick,
                    tick + hold,
                    params,
                )
            )

    def clear_all(self, tick: int) -> None:
        self.sim.call("clear_all")
        for ep in self.active:
            ep.end = min(ep.end, tick)
        self.active.clear()


# ------------------------------------------------------------------------------ alert model


@dataclass
class _KeyModel:
    last: Status | None = None
    consecutive_bad: int = 0
    bad_since: int | None = None
    notified: bool = False


class AlertModel:
    """The alert rules' notion of an incident, applied to the per-tick results.

    An incident opens when a check has been non-OK for ``failure_threshold`` consecutive runs
    (``unknown_threshold`` when the current result is UNKNOWN) and closes at the next OK; each
    incident must produce exactly one FIRING and one RESOLVED item.
    """

    def __init__(self, failure_threshold: int, unknown_threshold: int) -> None:
        self.ft = failure_threshold
        self.ut = unknown_threshold
        self.keys: dict[tuple[str, str], _KeyModel] = defaultdict(_KeyModel)
        # (account, check) -> [("F", tick, bad_since) | ("R", tick, None)]
        self.events: dict[tuple[str, str], list[tuple[str, int, int | None]]] = defaultdict(list)
        self.flips = 0  # status changes the engine writes to history
        # (account, check) -> [first, last] tick ranges during which an incident was open
        self.notified_spans: dict[tuple[str, str], list[list[int]]] = defaultdict(list)
        self.firing_summary: dict[tuple[tuple[str, str], int], str] = {}

    def feed(self, tick: int, results: list[Any]) -> None:
        for r in results:
            key = (r.account, r.check)
            m = self.keys[key]
            st = r.status
            if m.last != st and not (m.last is None and st is Status.OK):
                self.flips += 1
            m.last = st
            if st is Status.OK:
                if m.notified:
                    self.events[key].append(("R", tick, None))
                m.consecutive_bad, m.bad_since, m.notified = 0, None, False
                continue
            m.consecutive_bad += 1
            if m.consecutive_bad == 1:
                m.bad_since = tick
            threshold = self.ut if st is Status.UNKNOWN else self.ft
            if not m.notified and m.consecutive_bad >= max(1, threshold):
                m.notified = True
                self.events[key].append(("F", tick, m.bad_since))
                self.firing_summary[(key, tick)] = f"{st.name}: {r.summary}"[:160]
            if m.notified:
                spans = self.notified_spans[key]
                if spans and spans[-1][1] == tick - 1:
                    spans[-1][1] = tick
                else:
                    spans.append([tick, tick])

    def notified_during(self, key: tuple[str, str], first: int, last: int) -> bool:
        return any(a <= last and b >= first for a, b in self.notified_spans.get(key, ()))

    def open_incidents(self) -> list[tuple[str, str]]:
        return [k for k, m in self.keys.items() if m.notified or m.last is not Status.OK]


# ------------------------------------------------------------------------------ receiver parsing

_TITLE_RE = re.compile(r"^\[(\w+)\] (.+?): ")
_ACTIVE_RE = re.compile(r"^(CRITICAL|WARNING|UNKNOWN) (\w+)(?: \((.*)\))?$")
_RESOLVED_RE = re.compile(r"^RESOLVED (\w+)(?: \(was (\w+)\))?$")
_ID_RE = re.compile(r"^Alert id: (\w+)$", re.M)


def parse_items(
    msg: dict[str, Any],
) -> tuple[str | None, str | None, list[tuple[str, str]], list[str]]:
    """Given an apprise json:// payload, return (account, alert id, [(check, kind)], problems)."""
    title = str(msg.get("title") or "")
    body = str(msg.get("message") or "")
    problems: list[str] = []
    m = _TITLE_RE.match(title)
    account = m.group(2) if m else None
    if account is None:
        problems.append(f"unparsable title {title!r}")
    ids = _ID_RE.findall(body)
    alert_id = ids[-1] if ids else None
    if alert_id is None:
        problems.append("no 'Alert id:' in body")
    if "more check" in body and "not shown" in body:
        problems.append("body truncated: items not shown")
    items: list[tuple[str, str]] = []
    for block in body.split("\n\n"):
        head = block.split("\n", 1)[0].strip()
        if head.startswith(("Time: ", "Alert id: ")):
            continue
        a = _ACTIVE_RE.match(head)
        if a and a.group(2) in CHECK_IDS:
            extra = a.group(3) or ""
            kind = "REMINDER" if extra.startswith("reminder") else "UPDATE" if extra else "FIRING"
            items.append((a.group(2), kind))
            continue
        r = _RESOLVED_RE.match(head)
        if r and r.group(1) in CHECK_IDS:
            items.append((r.group(1), "RESOLVED"))
    if not items:
        problems.append(f"no items in message {title!r}")
    return account, alert_id, items, problems


# ------------------------------------------------------------------------------ process stats


def _owner(tb: Any) -> str:
    """The innermost frame of a tracemalloc traceback in this repository (healthcheck/, bench/,
    tests/), else the innermost frame's package: who keeps the memory."""
    for fr in reversed(list(tb)):
        try:
            return str(Path(fr.filename).resolve().relative_to(ROOT))
        except ValueError:
            continue
    last = Path(list(tb)[-1].filename).parts if len(tb) else ("?",)
    return "/".join(last[-2:]) + " (no frame of ours)"


def snap1_total(snap: Any) -> int:
    return sum(t.size for t in snap.traces)


def rss_kb() -> int:
    return rss_parts()["VmRSS"]


def rss_parts() -> dict[str, int]:
    """VmRSS and its parts in KiB: RssAnon (heap, arenas, stacks) and RssFile + RssShmem (pages
    of mapped files: shared libraries' code as new paths run, SQLite's WAL index)."""
    out = {"VmRSS": -1, "RssAnon": -1, "RssFile": 0, "RssShmem": 0}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in out:
                out[key] = int(line.split()[1])
    return out


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) - 1  # minus listdir's own


def fd_kinds(ports: dict[int, str]) -> Counter:
    """Count open fds by kind; TCP sockets by the named local service they talk to/serve."""
    inodes: dict[str, str] = {}
    for proto in ("tcp", "tcp6", "udp", "udp6", "unix"):
        try:
            with open(f"/proc/net/{proto}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if proto == "unix":
                inodes[cols[6]] = "unix"
                continue
            local, remote = int(cols[1].split(":")[1], 16), int(cols[2].split(":")[1], 16)
            if proto.startswith("udp"):
                inodes[cols[9]] = "udp"
            elif cols[3] == "0A":
                inodes[cols[9]] = f"listen {ports.get(local, local)}"
            elif remote in ports:
                inodes[cols[9]] = f"tcp->{ports[remote]}"
            elif local in ports:
                inodes[cols[9]] = f"tcp<-{ports[local]}"
            else:
                inodes[cols[9]] = "tcp"
    out: Counter = Counter()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out[inodes.get(target[8:-1], "socket")] += 1
        elif target.startswith(("pipe:", "anon_inode:")):
            out[target.split("[")[0].rstrip(":")] += 1
        else:
            out[Path(target).name if "state.db" in target else "file"] += 1
    return out


def thread_names() -> Counter:
    return Counter(re.sub(r"[-_:]?\d+", "", t.name).split(" (")[0] for t in threading.enumerate())


@dataclass
class Sample:
    tick: int
    check_runs: int
    elapsed: float
    rss_kb: int
    fds: int
    threads: int
    pool_threads: int = 0  # the runner's fetch pool (grows lazily up to max_workers)
    book_entries: int = 0  # weight-book request records (a sliding 60 s window)
    sim_conns: int = 0  # keep-alive connections to the simulator (<= 10 per client pool)
    anon_kb: int = 0  # RssAnon: malloc arenas, Python heap, thread stacks
    file_kb: int = 0  # RssFile + RssShmem: mapped files (libraries' code, SQLite -shm)
    mem: dict[str, int] = field(default_factory=dict)  # --mem-detail (bench/memdetail.py)


# ------------------------------------------------------------------------------ the soak


@dataclass
class SoakResult:
    ticks: int = 0
    check_runs: int = 0
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    verdicts: list[tuple[str, bool, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    first_threads: Counter = field(default_factory=Counter)
    last_threads: Counter = field(default_factory=Counter)
    first_fds: Counter = field(default_factory=Counter)
    last_fds: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.verdicts)

    def growth(self) -> dict[str, tuple[float, float]]:
        """Mean of the first vs last quartile of samples, per metric."""
        n = len(self.samples)
        q = max(1, n // 4)
        first, last = self.samples[:q], self.samples[-q:]
        out = {}
        for metric in ("rss_kb", "fds", "threads"):
            a = sum(getattr(s, metric) for s in first) / len(first)
            b = sum(getattr(s, metric) for s in last) / len(last)
            out[metric] = (a, b)
        return out


class _CountingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter = Counter()
        self.examples: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.levelname} {record.name}: {record.msg}"[:120]
        self.counts[key] += 1
        if key not in self.examples:
            try:
                self.examples[key] = record.getMessage()[:300]
            except Exception:  # noqa: BLE001
                self.examples[key] = str(record.msg)[:300]


class Inbox:
    """What the receiver got, kept compact: the receiver's own lists are emptied on each drain,
    so the harness does not grow with the number of alerts."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver
        self.items: dict[tuple[str, str], list[str]] = defaultdict(list)  # key -> kinds
        self.ids: Counter = Counter()
        self.kinds: Counter = Counter()
        self.problems: list[str] = []
        self.messages = 0

    def drain(self) -> None:
        with self.receiver.lock:
            msgs = list(self.receiver.messages)
            self.receiver.messages.clear()
            self.receiver.requests.clear()
        for msg in msgs:
            account, alert_id, items, probs = parse_items(msg)
            self.messages += 1
            self.problems.extend(probs)
            if alert_id:
                self.ids[alert_id] += 1
            for check, kind in items:
                self.items[(account or "?", check)].append(kind[0])
                self.kinds[kind] += 1


def _settle(daemon: Any, timeout: float = 3.0) -> None:
    """Wait until the outbox is drained and no send thread is alive (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = any(t.name == "alert-send" for t in threading.enumerate())
        if not busy and daemon.state.pending_count() == 0:
            daemon.worker.kick()
            time.sleep(0.02)
            return
        time.sleep(0.01)


def run_soak(
    runs: int = 10_000,
    accounts: int = 2,
    seed: int = 1,
    failure_threshold: int = 2,
    unknown_threshold: int = 3,
    sample_every: int = 500,
    warmup_ticks: int = 20,
    out: Any = None,
    progress: bool = True,
    trace: bool = False,
    tick_seconds: float = 0.0,
    mem_detail: bool = False,
    memory_only: bool = False,
) -> SoakResult:
    """Run the soak; return the samples and PASS/FAIL verdicts (also printed to ``out``)."""
    from support.receivers import JsonReceiver

    from healthcheck.demo import demo_config
    from healthcheck.service.daemon import Daemon

    out = out or sys.stdout
    say = (lambda *a: print(*a, file=out, flush=True)) if progress else (lambda *a: None)
    result = SoakResult()
    counter = _CountingHandler()
    hc_log = logging.getLogger("healthcheck")
    old_level, old_propagate = hc_log.level, hc_log.propagate
    hc_log.setLevel(logging.WARNING)
    hc_log.propagate = False  # counted and summarised in the report instead
    hc_log.addHandler(counter)
    noisy_levels = {n: logging.getLogger(n).level for n in ("apprise", "urllib3")}
    for noisy in noisy_levels:
        logging.getLogger(noisy).setLevel(logging.ERROR)

    rng = random.Random(seed)
    sim = SimProcess(accounts)
    receiver = JsonReceiver().__enter__()
    tmp = tempfile.TemporaryDirectory(prefix="bhc-soak-")
    daemon = None
    try:
        creds = {
            name: SimpleNamespace(api_key=key, api_secret=secret)
            for name, key, secret in sim.accounts
        }
        cfg = demo_config(
            sim.url,
            creds,
            [tuple(a) for a in sim.ntp],
            Path(tmp.name) / "state",
            # every item in every message: the model counts them (a Telegram-sized
            # body, the default, names what does not fit in a last line)
            urls=(AlertUrl(Secret(receiver.url, "alert url"), max_chars=1_000_000),),
            failure_threshold=failure_threshold,
            unknown_threshold=unknown_threshold,
            retry_backoff_max=2.0,
            delivery_timeout=10.0,
            # the soak's model counts one incident per (account, check): root-cause
            # grouping (tests/test_alert_rules*.py) would merge some of them
            inhibit=False,
        )
        # every check due on every tick (tick_seconds()/2 of slack is 0.5 ms)
        # (no weight budget: it would rightly stop a daemon that ticks 10 times a second)
        cfg = replace(
            cfg,
            daemon=replace(
                cfg.daemon,
                interval=0.001,
                request_timeout=REQUEST_TIMEOUT,
                weight_budget_share=None,
            ),
            checks=ChecksConfig({c: replace(cfg.checks.get(c), interval=None) for c in CHECK_IDS}),
        )
        names = [n for n, _, _ in sim.accounts]
        inbox = Inbox(receiver)
        ports = {int(sim.url.rsplit(":", 1)[1]): "simulator", receiver.port: "receiver"}
        pre = (open_fds(), threading.active_count())
        pre_threads = set(threading.enumerate())
        daemon = Daemon(cfg)
        daemon.worker.start()  # run() would start it; the soak drives tick() itself
        schedule = FaultSchedule(sim, names, rng)
        model = AlertModel(failure_threshold, unknown_threshold)
        none_ticks = 0
        per_tick = accounts * len(CHECK_IDS)
        total_ticks = max(warmup_ticks, -(-runs // per_tick))
        say(
            f"soak: {accounts} account(s) x {len(CHECK_IDS)} checks, {runs:,} check runs "
            f"(~{total_ticks} ticks incl. {warmup_ticks} warm-up), seed {seed}, "
            f"failure_threshold {failure_threshold}, unknown_threshold {unknown_threshold}"
        )

        t0 = time.monotonic()
        tick = 0
        next_sample = None

        def do_tick() -> None:
            nonlocal tick, none_ticks
            rep = daemon.tick()
            if rep is None:
                none_ticks += 1
            else:
                model.feed(tick, rep.results)
                result.check_runs += len(rep.results)
            tick += 1

        def sample() -> None:
            _settle(daemon)
            inbox.drain()
            if memory_only:  # forget what only the final verification needs: RSS is the daemon's
                model.events.clear()
                model.notified_spans.clear()
                model.firing_summary.clear()
                schedule.timeline.clear()
                inbox.items.clear()
                inbox.ids.clear()
                del inbox.problems[:]
            book = daemon.runner.book
            kinds = fd_kinds(ports)
            parts = rss_parts()
            s = Sample(
                tick,
                result.check_runs,
                time.monotonic() - t0,
                rss_kb(),
                open_fds(),
                threading.active_count(),
                sum(1 for t in threading.enumerate() if t.name.startswith("fetch")),
                sum(len(q) for q in list(getattr(book, "_spent", {}).values())),
                kinds["tcp->simulator"],
                parts["RssAnon"],
                parts["RssFile"] + parts["RssShmem"],
            )
            if mem_detail:
                from memdetail import mem_detail as _md

                s.mem = _md()
            if not result.samples:
                result.first_threads = thread_names()
                result.first_fds = kinds
            result.last_threads = thread_names()
            result.last_fds = kinds
            result.samples.append(s)
            if progress:
                say(
                    f"  tick {s.tick:5d}  runs {s.check_runs:6d}  {s.elapsed:6.1f} s  "
                    f"RSS {s.rss_kb / 1024:6.1f} MiB (anon {s.anon_kb / 1024:.1f}, "
                    f"file {s.file_kb / 1024:.1f})  fds {s.fds:3d} ({s.sim_conns} to the "
                    f"simulator)  threads {s.threads:3d} "
                    f"(fetch pool {s.pool_threads})  weight-book records {s.book_entries}"
                )
                if s.mem:
                    say("    " + "  ".join(f"{k} {v}" for k, v in s.mem.items()))

        # warm-up: pools, apprise import and the first alert path, then the baseline sample
        while tick < warmup_ticks:
            schedule.step(tick)
            do_tick()
        sample()
        if trace:
            import tracemalloc

            tracemalloc.start(16)
            snap0 = tracemalloc.take_snapshot()
        snap_q1 = None  # taken a quarter into the run: growth after it is the steady rate
        next_sample = result.check_runs + sample_every
        next_tick = time.monotonic()
        while result.check_runs < runs:
            schedule.step(tick)
            do_tick()
            if tick_seconds > 0:  # paced like a real daemon (--tick-seconds), not flat out
                next_tick += tick_seconds
                time.sleep(max(0.0, next_tick - time.monotonic()))
            if result.check_runs >= next_sample:
                sample()
                next_sample += sample_every
                if trace and snap_q1 is None and result.check_runs >= runs // 4:
                    snap_q1 = tracemalloc.take_snapshot()
                    q1_elapsed = time.monotonic() - t0
        # drain: every fault off, tick until every check is OK again
        schedule.clear_all(tick)
        drain_ticks = 0
        # a kept answer behind a non-OK check may be up to BAD_NEWS_REUSE_SECONDS old
        drain_deadline = time.monotonic() + BAD_NEWS_REUSE_SECONDS + 10
        while drain_ticks < 3 or (
            model.open_incidents() and (drain_ticks < 30 or time.monotonic() < drain_deadline)
        ):
            do_tick()
            drain_ticks += 1
            if drain_ticks >= 30:
                time.sleep(max(tick_seconds, 0.5))
        deadline = time.monotonic() + 60
        while daemon.state.pending_count() and time.monotonic() < deadline:
            daemon.worker.kick()
            time.sleep(0.05)
        time.sleep(0.2)
        sample()
        result.seconds = time.monotonic() - t0
        if trace:
            snap1 = tracemalloc.take_snapshot()
            tracemalloc.stop()
            skip = [tracemalloc.Filter(False, tracemalloc.__file__)]
            diff = snap1.filter_traces(skip).compare_to(snap0.filter_traces(skip), "traceback")
            total = sum(st.size_diff for st in diff)
            lines = [
                f"tracemalloc: Python heap {total / 1024:+.1f} KiB since the first sample "
                f"(traced now {snap1_total(snap1) / 1024:.0f} KiB); biggest growth:"
            ]
            for st in diff[:8]:
                lines.append(f"  {st.size_diff / 1024:+8.1f} KiB {st.count_diff:+7d} blocks")
                for fr in st.traceback.format()[-12:]:
                    lines.append(f"      {fr.strip()}")
            if snap_q1 is not None:
                late = snap1.filter_traces(skip).compare_to(
                    snap_q1.filter_traces(skip), "traceback"
                )
                minutes = max(1e-9, (time.monotonic() - t0 - q1_elapsed) / 60)
                owners: Counter = Counter()
                for st in late:
                    owners[_owner(st.traceback)] += st.size_diff
                lines.append(
                    f"tracemalloc after the first quarter ({minutes:.1f} min): "
                    f"{sum(owners.values()) / 1024:+.1f} KiB, by the allocating file "
                    f"(the innermost frame in this repository):"
                )
                for owner, size in owners.most_common(12):
                    lines.append(
                        f"  {size / 1024:+8.1f} KiB  {size / 1024 / minutes:+6.1f} KiB/min  {owner}"
                    )
            trace_lines = lines
        result.ticks = tick

        # ------------------------------------------------------------ verification
        verdicts = result.verdicts

        def verdict(name: str, ok: bool, detail: str) -> None:
            verdicts.append((name, ok, detail))

        verdict("no tick crashed", none_ticks == 0, f"{none_ticks} tick(s) returned None")
        verdict(
            f"at least {runs:,} check runs",
            result.check_runs >= runs,
            f"{result.check_runs:,} check runs in {result.ticks} ticks",
        )
        still_open = model.open_incidents()
        verdict(
            "all checks OK after the faults were cleared",
            not still_open,
            f"{drain_ticks} drain tick(s); still open: {still_open[:5]}",
        )

        rows = daemon.state.outbox(limit=10**9)
        pending = [r for r in rows if r.delivered_at is None]
        inbox.drain()
        verdict(
            "outbox drained", not pending, f"{len(rows)} outbox rows, {len(pending)} undelivered"
        )

        received, ids, problems, kinds = inbox.items, inbox.ids, inbox.problems, inbox.kinds
        n_msgs = inbox.messages
        dupes = [i for i, n in ids.items() if n > 1]
        verdict(
            "every message parsed", not problems, "; ".join(problems[:3]) or f"{n_msgs} messages"
        )
        verdict(
            "no message delivered twice",
            not dupes and n_msgs == len(rows),
            f"{n_msgs} received, {len(rows)} outbox rows, {len(dupes)} duplicate ids",
        )
        outbox_ids = {r.alert_id for r in rows}
        verdict(
            "received alert ids == outbox alert ids",
            set(ids) == outbox_ids,
            f"{len(set(ids) ^ outbox_ids)} differ",
        )

        incidents = sum(1 for evs in model.events.values() for e in evs if e[0] == "F")
        resolved = sum(1 for evs in model.events.values() for e in evs if e[0] == "R")
        mismatched = []
        for key in sorted(set(model.events) | set(received)):
            expected = [e[0] for e in model.events.get(key, [])]
            got = [k for k in received.get(key, []) if k in ("F", "R")]
            if expected != got:
                mismatched.append(
                    f"{key[0]}/{key[1]}: expected {''.join(expected)} got {''.join(got)}"
                )
        verdict(
            "exactly one FIRING and one RESOLVED item per incident, in order",
            not mismatched and incidents == resolved and incidents > 0,
            f"{incidents} incidents on {len(model.events)} (account, check) pairs: "
            f"{kinds['FIRING']} FIRING, {kinds['RESOLVED']} RESOLVED, {kinds['UPDATE']} "
            f"UPDATE, {kinds['REMINDER']} REMINDER items in {n_msgs} messages"
            + (f"; mismatches: {mismatched[:4]}" if mismatched else ""),
        )

        history = daemon.state.history(limit=10**9)
        to_bad = sum(
            1
            for h in history
            if h.new_status is not Status.OK and h.old_status in (None, Status.OK)
        )
        verdict(
            "state DB history == status flips seen in the ticks",
            len(history) == model.flips,
            f"{len(history)} history rows, {model.flips} flips seen; {to_bad} OK->bad flips "
            f"of which {incidents} reached the alert threshold",
        )

        # the fault timeline: every fault held long enough was alerted on ...
        missed = []
        detected = 0
        judged = 0
        for ep in schedule.timeline:
            if ep.kind == "preset":
                need = failure_threshold
                keys = [(ep.account, PRESET_CHECK[ep.name])]
            elif ep.kind == "global":
                need = failure_threshold
                check = GLOBAL_FAMILIES[ep.family][1]
                keys = [(a, check) for a in names]
            else:  # transport: UNKNOWN on some check of that account (or a shared endpoint)
                need = unknown_threshold
                keys = [(a, c) for a in names for c in CHECK_IDS]
            if ep.hold < need + 1:
                continue
            judged += 1
            if ep.kind == "transport":
                hit = any(model.notified_during(k, ep.start, ep.end - 1) for k in keys)
            else:
                hit = all(model.notified_during(k, ep.start, ep.end - 1) for k in keys)
            if hit:
                detected += 1
            else:
                missed.append(ep.label())
        verdict(
            "every fault held >= threshold+1 ticks was alerted on",
            not missed,
            f"{detected}/{judged} episodes alerted ({len(schedule.timeline)} episodes in all, "
            f"the rest were blips)" + (f"; missed: {missed[:4]}" if missed else ""),
        )
        # ... and every alert had a fault behind it (on that account, or global / transport)
        active_at: dict[int, list[Episode]] = defaultdict(list)
        for ep in schedule.timeline:
            for t in range(ep.start, ep.end):
                active_at[t].append(ep)
        unexplained = []
        for key, evs in model.events.items():
            for kind, t, since in evs:
                if kind != "F":
                    continue
                window = range(since if since is not None else t, t + 1)
                if not any(
                    ep.account in (None, key[0]) or ep.kind == "transport"
                    for tt in window
                    for ep in active_at[tt]
                ):
                    unexplained.append(
                        f"{key[0]}/{key[1]} at tick {t} ({model.firing_summary.get((key, t), '?')})"
                    )
        verdict(
            "no alert without a fault behind it",
            not unexplained,
            f"{incidents - len(unexplained)}/{incidents} incidents coincide with a fault"
            + (f"; unexplained: {unexplained[:4]}" if unexplained else ""),
        )

        if memory_only:
            verdicts[:] = [
                v
                for v in verdicts
                if v[0] in ("no tick crashed", "outbox drained") or v[0].startswith("at least")
            ]
            verdicts.append(
                (
                    "--memory-only: the alert verification was skipped",
                    True,
                    "the harness forgot its incident records at every sample",
                )
            )
        ep_kinds = Counter(ep.kind for ep in schedule.timeline)
        result.stats = {
            "trace": trace_lines if trace else [],
            "episodes": dict(ep_kinds),
            "faults_used": len({e.name for e in schedule.timeline}),
            "messages": n_msgs,
            "incidents": incidents,
            "drain_ticks": drain_ticks,
            "log": counter.counts,
            "log_examples": counter.examples,
            "pre_daemon": pre,
            "db_bytes": sum(f.stat().st_size for f in (Path(tmp.name) / "state").glob("state.db*")),
        }
    finally:
        if daemon is not None:
            daemon._shutdown()  # what run() does on SIGTERM: stop worker, close clients and DB
        time.sleep(0.2)  # shutdown(wait=False) lets idle pool threads end on their own
        result.stats["post_shutdown"] = (open_fds(), threading.active_count())
        result.stats["post_shutdown_threads"] = sorted(
            t.name for t in set(threading.enumerate()) - (pre_threads if daemon else set())
        )
        receiver.__exit__(None, None, None)
        sim.stop()
        tmp.cleanup()
        hc_log.removeHandler(counter)
        hc_log.setLevel(old_level)
        hc_log.propagate = old_propagate
        # apprise's per-call logs (failure reasons) come through its logger's level: restore it
        # so whatever runs next in this process (the test suite) gets them again
        for name, level in noisy_levels.items():
            logging.getLogger(name).setLevel(level)
    return result


# ------------------------------------------------------------------------------ report


def report(res: SoakResult, out: Any = None) -> None:
    out = out or sys.stdout
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p()
    p(
        f"{'tick':>6} {'check runs':>10} {'elapsed s':>9} {'RSS MiB':>8} {'fds':>4} {'(to sim)':>8}"
        f" {'threads':>7} {'(fetch pool)':>12} {'weight-book records':>19}"
    )
    for s in res.samples:
        p(
            f"{s.tick:6d} {s.check_runs:10d} {s.elapsed:9.1f} {s.rss_kb / 1024:8.1f} "
            f"{s.fds:4d} {s.sim_conns:8d} {s.threads:7d} {s.pool_threads:12d} "
            f"{s.book_entries:19d}"
        )
    g = res.growth()
    q = max(1, len(res.samples) // 4)
    p(f"\nfirst vs last quartile ({q} sample(s) each):")
    a, b = g["rss_kb"]
    p(
        f"  RSS      {a / 1024:7.1f} -> {b / 1024:7.1f} MiB  ({(b - a) / 1024:+.1f} MiB, "
        f"{(b - a) / a * 100:+.1f}%)"
    )
    for m in ("fds", "threads"):
        a, b = g[m]
        p(f"  {m:8} {a:7.1f} -> {b:7.1f}      ({b - a:+.1f})")
    first, last = res.samples[0], res.samples[-1]
    p(
        f"  first -> last sample: RSS {(last.rss_kb - first.rss_kb) / 1024:+.1f} MiB, "
        f"fds {last.fds - first.fds:+d}, threads {last.threads - first.threads:+d}"
    )
    if res.first_fds != res.last_fds:
        p(f"  fds by kind, first: {dict(sorted(res.first_fds.items()))}")
        p(f"  fds by kind, last:  {dict(sorted(res.last_fds.items()))}")
    if res.first_threads != res.last_threads:
        p(f"  threads by name, first: {dict(res.first_threads)}")
        p(f"  threads by name, last:  {dict(res.last_threads)}")
    st = res.stats
    if "pre_daemon" in st:
        p(
            f"  before the daemon: fds {st['pre_daemon'][0]}, threads {st['pre_daemon'][1]}; "
            f"after its shutdown: fds {st['post_shutdown'][0]}, threads {st['post_shutdown'][1]}"
            + (
                f" (new: {', '.join(st['post_shutdown_threads'])})"
                if st.get("post_shutdown_threads")
                else ""
            )
        )
    p(
        f"\n{res.ticks} ticks, {res.check_runs:,} check runs in {res.seconds:.1f} s "
        f"({res.ticks / res.seconds:.1f} ticks/s, {res.check_runs / res.seconds:.0f} check runs/s)"
    )
    if st.get("db_bytes"):
        p(
            f"state.db + WAL at the end: {st['db_bytes'] / 1024:.0f} KiB "
            f"(the daemon prunes delivered alerts and history older than 30 days hourly)"
        )
    if "episodes" in st:
        p(
            f"fault episodes: {st['episodes']} ({st['faults_used']} distinct faults); "
            f"{st['incidents']} incidents, {st['messages']} messages"
        )
    for line in st.get("trace", []):
        p(line)
    if st.get("log"):
        p("daemon log lines at WARNING or above (by message template):")
        for key, n in st["log"].most_common(12):
            p(f"  {n:5d} x {st['log_examples'][key][:150]}")
    p()
    for name, ok, detail in res.verdicts:
        p(f"{'PASS' if ok else 'FAIL'}: {name} ({detail})")


def rss_curve(res: SoakResult, out: Any = None) -> None:
    """Print RSS growth per minute for each quarter of the run: a leak keeps a steady slope,
    warm-up growth (caches, pools, the weight book's window) flattens out."""

    def p(*a: Any) -> None:
        print(*a, file=out or sys.stdout)

    samples = res.samples[1:-1] or res.samples  # skip the baseline and the post-drain sample
    if len(samples) < 5:
        return
    p("RSS curve (growth per minute in each quarter of the run):")
    q = len(samples) // 4
    for n in range(4):
        part = samples[n * q : (n + 1) * q + 1] if n < 3 else samples[3 * q :]
        a, b = part[0], part[-1]
        minutes = max(1e-9, (b.elapsed - a.elapsed) / 60)
        p(
            f"  Q{n + 1}: {a.elapsed / 60:6.1f}-{b.elapsed / 60:6.1f} min  RSS "
            f"{a.rss_kb / 1024:6.1f} -> {b.rss_kb / 1024:6.1f} MiB  "
            f"{(b.rss_kb - a.rss_kb) / 1024 / minutes:+.3f} MiB/min  (anon "
            f"{(b.anon_kb - a.anon_kb) / 1024 / minutes:+.3f}, file "
            f"{(b.file_kb - a.file_kb) / 1024 / minutes:+.3f})"
        )
        if a.mem and b.mem:
            p(
                "       "
                + "  ".join(f"{k} {(b.mem[k] - a.mem[k]) / minutes:+.1f}" for k in a.mem)
                + "  (KiB or count per minute)"
            )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--sim-child"]:
        return _sim_child(int(argv[1]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000, help="check runs (default 10000)")
    ap.add_argument("--accounts", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--failure-threshold", type=int, default=2)
    ap.add_argument("--unknown-threshold", type=int, default=3)
    ap.add_argument("--sample-every", type=int, default=500, help="check runs between samples")
    ap.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also show where memory grew (slow; for hunting a leak)",
    )
    ap.add_argument(
        "--tick-seconds",
        type=float,
        default=0.0,
        help="pace the ticks like a real daemon (e.g. 1); default: flat out",
    )
    ap.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="with --tick-seconds: run this long (sets --runs)",
    )
    ap.add_argument(
        "--no-malloc-trim",
        action="store_true",
        help="do not trim glibc's malloc arenas after ticks (to compare the curves)",
    )
    ap.add_argument(
        "--mem-detail",
        action="store_true",
        help="also sample where anonymous memory is (bench/memdetail.py)",
    )
    ap.add_argument(
        "--memory-only",
        action="store_true",
        help="forget the incident records the final verification needs, so RSS "
        "shows the daemon's memory alone (skips that verification)",
    )
    ap.add_argument(
        "--no-mmap-threshold",
        action="store_true",
        help="leave glibc's dynamic mmap threshold (to compare the curves)",
    )
    args = ap.parse_args(argv)
    if args.no_mmap_threshold:
        from healthcheck.service import memtrim

        memtrim.configure = lambda *a, **k: False  # type: ignore[assignment]  # noqa: ARG005
    if args.no_malloc_trim:
        from healthcheck.service import memtrim

        memtrim.maybe_trim = lambda *a, **k: False  # type: ignore[assignment]  # noqa: ARG005
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    runs = args.runs
    if args.minutes is not None and args.tick_seconds > 0:
        runs = int(args.minutes * 60 / args.tick_seconds) * args.accounts * len(CHECK_IDS)
    res = run_soak(
        runs,
        args.accounts,
        args.seed,
        args.failure_threshold,
        args.unknown_threshold,
        args.sample_every,
        trace=args.tracemalloc,
        tick_seconds=args.tick_seconds,
        mem_detail=args.mem_detail,
        memory_only=args.memory_only,
    )
    report(res)
    rss_curve(res)
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
