"""Property-based tests: whatever a config file or Binance sends, nothing crashes or lies.

Covered: the config loader (arbitrary and near-valid data, arbitrary files), every check's
``evaluate`` against arbitrary and mutated-realistic Binance answers, the exchangeInfo parser,
the server-time measurement, NTP voting and the real SNTP client against a loopback responder
that answers with arbitrary bytes, and the log redactor.
"""

from __future__ import annotations

import copy
import json
import math
import socket
import struct
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from healthcheck.checks import REGISTRY
from healthcheck.checks.base import ExchangeLimits, Facts
from healthcheck.config import (
    AccountConfig,
    ChecksConfig,
    Config,
    ConfigError,
    NtpServer,
    load_config,
    parse_config,
)
from healthcheck.engine.exchangeinfo import parse_exchange_info
from healthcheck.engine.timing import measure
from healthcheck.exchange.fetch import FetchError, Outcome, Request
from healthcheck.exchange.ntp import NtpSample, query_server, vote
from healthcheck.exchange.weights import WeightBook
from healthcheck.model.result import Result, Status
from healthcheck.storage import redact
from healthcheck.storage.secrets import Secret

SETTINGS = settings(
    deadline=None,
    max_examples=80,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=60)


@pytest.fixture(autouse=True, scope="module")
def _restore_redactor():
    """Random strings registered as secrets here must not scrub other tests' output."""
    literals, pattern = set(redact._literals), redact._literal_re
    yield
    with redact._lock:
        redact._literals.clear()
        redact._literals.update(literals)
        redact._literal_re = pattern


def one_line(text: str) -> bool:
    return len(text.splitlines()) == 1 and text.strip() != ""


# ----------------------------------------------------------------------------- strategies

HUGE_INTS = st.sampled_from([2**63, -(2**63) - 1, 10**400, -(10**400), 2**1000])
TRICKY_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "abc",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1e999999999",
        "-1e999999999",
        "0",
        "-0",
        "1",
        "0.5",
        "1_000",
        "\n",
        "a\nb",
        "\x00",
        "é€𝄞",
        "\u2028",
        "${CREDENTIALS_DIRECTORY}/x",
        "~\x00x",
        "https://",
        "http://a b",
    ]
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)

# values that broke (or would break) number handling: overflow, non-finite, absurd exponents
NASTY = st.sampled_from(
    [
        10**20,
        -(10**20),
        10**400,
        1e20,
        1e308,
        -1e308,
        float("inf"),
        float("-inf"),
        float("nan"),
        "1e999999999",
        "-1e999999999",
        "1e-999999999",
        "1e5000",
        "NaN",
        "Infinity",
        True,
        False,
        None,
        "abc",
        "",
        {"x": 1},
        [1],
        "a\nb",
        0,
        -1,
    ]
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | HUGE_INTS
    | FLOATS
    | st.text(max_size=20)
    | TRICKY_STRINGS
)
json_values = st.recursive(
    json_scalars,
    lambda c: (
        st.lists(c, max_size=4)
        | st.dictionaries(st.text(max_size=12) | TRICKY_STRINGS, c, max_size=4)
    ),
    max_leaves=12,
)

toml_scalars = (
    st.booleans()
    | st.integers(-(10**20), 10**20)
    | HUGE_INTS
    | FLOATS
    | st.text(max_size=30)
    | TRICKY_STRINGS
    | st.datetimes()
)
toml_values = st.recursive(
    toml_scalars,
    lambda c: (
        st.lists(c, max_size=4)
        | st.dictionaries(st.text(max_size=12) | TRICKY_STRINGS, c, max_size=4)
    ),
    max_leaves=10,
)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, prefix + (i,))
    return out


def _parent(obj: Any, path: tuple) -> Any:
    for p in path[:-1]:
        obj = obj[p]
    return obj


@st.composite
def mutated(draw, base: Any, garbage: st.SearchStrategy, max_mutations: int = 3) -> Any:
    """Given a valid document, return a copy with 1..n keys deleted, retyped or added."""
    doc = copy.deepcopy(base)
    # sampled_from hands out the same list/dict objects again: copy, or a mutation may nest a
    # container inside itself (and draws would not be reproducible)
    garbage = garbage.map(copy.deepcopy)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["delete", "replace", "add", "replace"]))
        if not path:  # the root: add an unknown key (if a table) or replace nothing
            if isinstance(doc, dict):
                doc[draw(st.text(max_size=12) | TRICKY_STRINGS)] = draw(garbage)
            continue
        parent = _parent(doc, path)
        key = path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(garbage)
        else:
            target = parent[key]
            if isinstance(target, dict):
                target[draw(st.text(max_size=12) | TRICKY_STRINGS)] = draw(garbage)
            elif isinstance(target, list):
                target.append(draw(garbage))
            else:
                parent[key] = draw(garbage)
    return doc


# ----------------------------------------------------------------------------- 1. config

KEY_A = "A" * 32 + "b" * 32
KEY_B = "C1" * 32
SECRET_A = "s3cr3t" * 10 + "abcd"

try:
    from Crypto.PublicKey import ECC

    GOOD_PEM = ECC.generate(curve="ed25519").export_key(format="PEM")
