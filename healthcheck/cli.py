"""The command line: ``binance-healthcheck check|run|plan|demo|simulator|notify-test|config``.

This is the only layer that prints. Heavy imports (python-binance costs ~0.4 s, apprise ~0.15 s,
APScheduler ~0.1 s) happen inside the subcommand that needs them, so ``--help`` and config errors
are instant. Exit codes follow Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; configuration and
usage errors exit 3 as well, with one line per problem on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthcheck import __version__
from healthcheck.config import CHECK_IDS, Config, ConfigError, load_config
from healthcheck.model.result import Status
from healthcheck.render import render_text
from healthcheck.storage.redact import scrub, setup_logging

if TYPE_CHECKING:
    from healthcheck.storage.state import StateDB

log = logging.getLogger("healthcheck")

EXIT_CONFIG = 3  # configuration/usage errors: Nagios UNKNOWN
EXIT_INTERNAL = 3


def _err(msg: str) -> None:
    print(f"binance-healthcheck: {scrub(msg)}", file=sys.stderr)


def _load(path: str, *, secrets: bool = True) -> Config | None:
    try:
        return load_config(path, secrets=secrets)
    except ConfigError as exc:
        for problem in exc.problems:
            _err(problem)
        return None


def _parse_only(text: str | None) -> set[str] | None:
    if not text:
        return None
    only = {c.strip() for c in text.split(",") if c.strip()}
    bad = sorted(only - set(CHECK_IDS))
    if bad:
        raise ValueError(
            f"--only: unknown check {', '.join(repr(b) for b in bad)} "
            f"(valid: {', '.join(CHECK_IDS)})"
        )
    return only


def _open_state(config: Config, quiet: bool = False):
    from healthcheck.storage.state import StateDB, StateError, StateTooNew

    path = config.state_dir()
    try:
        return StateDB.open(path)
    except StateTooNew:
        raise  # the command refuses to run (EXIT_CONFIG), see main()
    except StateError as exc:
        if not quiet:
            _err(f"warning: {exc}; bans and caches will not be remembered between runs")
        return None


# ------------------------------------------------------------------------------- commands


def cmd_check(args: argparse.Namespace) -> int:
    if args.json and args.nagios:
        _err("--json and --nagios cannot be combined (pick one output format)")
        return EXIT_CONFIG
    try:
        only = _parse_only(args.only)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_CONFIG
    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    report, mutes, pending = _check_once(config, only, args)
    _print_report(args, config, report, mutes)
    if args.prometheus_textfile:
        from healthcheck.service.metrics import write_textfile

        try:
            write_textfile(args.prometheus_textfile, report, pending)
        except OSError as exc:
            _err(
                f"--prometheus-textfile: cannot write {args.prometheus_textfile}: "
                f"{exc.strerror or exc}"
            )
            return EXIT_INTERNAL
    return int(report.status)


def _check_once(
    config: Config, only: set[str] | None, args: argparse.Namespace
) -> tuple[Any, dict[tuple[str, str], Any], int | None]:
    """Run the checks once (and with --notify, alert like the daemon); return the report, what
    mutes each result, and the alerts still in the outbox after --notify (else None)."""
    from healthcheck.engine.runner import Runner

    state = _open_state(config, quiet=args.json or args.nagios)
    watched = (
        _bot_logs_once(config)
        if config.watch and (only is None or {"bot_errors", "bot_alive"} & only)
        else None
    )
    runner = Runner(config, state, bot_logs=watched)
    pending = None  # alerts still in the outbox after --notify (for --prometheus-textfile)
    try:
        report = runner.run(only)
        if args.notify:
            from healthcheck.service.daemon import notify_once

            notify_once(config, state, report)
            if state is not None:
                pending = state.pending_count()
        mutes = _mutes_of(config, state, report)
    finally:
        runner.close()
        if watched is not None:
            watched.store.close()
        if state is not None:
            state.close()
    return report, mutes, pending


def _print_report(
    args: argparse.Namespace, config: Config, report: Any, mutes: dict[tuple[str, str], Any]
) -> None:
    """Print the report as Nagios' line, JSON or text, as the options ask."""
    if args.nagios:
        from healthcheck.service.metrics import nagios_line

        print(nagios_line(report, config.checks))
    elif args.json:
        doc = report.to_json()
        for r in doc["results"]:
            # what keeps it from alerting now: {"kind": "silence" | "maintenance" | "inhibited",
            # "by": text, "until": ISO time or null}, or null
            m = mutes.get((r["account"], r["check"]))
            r["silenced_by"] = m.to_json() if m is not None else None
        print(json.dumps(doc, indent=2, sort_keys=False, default=str))
    else:
        render_text(report, mutes=mutes)


