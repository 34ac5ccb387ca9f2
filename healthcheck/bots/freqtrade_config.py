"""freqtrade's config file: read it as freqtrade does and say what it means for the account.

Reading follows freqtrade 2026.9 (``configuration/load_config.py``): JSON with ``//`` and
``/* */`` comments and trailing commas (rapidjson's ``PM_COMMENTS | PM_TRAILING_COMMAS``);
``add_config_files`` are loaded relative to the file that names them (at most 5 levels deep),
later files override earlier ones and the naming file overrides them all (``deep_merge_dicts``).
Every file goes through :mod:`healthcheck.storage.files` (no FIFO, device or directory, 1 MB at
most).
``FREQTRADE__SECTION__KEY`` environment variables belong to the bot's process, which this one
cannot see: they are not applied (write the key in our config instead).

The exchange keys (``exchange.key``, ``exchange.secret``) and the REST API password are never
read: the account's own read-only key comes from our config.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from healthcheck.bots import freqtrade_strategy
from healthcheck.bots.derived import (
    BOT_CONFIG_MAX_BYTES,
    BotConfigError,
    Derived,
    MinStakeRule,
    Stake,
    pair_to_symbol,
)
from healthcheck.model.markets import MARKETS
from healthcheck.storage import files

MAX_DEPTH = 5  # freqtrade: "Config loop detected." beyond 5 levels of add_config_files
UNLIMITED = "unlimited"
LIVE_SOURCE = "the bot's live whitelist (bot_api /api/v1/whitelist)"
STATIC = "StaticPairList"
_REGEX_CHARS = re.compile(r"[.*+?\[\](){}|^$\\]")
_TOKEN = re.compile(r'"|//|/\*')
_STRING_BODY = re.compile(r'(?:\\.|[^"\\])*"', re.DOTALL)
_TRAILING_COMMA = re.compile(r'"(?:\\.|[^"\\])*"|,(?=\s*[\]}])', re.DOTALL)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def strip_comments(text: str, where: str) -> str:
    """Given JSON with ``//`` and ``/* */`` comments and trailing commas, return plain JSON
    (comments become spaces, so line numbers stay); raise BotConfigError on an unterminated
    string or comment. Linear in the text's length, whatever it holds."""
    out: list[str] = []
    pos = 0
    while True:
        m = _TOKEN.search(text, pos)
        if m is None:
            out.append(text[pos:])
            break
        out.append(text[pos : m.start()])
        tok = m.group()
        if tok == '"':
            end = _STRING_BODY.match(text, m.end())
            if end is None:
                raise BotConfigError(f"{where}: a string is not closed")
            out.append(text[m.start() : end.end()])
            pos = end.end()
        elif tok == "//":
            nl = text.find("\n", m.end())
            pos = len(text) if nl < 0 else nl
        else:
            close = text.find("*/", m.end())
            if close < 0:
                raise BotConfigError(f"{where}: a /* comment is not closed")
            out.append(re.sub(r"[^\n]", " ", text[m.start() : close + 2]))
            pos = close + 2
    plain = "".join(out)
    return _TRAILING_COMMA.sub(lambda t: t.group() if t.group() != "," else " ", plain)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value and "\0" not in value else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json(path: Path) -> dict[str, Any]:
    """Given a freqtrade config file, return its object; raise BotConfigError naming the file."""
    try:
        text = files.read_text(path, max_bytes=BOT_CONFIG_MAX_BYTES, what="bot config")
    except files.FileRefused as exc:
        raise BotConfigError(str(exc)) from None
    if "\0" in text:
        raise BotConfigError(f"bot config {str(path)!r} is binary, not JSON")
    where = f"bot config {str(path)!r}"
    try:
        data = json.loads(strip_comments(text, where), parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise BotConfigError(
            f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # NaN/Infinity, an integer of more than 4300 digits
        raise BotConfigError(f"{where}: invalid JSON: {str(exc).splitlines()[0][:80]}") from None
    except RecursionError:
        raise BotConfigError(f"{where}: invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BotConfigError(f"{where}: must hold a JSON object, not {_show(data)}")
    return data


def _merge(
    source: dict[str, Any],
    src_origin: dict[str, Path],
    dest: dict[str, Any],
    dest_origin: dict[str, Path],
    prefix: str = "",
) -> None:
    """freqtrade's ``deep_merge_dicts``: values of ``source`` override ``dest`` (modified); the
    origins (dotted key -> file) follow the values."""
    for key, value in source.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            node = dest.get(key)
            if not isinstance(node, dict):
                node = dest[key] = {}
            _merge(value, src_origin, node, dest_origin, dotted + ".")
        else:
            dest[key] = value
            if dotted in src_origin:
                dest_origin[dotted] = src_origin[dotted]


def _origins(data: dict[str, Any], file: Path, prefix: str = "") -> dict[str, Path]:
    out: dict[str, Path] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_origins(value, file, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = file
    return out


def load(path: Path, level: int = 0) -> tuple[dict[str, Any], dict[str, Path], list[Path]]:
    """Given a freqtrade config file, return (the merged config, dotted key -> file it came
    from, every file read); raise BotConfigError with one line naming the file and key."""
    if level > MAX_DEPTH:
        raise BotConfigError(
            f"bot config {str(path)!r}: add_config_files nested more than {MAX_DEPTH} "
            "levels deep (a loop?)"
        )
    data = read_json(path)
    origin = _origins(data, path)
    read = [path]
    if "add_config_files" in data:
        subs = data["add_config_files"]
        if not isinstance(subs, list) or not all(isinstance(s, str) for s in subs):
            raise BotConfigError(
                f"bot config {str(path)!r}: add_config_files: must be a list of file names, "
                f"not {_show(subs)}"
            )
        try:
            base = path.resolve().parent
        except (OSError, RuntimeError) as exc:
            raise BotConfigError(f"bot config {str(path)!r}: cannot resolve: {exc}") from None
        sub_cfg: dict[str, Any] = {}
        sub_origin: dict[str, Path] = {}
        for name in subs:
            cfg, org, got = load(base / name, level + 1)
            _merge(cfg, org, sub_cfg, sub_origin)
            read += got
        _merge(data, origin, sub_cfg, sub_origin)
        data, origin = sub_cfg, sub_origin
    return data, origin, read


# ------------------------------------------------------------------------------ derivation


class _Keys:
    """Typed access to the merged config; problems name the file that set the key."""

    def __init__(self, cfg: dict[str, Any], origin: dict[str, Path], path: Path) -> None:
        self.cfg = cfg
        self.origin = origin
        self.path = path

    def where(self, dotted: str) -> str:
        return f"{self.origin.get(dotted, self.path)}: {dotted}"

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.cfg
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def fail(self, dotted: str, message: str) -> BotConfigError:
        return BotConfigError(f"bot config {self.where(dotted)}: {message}")

    def number(
        self,
        dotted: str,
        default: Decimal | None,
        *,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
    ) -> Decimal | None:
        value = self.get(dotted)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(dotted, f"must be a number, not {_show(value)}")
        try:
            dec = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(dotted, f"must be a number, not {_show(value)}") from None
        if not dec.is_finite() or (minimum is not None and dec < minimum):
            raise self.fail(dotted, f"must be at least {minimum}, not {_show(value)}")
        if maximum is not None and dec > maximum:
            raise self.fail(dotted, f"must be at most {maximum}, not {_show(value)}")
        return dec

    def strings(self, dotted: str) -> list[str]:
        value = self.get(dotted, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(dotted, f"must be a list of pairs, not {_show(value)}")
        return value


def _is_regex(pair: str) -> bool:
    return bool(_REGEX_CHARS.search(pair))


def _blacklisted(pair: str, blacklist: list[str]) -> bool:
    """freqtrade's expand_pairlist: each blacklist entry is a regex matched whole, any case."""
    for entry in blacklist:
        try:
            if re.fullmatch(entry, pair, re.IGNORECASE):
                return True
        except re.error:
            if entry.upper() == pair.upper():
                return True
    return False


def derive(
    cfg: dict[str, Any],
    origin: dict[str, Path],
    path: Path,
    read: list[Path],
    live_whitelist: list[str] | None = None,
) -> Derived:
    """Given a merged freqtrade config (see :func:`load`), return what it says in our terms;
    ``live_whitelist`` (the bot's ``/api/v1/whitelist``) replaces a whitelist that only the
    running bot knows (regexes, dynamic pairlists). Raise BotConfigError naming file and key."""
    k = _Keys(cfg, origin, path)
    src: dict[str, str] = {}
    values: dict[str, Any] = {}
    notes: list[str] = []
    name = k.get("exchange.name")
    if not isinstance(name, str) or name.lower() != "binance":
        raise k.fail("exchange.name", f"{_show(name)}: only Binance accounts are watched here")
    market = _market(k, values, src)
    margin_mode = _futures_modes(k, market, values, src)
    unknown = _symbols(k, market, live_whitelist, values, src, notes)
    stake = _stake(k, values, src)
    return Derived(
        bot="freqtrade",
        path=path,
        files=tuple(read),
        values=values,
        sources=src,
        stake=stake,
        min_stake=_min_stake_rule(k, read, notes),
        margin_mode=margin_mode,
        symbols_unknown=unknown,
        notes=tuple(notes),
    )


def _market(k: _Keys, values: dict[str, Any], src: dict[str, str]) -> str:
    """Given the config, return its market (``trading_mode``) and note it in ``values``."""
    mode = k.get("trading_mode", "spot")
    if mode == "spot":
        market = "spot"
    elif mode == "futures":
        market = "usdm"
    elif mode == "margin":
        raise k.fail(
            "trading_mode",
            "'margin' is not supported here (spot and futures are): "
            "write markets and symbols in our config for this account",
        )
    else:
        raise k.fail("trading_mode", f"{_show(mode)} is not one of spot, futures, margin")
    values["markets"] = (market,)
    src["markets"] = (
        k.where("trading_mode")
        if "trading_mode" in k.origin
        else f"{k.path}: trading_mode (not set: spot)"
    )
    return market


def _futures_modes(
    k: _Keys, market: str, values: dict[str, Any], src: dict[str, str]
) -> str | None:
    """Given a futures config, note the position and asset modes freqtrade insists on; return
    its ``margin_mode`` (None on spot, or when not set)."""
    if not MARKETS[market].futures:
        return None
    mm = k.get("margin_mode")
    if mm not in (None, "isolated", "cross"):
        raise k.fail("margin_mode", f"{_show(mm)} is not one of isolated, cross")
    values["position_mode"] = "one-way"
    src["position_mode"] = f"{k.where('trading_mode')} (freqtrade refuses Hedge Mode on futures)"
    if mm == "isolated":
        values["multi_assets_margin"] = False
        src["multi_assets_margin"] = (
            f"{k.where('margin_mode')} (freqtrade refuses Multi-Asset Mode unless cross)"
        )
    return mm


def _symbols(
    k: _Keys,
    market: str,
    live_whitelist: list[str] | None,
    values: dict[str, Any],
    src: dict[str, str],
    notes: list[str],
) -> str | None:
    """Given the config (and the bot's live whitelist), note the symbols it trades; return why
    they are unknown (only the running bot chooses them), or None."""
    whitelist = (
        live_whitelist if live_whitelist is not None else k.strings("exchange.pair_whitelist")
    )
    blacklist = k.strings("exchange.pair_blacklist")
    pairlists = k.get("pairlists", [{"method": STATIC}])
    if not isinstance(pairlists, list):
        raise k.fail("pairlists", f'must be a list of {{"method": ...}}, not {_show(pairlists)}')
    first = pairlists[0].get("method") if pairlists and isinstance(pairlists[0], dict) else None
    unknown: str | None = None
    how = 'symbols = ["BTCUSDT"] (its pairs) in this account of our config, or bot_api to read them'

    if live_whitelist is None and first != STATIC:
        unknown = (
            f"{k.where('pairlists')} starts with {first or 'nothing'}, which chooses pairs "
            f"while the bot runs: the symbols are unknown; set {how}"
        )
        whitelist = []
    regexes = [p for p in whitelist if _is_regex(p)]
    if regexes and live_whitelist is None:
        unknown = (
            f"{k.where('exchange.pair_whitelist')} has the regex {regexes[0]!r}, which only "
            f"the running bot expands: those symbols are unknown; set {how}"
        )
    symbols: list[str] = []
    for pair in whitelist:
        if _is_regex(pair) or _blacklisted(pair, blacklist):
            continue
        sym = pair_to_symbol(pair)
        if re.fullmatch(r"[A-Z0-9]{2,30}", sym) and sym not in symbols:
            symbols.append(sym)
    if len(symbols) > 50:
        notes.append(f"{len(symbols)} pairs in the whitelist: the first 50 are checked")
        symbols = symbols[:50]
    if symbols:
        values["symbols"] = {market: tuple(symbols)}
        src["symbols"] = (
            LIVE_SOURCE
            if live_whitelist is not None
            else k.where("exchange.pair_whitelist")
            + (" minus exchange.pair_blacklist" if blacklist else "")
        )
    return unknown


def _stake(k: _Keys, values: dict[str, Any], src: dict[str, str]) -> Stake:
    """Given the config, return its stake (a fixed amount, noted as our order size, or
    "unlimited": a share of the balance per open trade)."""
    currency = k.get("stake_currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z0-9]{2,20}", currency):
        raise k.fail("stake_currency", f"must be an asset like USDT, not {_show(currency)}")
    raw = k.get("stake_amount")
    max_trades_raw = k.get("max_open_trades", -1)
    if isinstance(max_trades_raw, bool) or not isinstance(max_trades_raw, int | float):
        raise k.fail("max_open_trades", f"must be a number, not {_show(max_trades_raw)}")
    max_trades = None if max_trades_raw in (-1, float("inf")) else int(max_trades_raw)
    if raw == UNLIMITED:
        if max_trades is None:
            raise k.fail(
                "stake_amount",
                "'unlimited' with max_open_trades unlimited: freqtrade refuses this config "
                "(`max_open_trades` and `stake_amount` cannot both be unlimited)",
            )
        return Stake(
            "unlimited",
            k.where("stake_amount"),
            currency=currency.upper(),
            ratio=k.number(
                "tradable_balance_ratio", Decimal("0.99"), minimum=Decimal(0), maximum=Decimal(1)
            )
            or Decimal("0.99"),
            max_open_trades=max_trades,
            available_capital=k.number("available_capital", None, minimum=Decimal(0)),
        )
    if raw is None:
        raise k.fail("stake_amount", 'missing: freqtrade needs a number or "unlimited"')
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw > 0:
        raise k.fail("stake_amount", f'must be a number above 0 or "unlimited", not {_show(raw)}')
    amount = Decimal(str(raw))
    values["order_size"] = {"default": amount}
    src["order_size"] = k.where("stake_amount") + f" ({currency.upper()})"
    return Stake("quote", k.where("stake_amount"), amount=amount, currency=currency.upper())


def _min_stake_rule(k: _Keys, read: list[Path], notes: list[str]) -> MinStakeRule:
    """Given the config, return freqtrade's minimum-stake rule: its stoploss (the config's key,
    else the strategy class's attribute, whose file joins ``read``) and amount reserve."""
    stoploss = k.number("stoploss", None, minimum=Decimal(-1), maximum=Decimal(0))
    stoploss_source = k.where("stoploss")
    strategy = k.get("strategy")
    if stoploss is None and isinstance(strategy, str) and re.fullmatch(r"\w{1,100}", strategy):
        # freqtrade's config key wins over the strategy's attribute; without it, read the class
        dirs = freqtrade_strategy.search_dirs(
            k.path.parent,
            _str_or_none(k.get("strategy_path")),
            _str_or_none(k.get("user_data_dir")),
        )
        found, file = freqtrade_strategy.find_stoploss(strategy, dirs)
        if file is not None:
            read.append(file)  # an edit of the strategy's stoploss is picked up like the config's
        if found is not None and file is not None:
            stoploss, stoploss_source = found, f"{file}: {strategy}.stoploss"
        elif file is not None:
            notes.append(f"{strategy}.stoploss in {file} is not a plain number: the cap is assumed")
    return MinStakeRule(
        stoploss=stoploss,
        stoploss_source=stoploss_source,
        amount_reserve_percent=k.number(
            "amount_reserve_percent", Decimal("0.05"), minimum=Decimal(0), maximum=Decimal("0.5")
        )
        or Decimal(0),
    )


def read(path: Path, live_whitelist: list[str] | None = None) -> Derived:
    """Given a freqtrade config file, return what it says; raise BotConfigError (one line)."""
    cfg, origin, got = load(path)
    return derive(cfg, origin, path, got, live_whitelist)