except Exception:  # pragma: no cover - pycryptodome is a dependency
    GOOD_PEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"

ENV = {
    "BHC_KEY": KEY_B,
    "BHC_SECRET": SECRET_A,
    "BHC_EMPTY": "  ",
    "BHC_PEM": GOOD_PEM,
    "BHC_BAD_PEM": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    "BHC_ENC_PEM": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED "
    "PRIVATE KEY-----",
    "BHC_PASS": "hunter22",
}

VALID_CONFIG: dict[str, Any] = {
    "daemon": {
        "interval": 60,
        "request_timeout": 10,
        "heartbeat_url": "https://hc-ping.com/x",
        "heartbeat_timeout": 10,
        "exchange_info_ttl": 86400,
        "weight_budget_share": 0.1,
        "max_workers": 32,
    },
    "ntp": {
        "servers": ["pool.ntp.org", "127.0.0.1:1123", "[::1]:123"],
        "timeout": 2,
        "max_delay": 0.5,
        "max_disagreement": 1.0,
    },
    "alerts": {
        "urls": [
            "mailto://user:pass@example.com",
            {"url": "tgram://bottoken/chatid", "min_status": "CRITICAL"},
        ],
        "failure_threshold": 2,
        "unknown_threshold": 3,
        "repeat_interval": 3600,
        "send_resolved": True,
        "retry_backoff_max": 30,
        "delivery_timeout": 30,
    },
    "checks": {
        "clock": {
            "enabled": True,
            "interval": 60,
            "samples": 3,
            "ahead_critical_ms": 1000,
            "ahead_warning_ms": 500,
        },
        "api_key": {
            "interval": 600,
            "expiry_warning_days": 7,
            "warn_withdrawals": True,
            "warn_no_ip_restriction": True,
        },
        "position_mode": {"enabled": True, "interval": 60},
        "trading_status": {"interval": 60, "indicator_warning_ratio": 0.8},
        "balance": {"interval": 30, "margin_ratio_warning": 0.5, "margin_ratio_critical": 0.8},
        "rate_limit": {"interval": 60, "warning": 0.7, "critical": 0.9},
        "system_status": {"interval": 300},
    },
    "accounts": [
        {
            "name": "main",
            "api_key": KEY_A,
            "api_secret": SECRET_A,
            "markets": ["spot", "usdm"],
            "spot_url": "https://api.binance.com",
            "futures_url": "https://fapi.binance.com",
            "testnet": False,
            "position_mode": "one-way",
            "min_available": {"USDT": 100},
            "recv_window_ms": 5000,
            "test_order_symbols": ["BTCUSDT"],
            "test_order_quantity": {"BTCUSDT": 0.001},
            "checks": ["clock", "api_key", "balance"],
        },
        {
            "name": "env-bot",
            "api_key_env": "BHC_KEY",
            "private_key_env": "BHC_PEM",
            "markets": ["usdm"],
            "position_mode": "hedge",
            "testnet": True,
        },
    ],
}

CONFIG_GARBAGE = toml_values | st.sampled_from(
    [
        -1,
        0,
        -0.5,
        10**400,
        float("nan"),
        float("inf"),
        float("-inf"),
        "",
        " ",
        "abc",
        True,
        [],
        {},
        ["spot", 1],
        {"USDT": "abc"},
        {"USDT": -1},
        {"USDT": float("nan")},
        "BHC_EMPTY",
        "BHC_BAD_PEM",
        "BHC_ENC_PEM",
        "BHC_PASS",
        "BHC_NOPE",
        "~\x00x",
        "a\x00b",
        "${CREDENTIALS_DIRECTORY}/key",
        "https://api.binance.com/api",
        "hedge",
        "usdm",
    ]
)


def test_valid_config_parses():
    cfg = parse_config(copy.deepcopy(VALID_CONFIG), env=ENV)
    assert [a.name for a in cfg.accounts] == ["main", "env-bot"]
    assert cfg.accounts[1].private_key is not None


def _numbers(obj: Any) -> list[float]:
    """Every float/int setting inside a (nested) config dataclass."""
    import dataclasses

    out: list[float] = []
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            out += _numbers(getattr(obj, f.name))
    elif isinstance(obj, tuple):
        for v in obj:
            out += _numbers(v)
    elif isinstance(obj, float | int) and not isinstance(obj, bool):
        out.append(obj)
    return out


def _assert_config_outcome(data: dict, **kw: Any) -> None:
    try:
        cfg = parse_config(data, env=ENV, **kw)
    except ConfigError as exc:
        assert exc.problems, "ConfigError without problems"
        for p in exc.problems:
            assert isinstance(p, str)
            assert "\n" not in p and one_line(p), f"problem is not one line: {p!r}"
            key, sep, message = p.partition(": ")
            assert sep and key.strip() and message.strip(), f"problem names no key: {p!r}"
        return
    assert isinstance(cfg, Config)
    assert cfg.accounts
    for n in _numbers(cfg):
        assert isinstance(n, int) or math.isfinite(n), f"a non-finite setting was accepted: {n!r}"
    for acc in cfg.accounts:
        assert acc.api_key.reveal(), "an empty API key was accepted"
        assert acc.api_secret is not None or acc.private_key is not None, (
            "an account without any way to sign was accepted"
        )


