"""Configuration: TOML in, typed and validated settings out.

Every key has its default here and nowhere else. Loading collects *all* problems before failing,
and each problem names the file and the dotted key with the bad value, so a typo never silently
disables a check. Secrets come from the environment, from files (``*_file``, which may point into
systemd's ``$CREDENTIALS_DIRECTORY``) or, in a file only its owner can read, literally.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from healthcheck.bots.derived import BOT_KINDS, DERIVABLE_KEYS, BotConfigError, fingerprint
from healthcheck.bots.link import BotLink
from healthcheck.bots.link import read_live as read_live_bot_config
from healthcheck.checks import CHECK_IDS, REGISTRY, default_settings
from healthcheck.checks.base import CheckSettings, setting_fields, setting_kind
from healthcheck.exchange.account import DEFAULT_BOT_API_STALE_AFTER, AccountConfig, BotApi
from healthcheck.exchange.ntp import NtpConfig, NtpServer
from healthcheck.model.maintenance import MaintenanceWindow, parse_windows
from healthcheck.model.markets import MARKET_IDS
from healthcheck.model.markets import MARKETS as MARKET_TABLE
from healthcheck.model.markets import POOLS as POOL_TABLE
from healthcheck.model.result import Status
from healthcheck.storage import files
from healthcheck.storage.secrets import Secret

MARKETS = MARKET_IDS

PROD_SPOT_URL = MARKET_TABLE["spot"].default_url
PROD_FUTURES_URL = MARKET_TABLE["usdm"].default_url
TESTNET_SPOT_URL = MARKET_TABLE["spot"].testnet_url
TESTNET_FUTURES_URL = MARKET_TABLE["usdm"].testnet_url


class ConfigError(Exception):
    """Raised with every problem found; ``problems`` is a list of one-line messages."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# ---------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class DaemonConfig:
    interval: float = 60.0
    state_dir: Path | None = None
    request_timeout: float = 10.0
    heartbeat_url: Secret | None = None
    heartbeat_timeout: float = 10.0
    exchange_info_ttl: float = 86400.0
    # share of an IP's per-minute weight limit this daemon may spend (all accounts together)
    weight_budget_share: float = 0.10
    max_workers: int = 128


# [alerts] urls' max_chars: the longest message body. The default fits Telegram (4096 characters
# with the title, less room for the title and markup); the minimum leaves room for one item and
# the alert id
MAX_BODY_CHARS = 3500
MIN_MESSAGE_CHARS = 500
MAX_MESSAGE_CHARS = 1_000_000


@dataclass(frozen=True)
class AlertUrl:
    url: Secret
    min_status: Status = Status.WARNING
    max_chars: int = MAX_BODY_CHARS


@dataclass(frozen=True)
class AlertsConfig:
    urls: tuple[AlertUrl, ...] = ()
    failure_threshold: int = 2
    unknown_threshold: int = 3
    repeat_interval: float = 3600.0
    send_resolved: bool = True
    retry_backoff_max: float = 30.0
    delivery_timeout: float = 30.0
    # alert rules (issue 12)
    success_threshold: int = 1  # consecutive OK runs before RESOLVED
    inhibit: bool = True  # root causes hide the follow-on results they explain
    maintenance: tuple[MaintenanceWindow, ...] = ()  # [[alerts.maintenance]] and [[maintenance]]


class ChecksConfig:
    """The ``[checks.<id>]`` settings of every registered check (defaults for those not given).

    ``checks.get("clock")`` and ``checks.clock`` both return the clock check's Settings.
    """

    def __init__(
        self, settings: dict[str, CheckSettings] | None = None, **by_id: CheckSettings
    ) -> None:
        merged = default_settings()
        merged.update(settings or {})
        merged.update(by_id)
        unknown = set(merged) - set(CHECK_IDS)
        if unknown:
            raise KeyError(f"no such check: {', '.join(sorted(unknown))}")
        self._settings = merged

    def get(self, check_id: str) -> Any:
        return self._settings[check_id]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._settings[name]
        except KeyError:
            raise AttributeError(name) from None

    def items(self) -> list[tuple[str, CheckSettings]]:
        return list(self._settings.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChecksConfig) and self._settings == other._settings

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._settings.items())))


@dataclass(frozen=True)
class MetricsConfig:
    """``[metrics]``: the Prometheus endpoint of the daemon (off unless ``listen`` is set)."""

    listen: str | None = None  # "127.0.0.1:9464"; None: no endpoint
    host: str = "127.0.0.1"
    port: int = 9464


