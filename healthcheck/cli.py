"""The command line: ``binance-healthcheck check|run|demo|simulator|notify-test|config``.

This is the only layer that prints. Heavy imports (python-binance costs ~0.4 s, apprise ~0.15 s,
APScheduler ~0.1 s) happen inside the subcommand that needs them, so ``--help`` and config errors
are instant. Exit codes follow Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; configuration and
usage errors exit 3 as well, with one line per problem on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from healthcheck import __version__
from healthcheck.config import CHECK_IDS, Config, ConfigError, load_config
from healthcheck.redact import scrub, setup_logging
from healthcheck.result import Status

log = logging.getLogger("healthcheck")

EXIT_CONFIG = 3  # configuration/usage errors: Nagios UNKNOWN
EXIT_INTERNAL = 3


def _err(msg: str) -> None:
    print(f"binance-healthcheck: {scrub(msg)}", file=sys.stderr)


def _load(path: str) -> Config | None:
    try:
        return load_config(path)
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
        raise ValueError(f"--only: unknown check {', '.join(repr(b) for b in bad)} "
                         f"(valid: {', '.join(CHECK_IDS)})")
    return only


def _open_state(config: Config, quiet: bool = False):
    from healthcheck.state import StateDB, StateError, StateTooNew

    path = config.state_dir()
    try:
        return StateDB.open(path)
    except StateTooNew:
        raise  # the command refuses to run (EXIT_CONFIG), see main()
    except StateError as exc:
        if not quiet:
            _err(f"warning: {exc}; bans and caches will not be remembered between runs")
        return None


# ------------------------------------------------------------------------------- rendering

_MARK = {Status.OK: "OK", Status.WARNING: "WARNING", Status.CRITICAL: "CRITICAL",
         Status.UNKNOWN: "UNKNOWN"}


def render_text(report: Any, out=None) -> None:
    """Given a Report, print one status line per account and check, then a summary line."""
    from healthcheck.binance_errors import ERRORS

    out = out or sys.stdout
    width_acc = max([len(r.account) for r in report.results] + [7])
    for r in report.results:
        print(f"{_MARK[r.status]:<9} {r.account:<{width_acc}} {r.check:<15} {r.summary}", file=out)
        if r.status != Status.OK:
            pad = " " * (9 + 1 + width_acc + 1 + 15 + 1)
            for code in r.codes:
                e = ERRORS.get(code)
                text = f"{code} {e.name}: \"{e.msg}\"" if e else str(code)
                print(f"{pad}bot's orders fail with {text}", file=out)
            for code in r.risk_codes:
                e = ERRORS.get(code)
                print(f"{pad}at risk of {code}{' ' + e.name if e else ''}", file=out)
            if r.fix:
                print(f"{pad}fix: {r.fix}", file=out)
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
    parts = [f"{counts[s.name]} {s.name}" for s in (Status.CRITICAL, Status.UNKNOWN,
                                                    Status.WARNING, Status.OK) if s.name in counts]
    m = report.metrics
    print(f"{report.status.name}: {m.get('accounts', 0)} account(s), {len(report.results)} "
          f"checks: {', '.join(parts) or 'none'}; request weight {m.get('request_weight', 0)}, "
          f"{m.get('duration_ms', 0):.0f} ms", file=out)


def print_json(report: Any) -> None:
    print(json.dumps(report.to_json(), indent=2, sort_keys=False, default=str))


# ------------------------------------------------------------------------------- commands


def cmd_check(args: argparse.Namespace) -> int:
    try:
        only = _parse_only(args.only)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_CONFIG
    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    from healthcheck.runner import Runner

    state = _open_state(config, quiet=args.json)
    runner = Runner(config, state)
    try:
        report = runner.run(only)
        if args.notify:
            from healthcheck.daemon import notify_once

            notify_once(config, state, report)
    finally:
        runner.close()
        if state is not None:
            state.close()
    if args.json:
        print_json(report)
    else:
        render_text(report)
    return int(report.status)


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
    from healthcheck.daemon import run_daemon

    return run_daemon(config, args.config)


def cmd_notify_test(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    if not config.alerts.urls:
        _err(f"{args.config}: alerts.urls: no alert URLs configured")
        return EXIT_CONFIG
    from healthcheck.notify import send_test

    results = send_test(list(config.alerts.urls), timeout=config.alerts.delivery_timeout)
    failed = 0
    for masked, ok, reason in results:
        print(f"{'delivered' if ok else 'FAILED   '}  {masked}{'' if ok else '  (' + reason + ')'}")
        failed += not ok
    return 1 if failed else 0


def cmd_config(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return EXIT_CONFIG
    if args.action == "validate":
        if not config.alerts.urls:
            from healthcheck.daemon import NO_DESTINATIONS

            _err(f"warning: {args.config}: {NO_DESTINATIONS}")
        print(f"{args.config}: OK ({len(config.accounts)} account(s))")
        return 0
    print(json.dumps(config_to_json(config), indent=2))
    return 0


def config_to_json(config: Config) -> dict[str, Any]:
    """Given a Config, return it as JSON with every secret masked."""
    from dataclasses import fields, is_dataclass

    from healthcheck.secrets import Secret

    def conv(value: Any, key: str = "") -> Any:
        if isinstance(value, Secret):
            if key == "url" or "url" in key:
                try:
                    from healthcheck.notify import mask_url

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
        description="Warns before a trading bot's Binance orders start failing.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors in the log")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="run every check once and exit with a Nagios code")
    c.add_argument("--config", "-c", required=True, help="TOML config file")
    c.add_argument("--json", action="store_true", help="print one JSON document")
    c.add_argument("--only", metavar="CHECK,...",
                   help=f"only these checks ({', '.join(CHECK_IDS)})")
    c.add_argument("--notify", action="store_true",
                   help="send alerts with the daemon's state and rules (for cron)")
    c.set_defaults(func=cmd_check)

    d = sub.add_parser("demo", help="run the checks against the built-in simulator (no keys, "
                                    "no network)")
    d.add_argument("--json", action="store_true", help="print the check as JSON")
    d.add_argument("--no-daemon", action="store_true", help="skip the short daemon/alert demo")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("simulator", help="serve the Binance simulator in the foreground")
    s.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    s.add_argument("--ntp-port", type=int, default=None, help="also serve NTP on this UDP port")
    s.add_argument("--fault", action="append", metavar="NAME", help="switch a fault on "
                   "(repeatable; see the README for names)")
    s.set_defaults(func=cmd_simulator)

    r = sub.add_parser("run", help="run as a daemon (foreground, systemd Type=notify)")
    r.add_argument("--config", "-c", required=True)
    r.set_defaults(func=cmd_run)

    n = sub.add_parser("notify-test", help="send a test message to every alert URL")
    n.add_argument("--config", "-c", required=True)
    n.set_defaults(func=cmd_notify_test)

    cf = sub.add_parser("config", help="validate or show (secrets masked) a config file")
    cf.add_argument("action", choices=("validate", "show"))
    cf.add_argument("--config", "-c", required=True)
    cf.set_defaults(func=cmd_config)
    return p


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
    from healthcheck.state import StateTooNew

    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except StateTooNew as exc:  # a downgrade: never run on (or move aside) newer state
        _err(f"refusing to run: {exc}")
        return EXIT_CONFIG
    except Exception:  # noqa: BLE001 - never a traceback on the terminal; the log has it
        log.debug("internal error", exc_info=True)
        _err("internal error (run with -vv for details)")
        return EXIT_INTERNAL