def _set(path: tuple, value: Any, drop: tuple = ()):
    def mutate(doc: dict) -> None:
        _parent(doc, path)[path[-1]] = value
        for key in drop:
            _parent(doc, path).pop(key, None)

    return mutate


# inputs the random search found rarely or never; each once raised or was silently accepted
CONFIG_EDGES = {
    "blank literal secret": _set(("accounts", 0, "api_secret"), "   "),
    "blank literal key": _set(("accounts", 0, "api_key"), " \t "),
    "NUL in key file": _set(("accounts", 0, "api_key_file"), "a\x00b", drop=("api_key",)),
    "NUL in home of key file": _set(("accounts", 0, "api_key_file"), "~\x00x", drop=("api_key",)),
    "NUL in state_dir": _set(("daemon", "state_dir"), "~\x00x"),
    "NUL in urls_file": _set(("alerts", "urls_file"), "~\x00x"),
    "huge int duration": _set(("daemon", "interval"), 10**400),
    "huge int threshold": _set(("alerts", "failure_threshold"), 10**400),
    "nan duration": _set(("ntp", "timeout"), float("nan")),
    "inf ratio": _set(("checks", "balance", "margin_ratio_critical"), float("inf")),
    "empty unknown key": _set(("daemon", ""), 1),
    "line break in unknown key": _set(("checks", "clock", "a\u2028b"), 1),
    "line break in env name": _set(("accounts", 0, "api_secret_env"), "X\nY", drop=("api_secret",)),
    "line break in asset": _set(("accounts", 0, "min_available"), {"US\nDT": -1}),
    "bad PEM": _set(("accounts", 1, "private_key_env"), "BHC_BAD_PEM"),
    "encrypted PEM": _set(("accounts", 1, "private_key_env"), "BHC_ENC_PEM"),
}


@pytest.mark.parametrize("edge", sorted(CONFIG_EDGES))
def test_parse_config_edges(edge):
    data = copy.deepcopy(VALID_CONFIG)
    CONFIG_EDGES[edge](data)
    with pytest.raises(ConfigError):
        parse_config(copy.deepcopy(data), env=ENV)
    _assert_config_outcome(data)


@SETTINGS
@given(
    st.dictionaries(
        st.text(max_size=10) | st.sampled_from(list(VALID_CONFIG)), toml_values, max_size=5
    )
)
def test_parse_config_arbitrary(data):
    _assert_config_outcome(data)


@SETTINGS
@given(mutated(VALID_CONFIG, CONFIG_GARBAGE, max_mutations=4))
def test_parse_config_near_valid(data):
    assume(isinstance(data, dict))
    _assert_config_outcome(data)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value == math.inf else "-inf" if value == -math.inf else repr(value))
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
        )
    return json.dumps(str(value))


def _toml_doc(data: dict) -> str:
    return "\n".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in data.items()) + "\n"


TOML_SNIPPETS = st.sampled_from(
    [
        "a = " + "9" * 5000,
        "[daemon]\ninterval = " + "9" * 5000,
        "a = " + "[" * 3000 + "]" * 3000,
        "a = " + "{b = " * 2000 + "1" + "}" * 2000,
        "[daemon]\ninterval = 1" + "0" * 400,
        "[daemon]\ninterval = nan",
        "[daemon]\ninterval = inf",
        '[[accounts]]\nname = "x"\napi_key = "k"\napi_secret = "  "\n',
        "\ufeff[daemon]",
        "[daemon]\n[daemon]\n",
        "",
        "\x00",
    ]
)


def _check_file(tmp_path, payload: bytes) -> None:
    p = tmp_path / "config.toml"
    p.write_bytes(payload)
    p.chmod(0o600)
    try:
        cfg = load_config(p, env=ENV)
    except ConfigError as exc:
        assert exc.problems
        for prob in exc.problems:
            assert one_line(prob), f"problem is not one line: {prob!r}"
        return
    assert isinstance(cfg, Config)


@SETTINGS
@given(
    st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | TOML_SNIPPETS.map(str.encode)
    | mutated(VALID_CONFIG, CONFIG_GARBAGE)
    .filter(lambda d: isinstance(d, dict))
    .map(lambda d: _toml_doc(d).encode("utf-8", "surrogatepass"))
)
def test_load_config_any_file(tmp_path_factory, payload):
    _check_file(tmp_path_factory.mktemp("cfg"), payload)


# ----------------------------------------------------------------------------- 2. checks

ACCOUNT = AccountConfig(
    name="prop",
    api_key=Secret(KEY_A, "api key"),
    api_secret=Secret(SECRET_A, "api secret"),
    markets=("spot", "usdm"),
    min_available={"USDT": Decimal(100)},
    symbols={"spot": ("ETHUSDT",), "usdm": ("BTCUSDT",)},
    order_size={"default": Decimal(300)},
)