@dataclass(frozen=True)
class Config:
    accounts: tuple[AccountConfig, ...]
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    ntp: NtpConfig = field(default_factory=NtpConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    path: Path | None = None
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    watch: tuple[Any, ...] = ()  # [[watch]]: healthcheck.logwatch.settings.WatchConfig

    def state_dir(self) -> Path:
        return resolve_state_dir(self.daemon.state_dir)


def resolve_state_dir(configured: Path | None) -> Path:
    """Given the configured state_dir, return it, else $STATE_DIRECTORY, else a user data dir."""
    if configured is not None:
        return configured
    env = os.environ.get("STATE_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "binance-healthcheck"


# ---------------------------------------------------------------------------------- loading

_KEY_RE = re.compile(r"^[A-Za-z0-9]{64}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class _Reader:
    """Reads one TOML table into typed values, collecting problems instead of raising."""

    def __init__(self, loader: _Loader, table: Any, prefix: str) -> None:
        self.loader = loader
        self.prefix = prefix
        self.table: dict[str, Any] = table if isinstance(table, dict) else {}
        self.seen: set[str] = set()
        if not isinstance(table, dict):
            loader.problem(prefix, f"must be a table, not {_show(table)}")

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def has(self, name: str) -> bool:
        self.seen.add(name)
        return name in self.table

    def raw(self, name: str) -> Any:
        self.seen.add(name)
        return self.table.get(name)

    def number(
        self,
        name: str,
        default: float | None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
        exclusive_min: bool = False,
    ) -> Any:
        self.seen.add(name)
        if name not in self.table:
            return default
        value = self.table[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.loader.problem(self.key(name), f"must be a number, not {_show(value)}")
            return default
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int beyond any float
            finite = False
        if not finite:
            self.loader.problem(self.key(name), f"must be a finite number, not {_show(value)[:40]}")
            return default
        if integer and not (isinstance(value, int) or float(value).is_integer()):
            self.loader.problem(self.key(name), f"must be a whole number, not {_show(value)}")
            return default
        if minimum is not None and (value < minimum or (exclusive_min and value == minimum)):
            rel = "greater than" if exclusive_min else "at least"
            self.loader.problem(self.key(name), f"must be {rel} {minimum:g}, not {_show(value)}")
            return default
        if maximum is not None and value > maximum:
            self.loader.problem(self.key(name), f"must be at most {maximum:g}, not {_show(value)}")
            return default
        return int(value) if integer else float(value)

    def boolean(self, name: str, default: bool) -> bool:
        self.seen.add(name)
        if name not in self.table:
            return default
        value = self.table[name]
        if not isinstance(value, bool):
            self.loader.problem(self.key(name), f"must be true or false, not {_show(value)}")
            return default
        return value

    def string(
        self, name: str, default: str | None, *, choices: tuple[str, ...] | None = None
    ) -> Any:
        self.seen.add(name)
        if name not in self.table:
            return default
        value = self.table[name]
        if not isinstance(value, str):
            self.loader.problem(self.key(name), f"must be a string, not {_show(value)}")
            return default
        if choices is not None and value not in choices:
            self.loader.problem(
                self.key(name), f"{_show(value)} is not one of {', '.join(choices)}"
            )
            return default
        return value

    def strings(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        self.seen.add(name)
        if name not in self.table:
            return default
        value = self.table[name]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.loader.problem(self.key(name), f"must be a list of strings, not {_show(value)}")
            return default
        return tuple(value)

    def finish(self) -> None:
        for extra in sorted(set(self.table) - self.seen):
            self.loader.problem(self.key(_key_name(extra)), "unknown key (typo?)")


_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# characters str.splitlines() breaks on: a problem must stay one line
_LINE_BREAK_RE = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _key_name(name: Any) -> str:
    """Given a table key, return it as written in TOML: bare if possible, else quoted."""
    name = str(name)
    return name if _BARE_KEY_RE.match(name) else repr(name)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class _Loader:
    def __init__(self, path: Path | None, env: dict[str, str]) -> None:
        self.path = path
        self.env = env
        self.problems: list[str] = []
        self.config_private = True
        self.literal_secret_keys: list[str] = []
        self.secrets_optional = False

    def problem(self, key: str, message: str) -> None:
        where = f"{self.path}: " if self.path else ""
        line = f"{where}{key}: {message}" if key else f"{where}{message}"
        self.problems.append(_LINE_BREAK_RE.sub(lambda m: repr(m.group())[1:-1], line))

    # -- secrets
    def secret_file(
        self, key: str, raw_path: str, max_bytes: int = files.SECRET_MAX_BYTES
    ) -> str | None:
        """Given a *_file value, return the file's text; report missing, unsafe or empty files."""
        if self.secrets_optional:
            return None
        if "\0" in raw_path:  # os.open and expanduser raise ValueError on it
            self.problem(key, f"{raw_path!r} is not a path (it contains a NUL character)")
            return None
        expanded = _expand_credentials(raw_path, self.env)
        if expanded is None:
            self.problem(
                key,
                f"{raw_path!r} uses $CREDENTIALS_DIRECTORY, which is not set "
                "(run under systemd with LoadCredential=, or give a real path)",
            )
            return None
        path = Path(expanded)
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        try:
            text = files.read_text(path, max_bytes=max_bytes, secret=True, what="secret file")
        except files.FileRefused as exc:
            self.problem(key, str(exc))
            return None
        if not text.strip():
            self.problem(key, f"file {str(path)!r} is empty")
            return None
        return text

    def secret(self, r: _Reader, base: str, *, required: bool, kind: str) -> str | None:
        """Read one secret given as ``base``, ``base_env`` or ``base_file``."""
        given = [n for n in (base, f"{base}_env", f"{base}_file") if r.has(n)]
        if self.secrets_optional:
            # `plan` prices a config without its secrets: a placeholder stands in for them
            return "0" * 64 if given and kind != "pem" else None
        if len(given) > 1:
            self.problem(r.key(base), f"give only one of {', '.join(given)}")
            return None
        if not given:
            if required:
                self.problem(r.key(base), f"missing: set {base}_env, {base}_file or {base}")
            return None
        name = given[0]
        value = r.raw(name)
        if not isinstance(value, str) or not value.strip():
            shown = "blank" if isinstance(value, str) else _show(value)
            self.problem(r.key(name), f"must be a non-empty string, not {shown}")
            return None
        # sane maximum sizes: every secret is compiled into the log redactor's pattern
        limit = files.PEM_MAX_BYTES if kind == "pem" else files.SECRET_MAX_BYTES
        if name == base:
            self.literal_secret_keys.append(r.key(name))
            if len(value.encode()) > limit:
                self.problem(r.key(name), f"is longer than the limit of {limit:,} bytes")
                return None
            return value.strip()
        if name.endswith("_env"):
            if value not in self.env:
                self.problem(r.key(name), f"environment variable {value} is not set")
                return None
            got = self.env[value].strip()
            if not got:
                self.problem(r.key(name), f"environment variable {value} is empty")
                return None
            if len(got.encode()) > limit:
                self.problem(
                    r.key(name),
                    f"environment variable {value} is longer than the limit of {limit:,} bytes",
                )
                return None
            return got
        text = self.secret_file(r.key(name), value, limit)
        return text.strip() if text is not None and kind != "pem" else text


def _expand_credentials(raw: str, env: dict[str, str]) -> str | None:
    if "CREDENTIALS_DIRECTORY" not in raw:
        return os.path.expanduser(raw)
    cred = env.get("CREDENTIALS_DIRECTORY")
    if not cred:
        return None
    return raw.replace("${CREDENTIALS_DIRECTORY}", cred).replace("$CREDENTIALS_DIRECTORY", cred)


def _duration(r: _Reader, name: str, default: float | None) -> Any:
    return r.number(name, default, minimum=0, exclusive_min=True)


def _load_daemon(ld: _Loader, table: Any) -> DaemonConfig:
    r = _Reader(ld, table, "daemon")
    d = DaemonConfig()
    state_dir = r.string("state_dir", None)
    if state_dir is not None and "\0" in state_dir:
        ld.problem("daemon.state_dir", f"{state_dir!r} is not a path (it contains a NUL character)")
        state_dir = None
    hb = r.string("heartbeat_url", None)
    if hb is not None and not re.match(r"^https?://", hb):
        ld.problem("daemon.heartbeat_url", "must start with http:// or https://")
        hb = None
    if hb is not None:
        ld.literal_secret_keys.append("daemon.heartbeat_url")
    cfg = DaemonConfig(
        interval=_duration(r, "interval", d.interval),
        state_dir=Path(os.path.expanduser(state_dir)) if state_dir else None,
        request_timeout=_duration(r, "request_timeout", d.request_timeout),
        heartbeat_url=Secret(hb, "heartbeat url") if hb else None,
        heartbeat_timeout=_duration(r, "heartbeat_timeout", d.heartbeat_timeout),
        exchange_info_ttl=_duration(r, "exchange_info_ttl", d.exchange_info_ttl),
        weight_budget_share=r.number(
            "weight_budget_share", d.weight_budget_share, minimum=0, maximum=1, exclusive_min=True
        ),
        max_workers=r.number("max_workers", d.max_workers, minimum=1, maximum=256, integer=True),
    )
    r.finish()
    return cfg


def _parse_ntp_server(ld: _Loader, key: str, text: str) -> NtpServer | None:
    host, sep, port_s = text.rpartition(":")
    if not sep or text.count(":") > 1 and not text.startswith("["):
        host, port_s = text, "123"
    host = host.strip("[]")
    try:
        port = int(port_s)
    except ValueError:
        ld.problem(key, f"{text!r}: port {port_s!r} is not a number")
        return None
    if not host or not (0 < port < 65536):
        ld.problem(key, f'{text!r} is not "host" or "host:port"')
        return None
    return NtpServer(host, port)


def parse_listen(text: str) -> tuple[str, int]:
    """Given "host:port" ("[::1]:9464" for IPv6), return (host, port); raise ValueError naming
    what is wrong."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"{text!r} is not host:port (IPv6 addresses as [::1]:9464)")
        port_text = rest[1:]
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or not host or ":" in host:
            raise ValueError(f"{text!r} is not host:port (e.g. 127.0.0.1:9464)")
    if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ValueError(f"{text!r}: port must be 0..65535 (0: any free port, see the log)")
    return host, int(port_text)


def _load_metrics(ld: _Loader, table: Any) -> MetricsConfig:
    r = _Reader(ld, table, "metrics")
    listen = r.string("listen", None)
    r.finish()
    if listen is None:
        return MetricsConfig()
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        ld.problem("metrics.listen", str(exc))
        return MetricsConfig()
    return MetricsConfig(listen=listen, host=host, port=port)


def _load_ntp(ld: _Loader, table: Any) -> NtpConfig:
    r = _Reader(ld, table, "ntp")
    d = NtpConfig()
    servers: tuple[NtpServer, ...] = d.servers
    if r.has("servers"):
        raw = r.strings("servers", ())
        parsed = [_parse_ntp_server(ld, f"ntp.servers[{i}]", s) for i, s in enumerate(raw)]
        servers = tuple(s for s in parsed if s is not None)
    cfg = NtpConfig(
        servers=servers,
        timeout=_duration(r, "timeout", d.timeout),
        max_delay=_duration(r, "max_delay", d.max_delay),
        max_disagreement=_duration(r, "max_disagreement", d.max_disagreement),
    )
    r.finish()
    return cfg


def _load_alerts(ld: _Loader, table: Any) -> AlertsConfig:
    r = _Reader(ld, table, "alerts")
    d = AlertsConfig()
    urls: list[AlertUrl] = []
    if r.has("urls"):
        raw = r.raw("urls")
        if not isinstance(raw, list):
            ld.problem("alerts.urls", f"must be a list, not {_show(raw)}")
            raw = []
        for i, item in enumerate(raw):
            key = f"alerts.urls[{i}]"
            if isinstance(item, str):
                item = {"url": item}
            ur = _Reader(ld, item, key)
            url = ur.string("url", None)
            min_status = Status.WARNING
            ms = ur.string("min_status", None, choices=("OK", "WARNING", "UNKNOWN", "CRITICAL"))
            if ms:
                min_status = Status[ms]
            max_chars = ur.number(
                "max_chars",
                AlertUrl.max_chars,
                minimum=MIN_MESSAGE_CHARS,
                maximum=MAX_MESSAGE_CHARS,
                integer=True,
            )
            ur.finish()
            if not url or "://" not in url:
                ld.problem(key, 'needs an apprise URL such as "tgram://TOKEN/CHAT"')
                continue
            ld.literal_secret_keys.append(key)
            urls.append(AlertUrl(Secret(url.strip(), "alert url"), min_status, int(max_chars)))
    if r.has("urls_file"):
        path = r.string("urls_file", None)
        text = ld.secret_file("alerts.urls_file", path, files.URLS_FILE_MAX_BYTES) if path else None
        for line in (text or "").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            min_status = Status.WARNING
            # optional "CRITICAL=" prefix in the file sets the minimum status of that URL
            m = re.match(r"^(OK|WARNING|UNKNOWN|CRITICAL)\s*=\s*(.+)$", line)
            if m:
                min_status, line = Status[m.group(1)], m.group(2)
            urls.append(AlertUrl(Secret(line, "alert url"), min_status))
    failure_threshold = r.number("failure_threshold", d.failure_threshold, minimum=1, integer=True)
    cfg = AlertsConfig(
        urls=tuple(urls),
        failure_threshold=failure_threshold,
        unknown_threshold=r.number(
            "unknown_threshold", d.unknown_threshold, minimum=1, integer=True
        ),
        repeat_interval=r.number("repeat_interval", d.repeat_interval, minimum=0),
        send_resolved=r.boolean("send_resolved", d.send_resolved),
        retry_backoff_max=_duration(r, "retry_backoff_max", d.retry_backoff_max),
        delivery_timeout=_duration(r, "delivery_timeout", d.delivery_timeout),
        **_load_alert_rules(ld, r),
    )
    r.finish()
    return cfg


def _load_alert_rules(ld: _Loader, r: _Reader) -> dict[str, Any]:
    """The [alerts] keys of issue 12: success_threshold, inhibit, [[alerts.maintenance]]."""
    d = AlertsConfig()
    windows: tuple[MaintenanceWindow, ...] = ()
    if r.has("maintenance"):
        windows = parse_windows(r.raw("maintenance"), "alerts.maintenance", ld.problem)
    return {
        "success_threshold": r.number(
            "success_threshold", d.success_threshold, minimum=1, integer=True
        ),
        "inhibit": r.boolean("inhibit", d.inhibit),
        "maintenance": windows,
    }


def _load_checks(ld: _Loader, table: Any) -> ChecksConfig:
    """Read ``[checks.<id>]`` for every registered check from its Settings' declared fields."""
    r = _Reader(ld, table, "checks")
    out: dict[str, CheckSettings] = {}
    for cls in REGISTRY:
        if not r.has(cls.id):
            continue
        cr = _Reader(ld, r.raw(cls.id), f"checks.{cls.id}")
        values: dict[str, Any] = {}
        for f in setting_fields(cls.Settings):
            md = f.metadata
            kind = setting_kind(f)
            default: Any = f.default
            if kind == "bool":
                values[f.name] = cr.boolean(f.name, default)
            elif kind == "string":
                values[f.name] = cr.string(f.name, default, choices=md.get("choices"))
            else:
                values[f.name] = cr.number(
                    f.name,
                    default,
                    minimum=md.get("minimum"),
                    maximum=md.get("maximum"),
                    integer=kind == "int",
                    exclusive_min=bool(md.get("exclusive_min")),
                )
        settings = cls.Settings(**values)
        for key, message in settings.problems():
            ld.problem(f"checks.{cls.id}.{key}", message)
        cr.finish()
        out[cls.id] = settings
    r.finish()
    return ChecksConfig(out)


def _decimal_map(
    ld: _Loader, r: _Reader, name: str, *, upper: bool = True, positive: bool = False
) -> dict[str, Decimal]:
    if not r.has(name):
        return {}
    raw = r.raw(name)
    if positive and isinstance(raw, int | float) and not isinstance(raw, bool):
        return {}  # a single number: the caller reads it as the default
    if not isinstance(raw, dict):
        ld.problem(r.key(name), f"must be a table like {{ USDT = 100 }}, not {_show(raw)}")
        return {}
    out: dict[str, Decimal] = {}
    for asset, value in raw.items():
        key = f"{r.key(name)}.{asset}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            ld.problem(key, f"must be a number, not {_show(value)}")
            continue
        try:
            dec = Decimal(str(value))
        except InvalidOperation:
            ld.problem(key, f"must be a number, not {_show(value)}")
            continue
        if (
            not dec.is_finite()
            or dec < 0
            or (positive and dec <= 0)
            or (dec and not -100 <= dec.adjusted() <= 100)
        ):
            least = "greater than 0" if positive else "at least 0"
            ld.problem(key, f"must be a number {least}, not {_show(value)}")
            continue
        out[asset.upper() if upper else asset] = dec
    return out


_SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,30}(_[A-Z0-9]{2,12})?$")  # COIN-M: BTCUSD_PERP


def _load_symbols(
    ld: _Loader, r: _Reader, prefix: str, markets: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    """Read ``symbols``: a list (every market of the account) or a table per market."""
    if not r.has("symbols"):
        return {}
    raw = r.raw("symbols")
    key = f"{prefix}.symbols"
    per_market: dict[str, Any]
    if isinstance(raw, list):
        per_market = {m: raw for m in markets}
    elif isinstance(raw, dict):
        per_market = {}
        for m, v in raw.items():
            if m not in MARKETS:
                ld.problem(f"{key}.{_key_name(m)}", f"is not a market ({', '.join(MARKETS)})")
            elif m not in markets:
                ld.problem(f"{key}.{m}", f"the account's markets do not include {m!r}")
            else:
                per_market[m] = v
    else:
        ld.problem(key, f'must be a list like ["BTCUSDT"] or a table per market, not {_show(raw)}')
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for m, items in per_market.items():
        where = key if isinstance(raw, list) else f"{key}.{m}"
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            ld.problem(where, f"must be a list of symbols, not {_show(items)}")
            continue
        syms = []
        for x in items:
            sym = x.strip().upper()
            if not _SYMBOL_RE.match(sym):
                ld.problem(where, f"{x[:40]!r} is not a symbol like BTCUSDT")
            elif sym not in syms:
                syms.append(sym)
        if len(syms) > 50:
            ld.problem(where, f"{len(syms)} symbols: at most 50 per market")
            syms = syms[:50]
        out[m] = tuple(syms)
    return out


def _load_private_key(ld: _Loader, key: str, pem: str, passphrase: str | None) -> str | None:
    """Given PEM text, return an unencrypted PEM python-binance accepts; report what is wrong."""
    from Crypto.PublicKey import ECC, RSA

    text = pem.replace("\r\n", "\n").strip() + "\n"
    if "PRIVATE KEY" not in text:
        ld.problem(key, "is not a PEM private key (expected '-----BEGIN PRIVATE KEY-----')")
        return None
    try:
        k = ECC.import_key(text, passphrase=passphrase)
        if k.curve.lower() != "ed25519":
            ld.problem(key, f"{k.curve} keys are not supported by Binance; use Ed25519 or RSA")
            return None
        return k.export_key(format="PEM").strip()
    except (ValueError, IndexError, TypeError):
        pass
    try:
        rk = RSA.import_key(text, passphrase=passphrase)
        return rk.export_key(format="PEM", pkcs=8).decode().strip()
    except (ValueError, IndexError, TypeError):
        pass
    if "ENCRYPTED" in text and not passphrase:
        ld.problem(key, "is encrypted: set private_key_pass_env or private_key_pass_file")
    else:
        ld.problem(key, "could not be read as an Ed25519 or RSA private key (wrong passphrase?)")
    return None


def _load_account(ld: _Loader, table: Any, index: int, names: set[str]) -> AccountConfig | None:
    """Given the index-th ``[[accounts]]`` table, return its settings (None without a key);
    every problem goes to ``ld``, in the order the keys are read."""
    prefix = f"accounts[{index}]"
    r = _Reader(ld, table, prefix)
    name = _account_name(ld, r, prefix, index, names)
    api_key, api_secret, pk_pem = _credentials(ld, r, prefix)
    markets, bot_api, bot = _markets_and_bot(ld, r, prefix)
    testnet, urls = _base_urls(ld, r, prefix)
    f: dict[str, Any] = {
        "portfolio_margin": _portfolio_margin(ld, r, prefix),
        "position_mode": r.string("position_mode", "one-way", choices=("one-way", "hedge")),
        "recv_window_ms": r.number("recv_window_ms", 5000, minimum=1, maximum=60000, integer=True),
        "min_available": _decimal_map(ld, r, "min_available"),
    }
    test_symbols = tuple(s.upper() for s in r.strings("test_order_symbols", ()))
    for s in test_symbols:
        if not _SYMBOL_RE.match(s):
            ld.problem(f"{prefix}.test_order_symbols", f"{s!r} is not a symbol like BTCUSDT")
    f["test_order_quantity"] = _decimal_map(ld, r, "test_order_quantity")
    checks = r.strings("checks", CHECK_IDS)
    for c in checks:
        if c not in CHECK_IDS:
            ld.problem(f"{prefix}.checks", f"{c!r} is not one of {', '.join(CHECK_IDS)}")
    final = tuple(m for m in markets if m in MARKETS)
    f["symbols"] = _load_symbols(ld, r, prefix, final)
    f["order_size"] = _order_size(ld, r, prefix)
    multi_assets = r.raw("multi_assets_margin")
    if multi_assets is not None and not isinstance(multi_assets, bool):
        ld.problem(
            f"{prefix}.multi_assets_margin", f"must be true or false, not {_show(multi_assets)}"
        )
        multi_assets = None
    f["multi_assets_margin"] = multi_assets
    if bot is not None:
        _fill_from_bot(bot, final, f)
    r.finish()
    if api_key is None:
        return None
    return AccountConfig(
        name=name,
        api_key=Secret(api_key, "api key"),
        api_secret=Secret(api_secret, "api secret") if api_secret else None,
        private_key=Secret(pk_pem, "private key") if pk_pem else None,
        markets=tuple(dict.fromkeys(final)),
        urls=urls,
        testnet=testnet,
        test_order_symbols=test_symbols,
        checks=tuple(checks),
        bot=bot,
        bot_api=bot_api,
        **f,
    )


def _account_name(ld: _Loader, r: _Reader, prefix: str, index: int, names: set[str]) -> str:
    """Return the account's name (a stand-in if it has none), unique among ``names``."""
    name = r.string("name", None)
    if name is None:
        ld.problem(f"{prefix}.name", "missing: every account needs a name")
        name = f"account{index}"
    elif not _NAME_RE.match(name):
        ld.problem(f"{prefix}.name", f"{name!r} must be 1-64 letters, digits, '_', '.' or '-'")
    elif name in names:
        ld.problem(f"{prefix}.name", f"{name!r} is used by another account")
    names.add(name)
    return name


def _credentials(ld: _Loader, r: _Reader, prefix: str) -> tuple[str | None, str | None, str | None]:
    """Return the account's API key, API secret (HMAC) and private key PEM (Ed25519/RSA): a key
    and exactly one of the other two."""
    api_key = ld.secret(r, "api_key", required=True, kind="key")
    # a key that does not match _KEY_RE is left to Binance (-2014)
    api_secret = ld.secret(r, "api_secret", required=False, kind="secret")
    has_pk = any(r.has(n) for n in ("private_key_file", "private_key_env"))
    if r.has("private_key"):
        ld.problem(f"{prefix}.private_key", "give the key as private_key_file (or private_key_env)")
    pk_pem = None
    if has_pk:
        pk_raw = ld.secret(r, "private_key", required=False, kind="pem")
        passphrase = ld.secret(r, "private_key_pass", required=False, kind="secret")
        if pk_raw is not None:
            pk_pem = _load_private_key(ld, f"{prefix}.private_key_file", pk_raw, passphrase)
        elif ld.secrets_optional:
            pk_pem = "placeholder"
    else:
        for n in ("private_key_pass", "private_key_pass_env", "private_key_pass_file"):
            if r.has(n):
                ld.problem(f"{prefix}.{n}", "only makes sense with private_key_file")
    if api_secret is not None and has_pk:
        ld.problem(
            f"{prefix}.api_secret", "give either an API secret (HMAC) or a private key, not both"
        )
    if (
        api_secret is None
        and not has_pk
        and not any(r.has(n) for n in ("api_secret", "api_secret_env", "api_secret_file"))
    ):
        ld.problem(
            f"{prefix}.api_secret",
            "missing: set api_secret_env, api_secret_file or private_key_file",
        )
    return api_key, api_secret, pk_pem


def _markets_and_bot(
    ld: _Loader, r: _Reader, prefix: str
) -> tuple[tuple[str, ...], BotApi | None, BotLink | None]:
    """Return the account's markets (ours, else its bot config's), its bot API and bot link."""
    markets = r.strings("markets", ("spot",))
    bot_api = _load_bot_api(ld, r, prefix)
    bot = _load_bot(ld, r, prefix, bot_api)
    if bot is not None and "markets" not in bot.own_keys and "markets" in bot.derived.values:
        markets = tuple(bot.derived.values["markets"])  # ours, when written, win
    for m in markets:
        if m not in MARKETS:
            ld.problem(f"{prefix}.markets", f"{m!r} is not one of {', '.join(MARKETS)}")
    if not markets:
        ld.problem(f"{prefix}.markets", "must name at least one market")
    return tuple(markets), bot_api, bot


def _base_urls(ld: _Loader, r: _Reader, prefix: str) -> tuple[bool, dict[str, str]]:
    """Return ``testnet`` and the base URL per market (Binance's, unless set)."""
    testnet = r.boolean("testnet", False)
    urls: dict[str, str] = {}
    for mk in MARKET_TABLE.values():
        default = mk.url(testnet)
        u = (r.string(mk.url_setting, default) or default).rstrip("/")
        prefixes = "|".join(p.prefix.strip("/") for p in POOL_TABLE.values())
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", u):
            ld.problem(f"{prefix}.{mk.url_setting}", f"{u!r} is not an http(s) base URL")
        elif re.search(rf"/({prefixes})/?$", u):
            ld.problem(
                f"{prefix}.{mk.url_setting}",
                f"{u!r}: give the base URL only; /api, /sapi, /fapi, /dapi and /papi are appended",
            )
        urls[mk.id] = u
    return testnet, urls


def _portfolio_margin(ld: _Loader, r: _Reader, prefix: str) -> Any:
    """Return ``portfolio_margin``: "auto" (the default), True or False."""
    portfolio_margin = r.raw("portfolio_margin")
    if portfolio_margin is None:
        return "auto"
    if portfolio_margin != "auto" and not isinstance(portfolio_margin, bool):
        ld.problem(
            f"{prefix}.portfolio_margin",
            f'must be "auto", true or false, not {_show(portfolio_margin)}',
        )
        return "auto"
    return portfolio_margin


def _order_size(ld: _Loader, r: _Reader, prefix: str) -> dict[str, Decimal]:
    """Return ``order_size`` per symbol (upper case) and "default": a table, or one number
    for every symbol."""
    order_size = _decimal_map(ld, r, "order_size", upper=True, positive=True)
    if isinstance(r.raw("order_size"), int | float) and not isinstance(r.raw("order_size"), bool):
        order_size = _decimal_map(
            ld,
            _Reader(ld, {"order_size": {"default": r.raw("order_size")}}, prefix),
            "order_size",
            upper=True,
            positive=True,
        )
        return {"default": order_size.get("DEFAULT", Decimal(0))} if order_size else {}
    return {("default" if k == "DEFAULT" else k): v for k, v in order_size.items()}


def _fill_from_bot(bot: BotLink, final: tuple[str, ...], f: dict[str, Any]) -> None:
    """Fill in the account settings its bot config says and ours do not write (ours win)."""
    got = bot.derived.values
    if "symbols" not in bot.own_keys and "symbols" in got:
        f["symbols"] = {m: s for m, s in got["symbols"].items() if m in final}
    for key in ("order_size", "position_mode", "multi_assets_margin"):
        if key not in bot.own_keys and key in got:
            f[key] = dict(got[key]) if key == "order_size" else got[key]


def _load_bot(ld: _Loader, r: _Reader, prefix: str, bot_api: BotApi | None) -> BotLink | None:
    """Read ``bot`` and ``bot_config`` and the bot's file itself (with ``bot_api``, the running
    freqtrade's live whitelist for pairs only it knows); report what is wrong."""
    kind = r.string("bot", None, choices=BOT_KINDS)
    raw = r.string("bot_config", None)
    if kind is None and raw is None:
        return None
    if raw is None:
        if r.has("bot") and kind is not None:
            ld.problem(
                f"{prefix}.bot_config", f"missing: bot = {kind!r} needs the path of its config"
            )
        return None
    if kind is None:
        if not r.has("bot"):
            ld.problem(
                f"{prefix}.bot",
                'missing: say which bot reads bot_config ("freqtrade" or "hummingbot")',
            )
        return None
    if "\0" in raw or not raw.strip():
        ld.problem(f"{prefix}.bot_config", f"{raw[:40]!r} is not a path")
        return None
    path = Path(raw).expanduser()
    if not path.is_absolute() and ld.path is not None:
        path = ld.path.parent / path
    try:
        derived = read_live_bot_config(kind, path, bot_api)
    except BotConfigError as exc:
        ld.problem(f"{prefix}.bot_config", str(exc))
        return None
    own = frozenset(k for k in DERIVABLE_KEYS if k in r.table)
    return BotLink(kind, path, own, derived, fingerprint(derived.files))


def _load_bot_api(ld: _Loader, r: _Reader, prefix: str) -> BotApi | None:
    """Given an account's reader, return its ``bot_api`` (None if absent or wrong; each problem
    is reported naming the dotted key, never the password)."""
    if not r.has("bot_api"):
        return None
    key = f"{prefix}.bot_api"
    raw = r.raw("bot_api")
    if not isinstance(raw, dict):
        ld.problem(
            key,
            'must be a table like { url = "http://127.0.0.1:8080", username_env = "FT_USER", '
            f'password_env = "FT_PASSWORD" }}, not {_show(raw)}',
        )
        return None
    br = _Reader(ld, raw, key)
    n_before = len(ld.problems)
    url = br.string("url", None)
    if url is None:
        ld.problem(f"{key}.url", "missing: the bot's REST API, e.g. http://127.0.0.1:8080")
    else:
        url = url.strip().rstrip("/")
        url = url[: -len("/api/v1")] if url.endswith("/api/v1") else url
        if re.match(r"^[a-z][a-z0-9+.-]*://[^/]*@", url, re.I):
            # never echo it: the part before @ is a password
            ld.problem(
                f"{key}.url",
                "must not hold a user name or password (user:password@): "
                "give them as username_env and password_env",
            )
        elif not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", url):
            ld.problem(f"{key}.url", f"{_show(url)} is not an http(s) URL")
    username: str | None
    if br.has("username"):
        username = br.string("username", None)
        for n in ("username_env", "username_file"):
            if br.has(n):
                ld.problem(f"{key}.{n}", "give only one of username, username_env, username_file")
    else:
        username = ld.secret(br, "username", required=True, kind="secret")
    password = ld.secret(br, "password", required=True, kind="secret")
    stale_after = br.number(
        "stale_after", DEFAULT_BOT_API_STALE_AFTER, minimum=1, maximum=7 * 86400
    )
    br.finish()
    if len(ld.problems) > n_before or url is None or not username or password is None:
        return None
    return BotApi(url, username, Secret(password, "bot api password"), float(stale_after))


def parse_config(
    data: dict[str, Any],
    *,
    path: Path | None = None,
    env: dict[str, str] | None = None,
    private: bool = True,
    secrets: bool = True,
) -> Config:
    """Given parsed TOML, return a validated Config; raise ConfigError listing every problem.

    ``private`` says whether the file is readable by its owner only; literal secrets are refused
    otherwise.
    """
    ld = _Loader(path, dict(os.environ) if env is None else env)
    ld.secrets_optional = not secrets
    known = {"daemon", "ntp", "alerts", "checks", "accounts", "metrics", "maintenance", "watch"}
    for extra in sorted(set(data) - known):
        ld.problem(_key_name(extra), "unknown key (typo?)")
    daemon = _load_daemon(ld, data.get("daemon", {}))
    ntp = _load_ntp(ld, data.get("ntp", {}))
    alerts = _load_alerts(ld, data.get("alerts", {}))
    if "maintenance" in data:  # [[maintenance]] at the top level, as in Gatus
        alerts = replace(
            alerts,
            maintenance=alerts.maintenance
            + parse_windows(data["maintenance"], "maintenance", ld.problem),
        )
    checks = _load_checks(ld, data.get("checks", {}))
    metrics = _load_metrics(ld, data.get("metrics", {}))
    accounts, names = _load_accounts(ld, data.get("accounts", []))
    _check_window_accounts(ld, alerts, names)
    from healthcheck.logwatch.settings import parse_watch

    watch, watch_problems = parse_watch(data.get("watch"), names)
    for key, message in watch_problems:
        ld.problem(key, message)
    if not private and secrets:
        _refuse_readable_secrets(ld, path)
    if ld.problems:
        raise ConfigError(ld.problems)
    return Config(
        accounts=tuple(accounts),
        daemon=daemon,
        ntp=ntp,
        alerts=alerts,
        checks=checks,
        path=path,
        metrics=metrics,
        watch=watch,
    )


def _load_accounts(ld: _Loader, raw_accounts: Any) -> tuple[list[AccountConfig], set[str]]:
    """Given the ``[[accounts]]`` array, return the accounts and every name given."""
    accounts: list[AccountConfig] = []
    if not isinstance(raw_accounts, list):
        ld.problem("accounts", "must be an array of tables: write [[accounts]]")
        raw_accounts = []
    if not raw_accounts:
        ld.problem("accounts", "no [[accounts]] configured")
    names: set[str] = set()
    for i, table in enumerate(raw_accounts):
        acc = _load_account(ld, table, i, names)
        if acc is not None:
            accounts.append(acc)
    return accounts, names


def _refuse_readable_secrets(ld: _Loader, path: Path | None) -> None:
    """A file that others may read must not hold literal secrets: say which, and the fix."""
    if not ld.literal_secret_keys:
        return
    keys = ", ".join(ld.literal_secret_keys[:3])
    more = "" if len(ld.literal_secret_keys) <= 3 else f" (+{len(ld.literal_secret_keys) - 3})"
    ld.problem(
        "",
        f"holds literal secrets ({keys}{more}) but is readable by group or others; "
        f"run: chmod 600 {path}, or move them to *_env / *_file",
    )


def _check_window_accounts(ld: _Loader, alerts: AlertsConfig, names: set[str]) -> None:
    """A maintenance window naming an account that does not exist would silently never apply."""
    for w in alerts.maintenance:
        for acc in w.accounts:
            if names and acc not in names:
                ld.problem(
                    f"maintenance window '{w.name}'.accounts",
                    f"no account {acc!r} (have: {', '.join(sorted(names))})",
                )


def load_config(
    path: str | Path, env: dict[str, str] | None = None, *, secrets: bool = True
) -> Config:
    """Given a TOML file, return its Config; raise ConfigError with one line per problem.

    ``secrets=False`` reads no secret (nor its file or variable): for ``plan``, which needs only
    the accounts' shape."""
    p = Path(path)
    try:
        # never blocks on a FIFO, refuses devices, reads at most CONFIG_MAX_BYTES
        raw = files.read_bytes(p, max_bytes=files.CONFIG_MAX_BYTES, what="config file")
        st = p.stat()
    except files.FileRefused as exc:
        raise ConfigError([f"{p}: {exc}"]) from None
    except OSError as exc:
        raise ConfigError([f"{p}: cannot read config file: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"{p}: is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{p}: invalid TOML: {exc}"]) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError([f"{p}: invalid TOML: {exc}"]) from None
    except RecursionError:
        raise ConfigError([f"{p}: invalid TOML: arrays or tables nested too deeply"]) from None
    private = not (st.st_mode & 0o077)
    return parse_config(data, path=p, env=env, private=private, secrets=secrets)