def _mutes_of(config: Config, state: Any, report: Any) -> dict[tuple[str, str], Any]:
    """Return {(account, check): Mute} for the results an alert would not be sent for now."""
    import time

    from healthcheck.alerting.inhibit import inhibitions
    from healthcheck.alerting.mutes import mute_for

    now = time.time()
    silences = state.silences(now=now) if state is not None else []
    latest = {(r.account, r.check): r for r in report.results}
    covers = inhibitions(latest) if config.alerts.inhibit else {}
    out = {}
    for key, r in latest.items():
        m = mute_for(r, config.alerts.maintenance, silences, covers.get(key), now)
        if m is not None and r.status is not Status.OK:
            out[key] = m
    return out


def _open_state_or_fail(config: Config) -> Any:
    from healthcheck.storage.state import StateDB, StateError

    try:
        return StateDB.open(config.state_dir())
    except StateError as exc:
        _err(str(exc))
        return None


def cmd_silence(args: argparse.Namespace) -> int:
    import time

    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    seconds = 0.0
    if args.action == "add":
        got = _silence_seconds(args, config)
        if got is None:
            return EXIT_CONFIG
        seconds = got
    state = _open_state_or_fail(config)
    if state is None:
        return EXIT_CONFIG
    now = time.time()
    with state:
        if args.action == "add":
            return _silence_add(args, state, seconds, now)
        if args.action == "expire":
            return _silence_expire(args, state, now)
        silences = state.silences(include_ended=args.all, now=now)
    return _silence_list(args, silences, now)


def _silence_seconds(args: argparse.Namespace, config: Config) -> float | None:
    """Given `silence add`'s options, return how long it lasts, or None after saying which
    option is wrong."""
    from healthcheck.model.maintenance import parse_duration

    try:
        seconds = parse_duration(args.duration)
    except ValueError as exc:
        _err(f"--for: {exc}")
        return None
    names = [a.name for a in config.accounts]
    if args.account is not None and args.account not in names:
        _err(f"--account: no account {args.account!r} in {args.config} (have: {', '.join(names)})")
        return None
    if args.check is not None and args.check not in CHECK_IDS:
        _err(f"--check: unknown check {args.check!r} (valid: {', '.join(CHECK_IDS)})")
        return None
    if not args.reason.strip():
        _err("--reason: say why (it is shown with every muted alert)")
        return None
    return seconds


def _silence_add(args: argparse.Namespace, state: StateDB, seconds: float, now: float) -> int:
    from healthcheck.model.maintenance import iso_utc

    s = state.add_silence(
        ends_at=now + seconds,
        reason=args.reason.strip(),
        account=args.account,
        check=args.check,
        code=args.code,
        now=now,
    )
    if args.json:
        print(json.dumps(s.to_json(now)))
    else:
        # say where: a daemon with another state_dir would never see it
        print(
            f"silence {s.id} added: {s.scope()} until {iso_utc(s.ends_at)} "
            f"({s.reason}); stored in {state.path}"
        )
    return 0


def _silence_expire(args: argparse.Namespace, state: StateDB, now: float) -> int:
    from healthcheck.model.maintenance import iso_utc

    try:
        sid = int(args.id)
    except (TypeError, ValueError):
        _err(f"silence expire: {args.id!r} is not a silence id (see `silence list`)")
        return EXIT_CONFIG
    ended = state.expire_silence(sid, now)
    if ended is None:
        _err(f"silence expire: no active silence with id {sid} (see `silence list`)")
        return 1
    print(f"silence {sid} expired at {iso_utc(now)}; still-failing checks alert at the next run")
    return 0