REALISTIC: dict[str, Any] = {
    "fapi.accountConfig": {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": False,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
    },
    "sapi.apiRestrictions": {
        "ipRestrict": True,
        "createTime": 1698645219000,
        "enableReading": True,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": True,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableSpotAndMarginTrading": True,
        "enablePortfolioMarginTrading": False,
        "tradingAuthorityExpirationTime": 4102444800000,
    },
    "fapi.account": {
        "totalInitialMargin": "0.0",
        "totalMaintMargin": "10.0",
        "totalWalletBalance": "1000.0",
        "totalUnrealizedProfit": "0.0",
        "totalMarginBalance": "1000.0",
        "availableBalance": "990.0",
        "maxWithdrawAmount": "990.0",
        "assets": [
            {
                "asset": "USDT",
                "walletBalance": "1000.0",
                "marginBalance": "1000.0",
                "maintMargin": "10.0",
                "availableBalance": "990.0",
                "maxWithdrawAmount": "990.0",
                "updateTime": 1625474304765,
            }
        ],
        "positions": [],
    },
    "spot.account": {
        "makerCommission": 10,
        "takerCommission": 10,
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "accountType": "SPOT",
        "balances": [
            {"asset": "USDT", "free": "500.0", "locked": "0.0"},
            {"asset": "BTC", "free": "0.1", "locked": "0.0"},
        ],
        "permissions": ["SPOT"],
        "uid": 354937868,
    },
    "fapi.apiTradingStatus": {
        "indicators": {
            "BTCUSDT": [
                {
                    "isLocked": True,
                    "plannedRecoverTime": 1545741270000,
                    "indicator": "UFR",
                    "value": 0.05,
                    "triggerValue": 0.995,
                }
            ],
            "ACCOUNT": [
                {
                    "isLocked": False,
                    "plannedRecoverTime": 0,
                    "indicator": "TMV",
                    "value": 10,
                    "triggerValue": 1,
                }
            ],
        },
        "updateTime": 1545741270000,
    },
    "sapi.apiTradingStatus": {
        "data": {
            "isLocked": False,
            "plannedRecoverTime": 0,
            "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
            "updateTime": 1547630471725,
        }
    },
    "sapi.accountStatus": {"data": "Normal"},
    "sapi.systemStatus": {"status": 0, "msg": "normal"},
    "sapi.userAsset": [
        {
            "asset": "USDT",
            "free": "500",
            "locked": "0",
            "freeze": "0",
            "withdrawing": "0",
            "ipoable": "0",
            "btcValuation": "0",
        }
    ],
    "sapi.delistSchedule": [{"delistTime": 1686161202000, "symbols": ["ADAUSDT", "ETHUSDT"]}],
    "spot.tickerPrice?symbol=ETHUSDT": {"symbol": "ETHUSDT", "price": "3000.00"},
    "fapi.markPrice?symbol=BTCUSDT": {
        "symbol": "BTCUSDT",
        "markPrice": "60000.00",
        "indexPrice": "60010.1",
        "lastFundingRate": "0.0001",
        "nextFundingTime": 1597392000000,
        "time": 1597370495002,
    },
    "spot.openOrders?symbol=ETHUSDT": [
        {
            "symbol": "ETHUSDT",
            "orderId": 1,
            "orderListId": -1,
            "price": "2000",
            "origQty": "0.1",
            "type": "LIMIT",
            "side": "BUY",
            "status": "NEW",
        }
    ],
    "spot.rateLimitOrder": [
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": 50,
            "count": 0,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "DAY",
            "intervalNum": 1,
            "limit": 160000,
            "count": 0,
        },
    ],
    "fapi.openOrders?symbol=BTCUSDT": [
        {
            "symbol": "BTCUSDT",
            "orderId": 1,
            "type": "LIMIT",
            "side": "BUY",
            "price": "50000",
            "origQty": "0.002",
            "status": "NEW",
        }
    ],
    "fapi.openAlgoOrders?symbol=BTCUSDT": [
        {
            "algoId": 2,
            "symbol": "BTCUSDT",
            "orderType": "STOP_MARKET",
            "side": "SELL",
            "triggerPrice": "55000",
            "algoStatus": "NEW",
        }
    ],
    "fapi.positionRisk": [
        {
            "symbol": "BTCUSDT",
            "positionSide": "BOTH",
            "positionAmt": "0.010",
            "entryPrice": "60000",
            "markPrice": "60000",
            "notional": "600",
            "unRealizedProfit": "0",
            "liquidationPrice": "0",
        }
    ],
    "fapi.symbolConfig": [
        {
            "symbol": "BTCUSDT",
            "marginType": "CROSSED",
            "isAutoAddMargin": "false",
            "leverage": 20,
            "maxNotionalValue": "5000000",
        }
    ],
}
READ_BY_CHECKS = sorted(REALISTIC)


def _request(label: str) -> Request:
    """The Request behind a REALISTIC label ("endpoint" or "endpoint?symbol=X")."""
    name, _, query = label.partition("?")
    return Request.of(name, **dict(q.split("=") for q in query.split("&") if q))


def _key(label: str) -> tuple:
    return _request(label).key


EXCHANGE: dict[str, dict[str, Any]] = {
    "usdm": {
        "BTCUSDT": {
            "status": "TRADING",
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "filters": {
                "LOT_SIZE": {"minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
                "MARKET_LOT_SIZE": {"minQty": "0.001", "maxQty": "120", "stepSize": "0.001"},
                "MIN_NOTIONAL": {"notional": "100"},
                "MAX_NUM_ORDERS": {"limit": 200},
                "MAX_NUM_ALGO_ORDERS": {"limit": 10},
            },
        }
    },
    "spot": {
        "ETHUSDT": {
            "status": "TRADING",
            "filters": {
                "LOT_SIZE": {"minQty": "0.0001", "maxQty": "9000", "stepSize": "0.0001"},
                "NOTIONAL": {
                    "minNotional": "5",
                    "maxNotional": "9000000",
                    "applyMaxToMarket": False,
                },
                "MAX_NUM_ORDERS": {"maxNumOrders": 200},
                "MAX_NUM_ALGO_ORDERS": {"maxNumAlgoOrders": 5},
            },
        }
    },
}


def _exchange(entries: dict[str, dict[str, Any]] | None = None) -> dict[str, ExchangeLimits]:
    entries = copy.deepcopy(EXCHANGE) if entries is None else entries
    return {
        m: ExchangeLimits(weight_limit=1200, symbols=syms, fetched_at=time.time())
        for m, syms in entries.items()
    }


errors = st.builds(
    FetchError,
    kind=st.sampled_from(
        [
            "network",
            "timeout",
            "http",
            "api",
            "malformed",
            "banned",
            "rate_limited",
            "budget",
            "internal",
        ]
    ),
    message=st.text(max_size=60)
    | st.just("Invalid API-key, IP, or permissions for action, request ip: 1.2.3.4"),
    code=st.none()
    | st.sampled_from([-1021, -1022, -2014, -2015, -2019, -4061, -4400, -1003, -2010, 0])
    | st.integers(-(10**6), 10**6),
)


@st.composite
def outcome_for(draw, name: str) -> Outcome:
    kind = draw(
        st.sampled_from(["realistic", "mutated", "mutated", "arbitrary", "error", "missing"])
    )
    if kind == "missing":
        return None
    if kind == "error":
        return Outcome(name, error=draw(errors))
    if kind == "realistic":
        data = copy.deepcopy(REALISTIC[name])
    elif kind == "mutated":
        data = draw(mutated(REALISTIC[name], NASTY | json_values))
    else:
        data = draw(json_values)
    return Outcome(name, data=data)


server_times = (
    NASTY
    | json_values
    | st.integers(0, 2**53)
    | st.sampled_from(
        [10**400, float("nan"), float("inf"), -float("inf"), 1e308, True, "1700000000000"]
    )
)


@st.composite
def time_outcomes(draw, market: str) -> list[Outcome]:
    ep = "fapi.time" if market == "usdm" else "spot.time"
    outs = []
    now = time.time()
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            outs.append(Outcome(ep, error=draw(errors)))
            continue
        st_value = draw(server_times)
        data = draw(st.sampled_from([{"serverTime": st_value}, st_value]))
        elapsed = draw(st.floats(0, 5000))
        outs.append(
            Outcome(
                ep, data=data, elapsed_ms=elapsed, started_at=now, finished_at=now + elapsed / 1000
            )
        )
    return outs


ntp_verdicts = st.none() | st.builds(
    lambda offs, lim: vote([NtpSample(f"s{i}", o, 1.0, 2) for i, o in enumerate(offs)], lim),
    st.lists(st.floats(-1e9, 1e9), max_size=4),
    st.floats(0.001, 10),
)


@st.composite
def facts(draw) -> Facts:
    outcomes = {}
    for name in READ_BY_CHECKS:
        out = draw(outcome_for(name))
        if out is not None:
            outcomes[_key(name)] = out
    times = {}
    for market in ACCOUNT.markets:
        if draw(st.booleans()):
            times[market] = measure(market, draw(time_outcomes(market)))
    exchange = draw(
        st.just(copy.deepcopy(EXCHANGE)) | mutated(EXCHANGE, NASTY | json_values, max_mutations=3)
    )
    if not isinstance(exchange, dict):
        exchange = {}
    exchange = {m: v for m, v in exchange.items() if m in ACCOUNT.markets and isinstance(v, dict)}
    return Facts(
        account=ACCOUNT,
        outcomes=outcomes,
        time=times,
        ntp=draw(ntp_verdicts),
        exchange=_exchange(exchange),
        book=WeightBook(),
        now=time.time(),
    )


def _all_checks() -> list[Any]:
    cfg = ChecksConfig()
    return [cls(cfg.get(cls.id)) for cls in REGISTRY]


def _assert_result(r: Any, check: Any) -> None:
    if r is None:
        # bot_errors has nothing to say without a [[watch]] (no bot-log facts), bot_alive
        # without stale_after, a unit source or bot_api
        assert not check.applies(ACCOUNT) or check.id in ("bot_errors", "bot_alive")
        return
    assert isinstance(r, Result)
    assert isinstance(r.status, Status)
    assert r.check == check.id and r.account == ACCOUNT.name
    assert isinstance(r.summary, str) and one_line(r.summary), (
        f"{check.id}: summary is not one non-empty line: {r.summary!r}"
    )
    json.dumps(r.to_json(), default=str)


def test_realistic_answers_are_ok_or_reasoned():
    f = _realistic_facts()
    by_id = {c.id: c.evaluate(f) for c in _all_checks()}
    assert by_id["position_mode"].status == Status.OK
    assert by_id["system_status"].status == Status.OK
    assert by_id["api_key"].status == Status.OK
    assert by_id["balance"].status == Status.OK
    assert by_id["trading_status"].status == Status.CRITICAL  # BTCUSDT locked in the sample
    assert by_id["open_orders"].status == Status.OK
    assert by_id["leverage"].status == Status.OK
    # the sample delist schedule lists ETHUSDT at a time long past: the symbol is still TRADING
    assert by_id["symbols"].status == Status.CRITICAL


@FEW
@given(facts())
def test_checks_never_raise(f):
    for check in _all_checks():
        _assert_result(check.evaluate(f), check)


NASTY_VALUES = (
    list(NASTY.wrapped_strategy.elements)
    if hasattr(NASTY, "wrapped_strategy")
    else list(NASTY.elements)
)


def _realistic_facts() -> Facts:
    return Facts(
        account=ACCOUNT,
        outcomes={_key(n): Outcome(n, data=copy.deepcopy(d)) for n, d in REALISTIC.items()},
        time={},
        ntp=None,
        exchange=_exchange(),
        book=WeightBook(),
    )


def test_every_field_of_every_answer_with_every_nasty_value():
    """Exhaustive: each field (and each locked/unlocked variant) of each realistic answer set to
    each nasty value, with the rest realistic; every check must still return a sane Result."""
    checks = _all_checks()
    for endpoint, payload in REALISTIC.items():
        for path in _paths(payload):
            if not path:
                continue
            for value in NASTY_VALUES:
                for locked in (False, True) if endpoint == "sapi.apiTradingStatus" else (False,):
                    f = _realistic_facts()
                    data = f.outcomes[_key(endpoint)].data
                    if locked and endpoint == "sapi.apiTradingStatus":
                        data["data"]["isLocked"] = True
                    _parent(data, path)[path[-1]] = copy.deepcopy(value)
                    for check in checks:
                        try:
                            r = check.evaluate(f)
                        except Exception as exc:  # noqa: BLE001 - report which input
                            raise AssertionError(
                                f"{check.id} raised {exc!r} with {endpoint} "
                                f"{'.'.join(map(str, path))}={value!r:.40}"
                            ) from exc
                        _assert_result(r, check)


@FEW
@given(st.sampled_from(READ_BY_CHECKS), st.data())
def test_one_nasty_leaf_among_mutations(endpoint, data):
    f = data.draw(facts())
    payload = data.draw(mutated(REALISTIC[endpoint], NASTY | json_values, max_mutations=2))
    leaves = [
        p for p in _paths(payload) if p and not isinstance(_parent(payload, p)[p[-1]], dict | list)
    ]
    if leaves:
        path = data.draw(st.sampled_from(leaves))
        _parent(payload, path)[path[-1]] = copy.deepcopy(data.draw(NASTY))
    f.outcomes[_key(endpoint)] = Outcome(endpoint, data=payload)
    for check in _all_checks():
        _assert_result(check.evaluate(f), check)


def _destroyers(kind: str) -> st.SearchStrategy:
    common = [None, "abc", "", {"x": 1}, [1], "DELETE"]
    if kind == "number":
        return st.sampled_from(
            common
            + [True, False, "NaN", "inf", "-Infinity", float("nan"), float("inf"), "1,5", "0x10"]
        )
    return st.sampled_from(common + [1, 0, "true", "false", [True], 1.0])


REQUIRED = [
    ("position_mode", "fapi.accountConfig", "dualSidePosition", "bool"),
    ("balance", "fapi.account", "totalMaintMargin", "number"),
    ("balance", "fapi.account", "totalMarginBalance", "number"),
    ("system_status", "sapi.systemStatus", "status", "number"),
    ("api_key", "sapi.apiRestrictions", "enableReading", "bool"),
    ("symbols", "fapi.markPrice?symbol=BTCUSDT", "markPrice", "number"),
    ("symbols", "spot.tickerPrice?symbol=ETHUSDT", "price", "number"),
]


@FEW
@given(st.sampled_from(REQUIRED), st.data())
def test_destroyed_required_field_is_never_ok(req, data):
    check_id, endpoint, field, kind = req
    f = data.draw(facts())
    payload = data.draw(
        st.just(copy.deepcopy(REALISTIC[endpoint]))
        | mutated(REALISTIC[endpoint], NASTY | json_values, max_mutations=2).filter(
            lambda d: isinstance(d, dict)
        )
    )
    bad = data.draw(_destroyers(kind))
    if bad == "DELETE":
        payload.pop(field, None)
    else:
        payload[field] = copy.deepcopy(bad)
    f.outcomes[_key(endpoint)] = Outcome(endpoint, data=payload)
    check = next(c for c in _all_checks() if c.id == check_id)
    r = check.evaluate(f)
    _assert_result(r, check)
    assert r.status != Status.OK, f"{check_id} says OK with {field}={bad!r}: {r.summary}"


# ----------------------------------------------------------------------------- 3./4. runner

rate_limit_entries = st.fixed_dictionaries(
    {},
    optional={
        "rateLimitType": st.sampled_from(["REQUEST_WEIGHT", "ORDERS"]) | json_values,
        "interval": st.sampled_from(["MINUTE", "SECOND"]) | json_values,
        "intervalNum": st.sampled_from([1, "1", 1.0]) | NASTY | json_values,
        "limit": st.sampled_from([6000, "2400"]) | NASTY | json_values,
    },
)
exchange_infos = json_values | st.fixed_dictionaries(
    {"rateLimits": st.lists(rate_limit_entries | json_values, max_size=4)},
    optional={
        "symbols": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "symbol": st.sampled_from(["BTCUSDT", "ETHUSDT"]) | json_values,
                    "status": json_values,
                    "filters": st.lists(
                        json_values
                        | st.fixed_dictionaries(
                            {"filterType": st.sampled_from(["LOT_SIZE", "MARKET_LOT_SIZE"])},
                            optional={"minQty": json_values},
                        )
                    )
                    | json_values,
                },
            )
            | json_values,
            max_size=3,
        )
        | json_values
    },
)