def _silence_list(args: argparse.Namespace, silences: list[Any], now: float) -> int:
    from healthcheck.model.maintenance import iso_utc

    if args.json:
        print(json.dumps([s.to_json(now) for s in silences], indent=2))
        return 0
    if not silences:
        print("no active silences")
        return 0
    for s in silences:
        state_text = "active" if s.active(now) else "ended"
        print(f"{s.id:>4}  {state_text:<6}  until {iso_utc(s.ends_at)}  {s.scope()}  ({s.reason})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import time

    from healthcheck.alerting.status import collect, render

    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    state = _open_state_or_fail(config)
    if state is None:
        return EXIT_CONFIG
    with state:
        doc = collect(config, state, time.time())
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(render(doc))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """`explain CODE...` or `explain --log FILE`: no config needed."""
    from healthcheck.logwatch import explain

    if args.log is not None:
        if args.codes:
            _err("explain: give codes or --log FILE, not both")
            return EXIT_CONFIG
        from healthcheck.logwatch.scan import ScanError, scan_file

        try:
            counts, lines = scan_file(args.log, args.product)
        except ScanError as exc:
            _err(str(exc))
            return EXIT_CONFIG
        if args.json:
            print(explain.log_json(args.log, counts, lines))
        else:
            explain.render_log(args.log, counts, lines, sys.stdout)
        return 0
    if not args.codes:
        _err("explain: give one or more codes (e.g. -1021 403) or --log FILE")
        return EXIT_CONFIG
    try:
        codes = [explain.parse_code(c) for c in args.codes]
    except ValueError as exc:
        _err(f"explain: {exc}")
        return EXIT_CONFIG
    if args.json:
        doc = explain.codes_json(codes, args.product)
        print(json.dumps(doc, indent=2))
        return 0 if all(c["known"] for c in doc["codes"]) else 1
    known = [explain.render_code(c, args.product, sys.stdout) for c in codes]
    return 0 if all(known) else 1


def _bot_logs_once(config: Config) -> Any:
    """`check`: read what the watched logs got since the last run (the first run: the last
    `window` seconds); return the watcher whose facts the bot_errors check evaluates."""
    from healthcheck.logwatch.store import WatchStore
    from healthcheck.service.watcher import Watcher

    store = WatchStore.open(config.state_dir())
    try:
        watcher = Watcher.from_config(config, store, oneshot=True)
        watcher.drain()
    except BaseException:
        store.close()
        raise
    return watcher


def cmd_demo(args: argparse.Namespace) -> int:
    from healthcheck.demo import run_demo

    return run_demo(json_output=args.json, daemon=not args.no_daemon)


def cmd_simulator(args: argparse.Namespace) -> int:
    from healthcheck.simulator.serve import serve

    return serve(port=args.port, faults=args.fault or [], ntp_port=args.ntp_port)


def cmd_run(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    from healthcheck.service.daemon import run_daemon

    return run_daemon(config, args.config)


def cmd_notify_test(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    if not config.alerts.urls:
        _err(f"{args.config}: alerts.urls: no alert URLs configured")
        return EXIT_CONFIG
    from healthcheck.alerting.notify import send_test

    results = send_test(list(config.alerts.urls), timeout=config.alerts.delivery_timeout)
    failed = 0
    for masked, ok, reason in results:
        print(f"{'delivered' if ok else 'FAILED   '}  {masked}{'' if ok else '  (' + reason + ')'}")
        failed += not ok
    return 1 if failed else 0


def cmd_plan(args: argparse.Namespace) -> int:
    config = _load(args.config, secrets=False)  # the cost needs no key
    if config is None:
        return EXIT_CONFIG
    from healthcheck.engine.plan import build_plan, cost

    rows = cost(config)
    full = build_plan(config)
    one_run = sum(p.weight for p in full.requests if p.reuse_seconds <= 0)
    one_run += sum(t.samples for t in full.time)
    if args.json:
        print(json.dumps(_plan_json(config, rows, one_run), indent=2))
    else:
        _print_plan(config, rows, one_run)
    return 0


def _plan_json(config: Config, rows: list[Any], one_run: int) -> dict[str, Any]:
    """Given the plan's cost rows and the weight of a full run, return `plan --json`."""
    from healthcheck.engine.plan import per_account_share, per_pool_per_minute
    from healthcheck.engine.schedule import build_schedule
    from healthcheck.model.markets import POOLS

    pools = per_pool_per_minute(rows)
    return {
        "requests": [
            {
                "request": r.what,
                "pool": r.pool,
                "weight": r.weight,
                "every_seconds": r.every_seconds,
                "weight_per_minute": round(r.per_minute, 2),
                "checks": r.checks,
            }
            for r in rows
        ],
        "weight_per_minute": {k: round(v, 2) for k, v in pools.items()},
        "share_of_limit": {k: round(v / POOLS[k].default_limit, 5) for k, v in pools.items()},
        "share_of_limit_per_account": {
            a: {k: round(v, 5) for k, v in p.items()} for a, p in per_account_share(rows).items()
        },
        "weight_of_a_run_with_every_check_due": one_run,
        "schedule": build_schedule(config).to_json(),
    }


def _print_plan(config: Config, rows: list[Any], one_run: int) -> None:
    """Given the plan's cost rows and the weight of a full run, print `plan`'s tables."""
    from healthcheck.engine.plan import per_account_share, per_pool_per_minute
    from healthcheck.engine.schedule import build_schedule
    from healthcheck.model.markets import POOLS, pool_name

    print(f"{'request':<58} {'pool':<5} {'weight':>6} {'every':>8} {'/min':>7}  checks")
    for r in sorted(rows, key=lambda r: (r.pool, -r.per_minute)):
        print(
            f"{r.what[:58]:<58} {r.pool:<5} {r.weight:>6} {r.every_seconds:>7.0f}s "
            f"{r.per_minute:>7.2f}  {r.checks}"
        )
    print()
    for pool, per_min in per_pool_per_minute(rows).items():
        limit = POOLS[pool].default_limit
        print(
            f"{pool_name(pool):<16} {per_min:8.2f} weight/min = {per_min / limit * 100:5.2f} % "
            f"of the {limit} limit"
        )
    print()
    print("per account, share of each pool's limit (public requests count for the first account):")
    for acc, per in per_account_share(rows).items():
        parts = ", ".join(f"{pool_name(p)} {v * 100:.2f} %" for p, v in per.items())
        print(f"  {acc:<20} {parts}")
    print(f"a run with every check due (answers cached as shown): weight {one_run}")
    for line in build_schedule(config).lines() or [
        f"daemon schedule: fits the weight budget (weight_budget_share "
        f"{config.daemon.weight_budget_share:g}); no interval stretched"
    ]:
        print(line)


def cmd_config(args: argparse.Namespace) -> int:
    if args.action == "checks":
        from healthcheck.checks import example_toml

        print(example_toml(), end="")
        return 0
    if not args.config:
        _err("config: --config FILE is required")
        return EXIT_CONFIG
    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    if args.action == "validate":
        if not config.alerts.urls:
            from healthcheck.service.daemon import NO_DESTINATIONS

            _err(f"warning: {args.config}: {NO_DESTINATIONS}")
        print(f"{args.config}: OK ({len(config.accounts)} account(s))")
        return 0
    print(json.dumps(config_to_json(config), indent=2))
    return 0


def config_to_json(config: Config) -> dict[str, Any]:
    """Given a Config, return it as JSON with every secret masked."""
    from dataclasses import fields, is_dataclass

    from healthcheck.bots.link import BotLink
    from healthcheck.storage.secrets import Secret

    def conv(value: Any, key: str = "") -> Any:
        if isinstance(value, BotLink):
            return value.to_json()
        if isinstance(value, Secret):
            if key == "url" or "url" in key:
                try:
                    from healthcheck.alerting.notify import mask_url

                    return mask_url(value.reveal())
                except Exception:  # noqa: BLE001
                    return value.masked()
            if key == "private_key":
                return "<private key loaded>"
            return value.masked() if key == "api_key" else "****"
        if is_dataclass(value):
            return {f.name: conv(getattr(value, f.name), f.name) for f in fields(value)}
        if isinstance(value, dict):
            return {str(k): conv(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [conv(v, key) for v in value]
        if isinstance(value, Status):
            return value.name
        if isinstance(value, Path):
            return str(value)
        if value is None or isinstance(value, bool | int | float | str):
            return value
        return str(value)

    out = conv(config)
    out["path"] = str(config.path) if config.path else None
    out["resolved_state_dir"] = str(config.state_dir())
    return out


# ------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="binance-healthcheck",
        description="Warns before a trading bot's Binance orders start failing.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors in the log")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    # in the order `--help` lists them
    _add_check(sub)
    _add_demo_and_simulator(sub)
    _add_setup_commands(sub)
    _add_silence(sub)
    _add_status_and_explain(sub)
    return p


def _add_check(sub: Any) -> None:
    c = sub.add_parser("check", help="run every check once and exit with a Nagios code")
    c.add_argument("--config", "-c", required=True, help="TOML config file")
    c.add_argument("--json", action="store_true", help="print one JSON document")
    c.add_argument(
        "--only", metavar="CHECK,...", help=f"only these checks ({', '.join(CHECK_IDS)})"
    )
    c.add_argument(
        "--notify",
        action="store_true",
        help="send alerts with the daemon's state and rules (for cron)",
    )
    c.add_argument(
        "--nagios", action="store_true", help="print one Nagios plugin line with performance data"
    )
    c.add_argument(
        "--prometheus-textfile",
        metavar="PATH",
        help="also write the metrics to PATH (atomically) for node_exporter's textfile collector",
    )
    c.set_defaults(func=cmd_check)


def _add_demo_and_simulator(sub: Any) -> None:
    d = sub.add_parser(
        "demo", help="run the checks against the built-in simulator (no keys, no network)"
    )
    d.add_argument("--json", action="store_true", help="print the check as JSON")
    d.add_argument("--no-daemon", action="store_true", help="skip the short daemon/alert demo")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("simulator", help="serve the Binance simulator in the foreground")
    s.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    s.add_argument("--ntp-port", type=int, default=None, help="also serve NTP on this UDP port")
    from healthcheck.simulator.faults import FAULTS  # stdlib only; names for --help

    s.add_argument(
        "--fault",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="switch faults on: --fault a b, or repeat --fault; names: " + ", ".join(FAULTS),
    )
    s.set_defaults(func=cmd_simulator)


def _add_setup_commands(sub: Any) -> None:
    """run, notify-test, plan and config."""
    r = sub.add_parser("run", help="run as a daemon (foreground, systemd Type=notify)")
    r.add_argument("--config", "-c", required=True)
    r.set_defaults(func=cmd_run)

    n = sub.add_parser("notify-test", help="send a test message to every alert URL")
    n.add_argument("--config", "-c", required=True)
    n.set_defaults(func=cmd_notify_test)

    pl = sub.add_parser(
        "plan",
        help="print the requests the checks send, their weight and "
        "the weight per minute per pool at the configured intervals",
    )
    pl.add_argument("--config", "-c", required=True)
    pl.add_argument("--json", action="store_true", help="print one JSON document")
    pl.set_defaults(func=cmd_plan)

    cf = sub.add_parser(
        "config",
        help="validate or show (secrets masked) a config file; "
        "`config checks` prints every check's settings",
    )
    cf.add_argument("action", choices=("validate", "show", "checks"))
    cf.add_argument("--config", "-c")
    cf.set_defaults(func=cmd_config)


def _add_silence(sub: Any) -> None:
    si = sub.add_parser("silence", help="mute alerts for a while (add, list, expire)")
    si_sub = si.add_subparsers(dest="action", metavar="ACTION", required=True)
    sa = si_sub.add_parser("add", help="add a silence")
    sa.add_argument("--config", "-c", required=True)
    sa.add_argument("--account", help="only this account (default: all)")
    sa.add_argument("--check", choices=None, help="only this check (default: all)")
    sa.add_argument(
        "--code", type=int, help="only results predicting this Binance code, e.g. -2019"
    )
    sa.add_argument(
        "--for",
        dest="duration",
        required=True,
        metavar="DURATION",
        help="how long, e.g. 30m, 2h, 1d",
    )
    sa.add_argument("--reason", required=True, help="why (shown where the alert would be)")
    sa.add_argument("--json", action="store_true")
    sl = si_sub.add_parser("list", help="list active silences")
    sl.add_argument("--config", "-c", required=True)
    sl.add_argument("--all", action="store_true", help="also ended ones")
    sl.add_argument("--json", action="store_true")
    se = si_sub.add_parser("expire", help="end a silence now")
    se.add_argument("--config", "-c", required=True)
    se.add_argument("id", help="the silence id (see `silence list`)")
    se.add_argument("--json", action="store_true")
    si.set_defaults(func=cmd_silence)


def _add_status_and_explain(sub: Any) -> None:
    st = sub.add_parser(
        "status",
        help="what is firing, silenced, inhibited or pending, from "
        "the state directory (no request to Binance)",
    )
    st.add_argument("--config", "-c", required=True)
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    e = sub.add_parser(
        "explain",
        help="explain Binance error codes, or list those in a bot's log file (no config needed)",
    )
    e.add_argument("codes", nargs="*", metavar="CODE", help="e.g. -1021 -4004 403")
    e.add_argument(
        "--product",
        choices=("spot", "sapi", "usdm", "coinm"),
        help="the product the code came from (codes differ between spot/SAPI and futures)",
    )
    e.add_argument("--log", metavar="FILE", help="list every Binance error found in this log")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.set_defaults(func=cmd_explain)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2; Nagios wants 3
        code = exc.code if isinstance(exc.code, int) else 0
        return EXIT_CONFIG if code == 2 else code
    level = logging.WARNING
    if args.verbose:
        level = logging.INFO if args.verbose == 1 else logging.DEBUG
    if args.quiet:
        level = logging.ERROR
    if getattr(args, "func", None) is cmd_run:
        level = min(level, logging.INFO)
    setup_logging(level)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    from healthcheck.storage.state import StateTooNew

    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `explain --log ... | head`: the reader left; not our error
        # Python would complain again while flushing stdout at exit: point it at /dev/null
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except StateTooNew as exc:  # a downgrade: never run on (or move aside) newer state
        _err(f"refusing to run: {exc}")
        return EXIT_CONFIG
    except Exception:  # noqa: BLE001 - never a traceback on the terminal; the log has it
        log.debug("internal error", exc_info=True)
        _err("internal error (run with -vv for details)")
        return EXIT_INTERNAL