@SETTINGS
@given(exchange_infos, st.sets(st.sampled_from(["BTCUSDT", "ETHUSDT", "X"])))
def test_parse_exchange_info_only_raises_what_the_runner_catches(data, wanted):
    try:
        out = parse_exchange_info(data, wanted)
    except (ValueError, TypeError, KeyError):
        return
    assert isinstance(out, dict)
    assert out["weight_limit"] is None or isinstance(out["weight_limit"], int)
    assert set(out["symbols"]) <= wanted


@SETTINGS
@given(st.sampled_from(["spot", "usdm"]), st.data())
def test_measure_never_raises(market, data):
    outs = data.draw(time_outcomes(market))
    m = measure(market, outs)
    assert m.market == market
    if m.offset_ms is not None:
        assert math.isfinite(m.offset_ms), f"non-finite offset from {[o.data for o in outs]!r}"
        assert m.samples >= 1 and m.error is None
    elif outs:
        assert m.error is not None


# ----------------------------------------------------------------------------- 5. NTP


def _sample(i: int, offset: float | None) -> NtpSample:
    return NtpSample(f"s{i}", offset, 5.0, 2, "" if offset is not None else "no answer")


@SETTINGS
@given(st.lists(st.none() | st.floats(-1e9, 1e9), max_size=7), st.floats(0.001, 100))
def test_vote_is_median_of_agreeing(offsets, limit_s):
    samples = [_sample(i, o) for i, o in enumerate(offsets)]
    usable = [o for o in offsets if o is not None]
    v = vote(samples, limit_s)
    if not usable:
        assert v.offset_ms is None
        return
    if len(usable) == 2 and abs(usable[0] - usable[1]) > limit_s * 1000:
        assert v.offset_ms is None
        return
    import statistics

    kept = [s.offset_ms for s in samples if s.usable]
    if len(usable) >= 3 and not any(
        abs(o - statistics.median(usable)) <= limit_s * 1000 for o in usable
    ):
        assert v.offset_ms is None and not kept  # no majority near the median
        return
    assert v.offset_ms is not None and math.isfinite(v.offset_ms)
    assert min(usable) <= v.offset_ms <= max(usable)
    assert v.offset_ms == statistics.median(kept)
    if len(usable) >= 3:
        med = statistics.median(usable)
        assert all(abs(k - med) <= limit_s * 1000 for k in kept)
        assert len(v.outvoted) == len(usable) - len(kept)


@SETTINGS
@given(
    st.floats(-1e6, 1e6),
    st.floats(0.01, 10),
    st.lists(st.floats(-0.25, 0.25), min_size=3, max_size=6),
    st.floats(2.01, 1000),
    st.booleans(),
    st.integers(0, 6),
)
def test_single_liar_is_outvoted(center, limit_s, spread, lie_factor, lie_up, liar_at):
    limit_ms = limit_s * 1000
    honest = [center + d * limit_ms for d in spread]
    liar = center + (lie_factor if lie_up else -lie_factor) * limit_ms
    offsets = list(honest)
    offsets.insert(min(liar_at, len(offsets)), liar)
    samples = [_sample(i, o) for i, o in enumerate(offsets)]
    liar_name = samples[offsets.index(liar)].server
    v = vote(samples, limit_s)
    assert v.outvoted == [liar_name]
    import statistics

    assert v.offset_ms == statistics.median(honest)


class _Responder:
    """A UDP server on 127.0.0.1 answering each datagram with ``reply(request)`` (None: silence)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.reply = lambda request: None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                request, addr = self.sock.recvfrom(1024)
            except TimeoutError:
                continue
            except OSError:
                return
            answer = self.reply(request)
            if answer is not None:
                try:
                    self.sock.sendto(answer, addr)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        self.sock.close()


@pytest.fixture(scope="module")
def responder():
    r = _Responder()
    yield r
    r.close()


NTP_FORMAT = "!B B B b 11I"


def _ntp_ts(t: float) -> tuple[int, int]:
    t += 2208988800
    return int(t) & 0xFFFFFFFF, int((t - int(t)) * 2**32) & 0xFFFFFFFF


@st.composite
def crafted_replies(draw):
    """A function(request) -> a 48-byte reply with arbitrary, mostly plausible header fields."""
    leap = draw(st.integers(0, 3))
    mode = draw(st.sampled_from([4, 4, 4, 0, 1, 3, 5, 7]))
    stratum = draw(st.sampled_from([1, 2, 15]) | st.integers(0, 255))
    root_delay = draw(st.sampled_from([0, 100]) | st.integers(0, 2**32 - 1))
    root_disp = draw(st.sampled_from([0, 100]) | st.integers(0, 2**32 - 1))
    echo = draw(st.sampled_from(["echo", "echo", "zero", "random"]))
    shift = draw(st.sampled_from([0.0, 0.0005, -3.0, 1e6]) | st.floats(-1e9, 1e9))
    tx_zero = draw(st.integers(0, 3)) == 0
    rand_words = draw(st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2))
    swap = draw(st.booleans())

    def reply(request: bytes) -> bytes:
        orig = struct.unpack("!II", request[40:48]) if len(request) >= 48 else (0, 0)
        if echo == "zero":
            orig = (0, 0)
        elif echo == "random":
            orig = tuple(rand_words)
        now = time.time() + shift
        recv, tx = _ntp_ts(now), _ntp_ts(now + 0.0001)
        if swap:
            recv, tx = tx, recv
        if tx_zero:
            tx = (0, 0)
        return struct.pack(
            NTP_FORMAT,
            leap << 6 | 4 << 3 | mode,
            stratum,
            6,
            -20,
            root_delay,
            root_disp,
            0x47505300,
            *_ntp_ts(now - 10),
            *orig,
            *recv,
            *tx,
        )

    return reply


@settings(SETTINGS, max_examples=30)
@given(st.binary(max_size=100).map(lambda b: lambda request: b) | crafted_replies())
def test_query_server_any_reply(responder, reply):
    responder.reply = reply
    sample = query_server(NtpServer("127.0.0.1", responder.port), 0.2, 0.5)
    assert isinstance(sample, NtpSample)
    if sample.usable:
        assert sample.offset_ms is not None and math.isfinite(sample.offset_ms)
        # the crafted server claims to hold a request 0.1 ms; on loopback that can exceed the
        # round trip, so the delay may be a hair below zero (RFC 4330 does not reject that)
        assert sample.delay_ms is not None and -1.0 <= sample.delay_ms <= 500 + 1e-6
        assert sample.stratum is not None and 1 <= sample.stratum <= 15
    else:
        assert sample.problem


def test_query_server_silence(responder):
    responder.reply = lambda request: None
    sample = query_server(NtpServer("127.0.0.1", responder.port), 0.2, 0.5)
    assert not sample.usable and sample.problem == "no answer"


def test_query_server_sane_reply_is_usable(responder):
    def reply(request: bytes) -> bytes:
        orig = struct.unpack("!II", request[40:48])
        now = time.time()
        return struct.pack(
            NTP_FORMAT,
            4 << 3 | 4,
            2,
            6,
            -20,
            100,
            100,
            0x47505300,
            *_ntp_ts(now - 10),
            *orig,
            *_ntp_ts(now),
            *_ntp_ts(now),
        )

    responder.reply = reply
    sample = query_server(NtpServer("127.0.0.1", responder.port), 0.5, 0.5)
    assert sample.usable, sample.problem
    assert abs(sample.offset_ms) < 100


# ----------------------------------------------------------------------------- 6. redact

MARKERS = ("<redacted>", "<redacted private key>")
secrets_ = st.text(
    st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), min_size=8, max_size=40
).filter(lambda s: not any(s in m for m in MARKERS))


def _wrap(s: str, how: str) -> str:
    if how == "url":
        return f"https://api.binance.com/api/v3/account?timestamp=1&apiKey={s}&signature=ab"
    if how == "json":
        return json.dumps({"key": s, "nested": [s]}, ensure_ascii=False)
    if how == "repr":
        return repr({"X-MBX-APIKEY": s})
    if how == "header":
        return f"X-MBX-APIKEY: {s}\nnext line"
    return s


@SETTINGS
@given(
    st.lists(secrets_, min_size=1, max_size=3),
    st.text(max_size=30),
    st.text(max_size=30),
    st.sampled_from(["raw", "url", "json", "repr", "header"]),
    st.integers(1, 3),
)
def test_registered_secret_never_survives(secrets, prefix, suffix, how, times):
    for s in secrets:
        redact.register(s)
    s = secrets[0]
    m = prefix + (_wrap(s, how) + " ") * times + suffix
    out = redact.scrub(m)
    for t in secrets:
        if t in m:
            assert t not in out, f"{t!r} survived in {out!r}"


@SETTINGS
@given(
    st.text(max_size=30),
    st.text("0123456789abcdefABCDEF", min_size=1, max_size=64),
    st.text(max_size=30),
    st.sampled_from(["signature=", "SIGNATURE=", "Signature="]),
)
def test_signature_never_survives(prefix, hexsig, suffix, name):
    out = redact.scrub(f"{prefix}{name}{hexsig}{suffix}")
    assert f"{name}{hexsig}" not in out
