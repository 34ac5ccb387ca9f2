"""The market model: a market is one row of healthcheck.model.markets. A fake row proves that every
registered check either handles a new market through the row (its roles, units, codes) or
declares that it does not apply; nothing falls through to a spot or USD-M branch."""

from __future__ import annotations

from decimal import Decimal

import pytest

from healthcheck.checks import REGISTRY
from healthcheck.checks.base import TimeMeasurement
from healthcheck.exchange import endpoints as endpoints_mod
from healthcheck.exchange.endpoints import Endpoint
from healthcheck.exchange.fetch import Request
from healthcheck.model import markets as markets_mod
from healthcheck.model.markets import FilterCodes, Market, Pool
from healthcheck.model.result import Status
from tests.checks.factbook import NOW, account, facts

FAKE_CODES = FilterCodes(
    min_qty=(-9001, "fake min qty"),
    max_qty=(-9002, "fake max qty"),
    min_notional=(-9003, "fake notional"),
    max_notional=(-9003, ""),
    closed=(-9004, "fake closed"),
    max_orders=(-9005, "fake max orders"),
    max_algo_orders=(-9006, "fake max algo"),
)
# account-wide endpoints (the key's permissions, the account's status, system maintenance)
ACCOUNT_WIDE = {"sapi.apiRestrictions", "sapi.accountStatus", "sapi.systemStatus"}


@pytest.fixture
def fake_market(monkeypatch):
    """A COIN-M-like market "xfut" on pool "xapi", with only some roles."""
    pool = Pool(
        "xapi", "xfut", "/xapi", "x-mbx-used-weight-1m", 1000, "usdm", "FUTURES_URL", word="fake"
    )
    eps = [
        Endpoint("x.time", "xapi", "GET", "/xapi/v1/time", False, 1, "m", role="time"),
        Endpoint(
            "x.exchangeInfo",
            "xapi",
            "GET",
            "/xapi/v1/exchangeInfo",
            False,
            1,
            "m",
            role="exchange_info",
        ),
        Endpoint("x.account", "xapi", "GET", "/xapi/v1/account", True, 5, "m"),
        Endpoint("x.dual", "xapi", "GET", "/xapi/v1/dual", True, 5, "m"),
        Endpoint("x.openOrders", "xapi", "GET", "/xapi/v1/openOrders", True, 1, "m"),
        Endpoint("x.positions", "xapi", "GET", "/xapi/v1/positionRisk", True, 1, "m"),
        Endpoint("x.brackets", "xapi", "GET", "/xapi/v1/leverageBracket", True, 1, "m"),
    ]
    row = Market(
        "xfut",
        "fake futures",
        "xfut_url",
        "https://xfut.example",
        None,
        ("xapi",),
        "xapi",
        roles=markets_mod._roles(
            time="x.time",
            exchange_info="x.exchangeInfo",
            key_probe="x.account",
            position_mode="x.dual",
            can_trade="x.account",
            balance="x.account",
            open_orders="x.openOrders",
            positions="x.positions",
            leverage_brackets="x.brackets",
        ),
        quantity_unit="contracts",
        margin="base",
        balance_shape="per_asset",
        status_field="contractStatus",
        delisting="delivery_date",
        position_side=True,
        permission=("enableFutures", "Enable Futures"),
        codes=FAKE_CODES,
    )
    monkeypatch.setitem(markets_mod.POOLS, "xapi", pool)
    monkeypatch.setitem(markets_mod.MARKETS, "xfut", row)
    for e in eps:
        monkeypatch.setitem(endpoints_mod.ENDPOINTS, e.name, e)
    return row


def _answers() -> dict:
    acct = {
        "canTrade": True,
        "assets": [
            {"asset": "XBT", "maintMargin": "0.01", "marginBalance": "1", "availableBalance": "0.9"}
        ],
    }
    return {
        "sapi.apiRestrictions": {"enableReading": True, "enableFutures": True, "ipRestrict": True},
        "sapi.accountStatus": {"data": "Normal"},
        "sapi.systemStatus": {"status": 0, "msg": "normal"},
        "x.account": acct,
        "x.dual": {"dualSidePosition": False},
        Request.of("x.openOrders", symbol="XBTUSD_PERP"): [],
        "x.positions": [
            {
                "symbol": "XBTUSD_PERP",
                "positionAmt": "3",
                "leverage": "20",
                "markPrice": "60000",
                "notionalValue": "0.005",
                "positionSide": "BOTH",
            }
        ],
        "x.brackets": [
            {
                "symbol": "XBTUSD_PERP",
                "brackets": [
                    {"initialLeverage": 25, "qtyCap": "50"},
                    {"initialLeverage": 10, "qtyCap": "200"},
                ],
            }
        ],
    }


def _symbol(status: str = "TRADING") -> dict:
    return {
        "contractStatus": status,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "contractSize": 100,
        "filters": {
            "LOT_SIZE": {"minQty": "1", "maxQty": "1000", "stepSize": "1"},
            "MAX_NUM_ORDERS": {"limit": 200},
        },
    }


def test_every_check_reads_a_new_market_through_its_row_or_does_not_apply(fake_market):
    acc = account(
        markets=("xfut",),
        symbols={"xfut": ("XBTUSD_PERP",)},
        order_size={"default": Decimal(250)},
        portfolio_margin=False,
    )
    f = facts(
        acc,
        _answers(),
        exchange={"xfut": {"XBTUSD_PERP": _symbol()}},
        times={"xfut": TimeMeasurement("xfut", 12.0, 30.0, 3)},
    )
    f.book.observe("https://xfut.example", "xapi", 10)  # the answers' weight header
    applying = []
    for cls in REGISTRY:
        check = cls(cls.Settings())
        if not check.applies(acc):
            assert check.roles and not any(r in fake_market.roles for r in check.roles), cls.id
            continue
        for req in check.needs(acc):
            pool = endpoints_mod.ENDPOINTS[req.endpoint].pool
            # nothing falls through to another market's endpoints
            assert pool == "xapi" or req.endpoint in ACCOUNT_WIDE, (cls.id, req.endpoint)
        result = check.evaluate(f)
        if result is None:
            continue
        applying.append(cls.id)
        # every answer above is healthy: a check that read the wrong thing would say UNKNOWN
        assert result.status is Status.OK or cls.id == "bot_errors", (cls.id, result.summary)
        assert "spot" not in result.summary.lower() or cls.id == "bot_errors", cls.id
    for cid in (
        "clock",
        "api_key",
        "position_mode",
        "trading_status",
        "balance",
        "symbols",
        "open_orders",
        "leverage",
    ):
        assert cid in applying, cid


def test_a_new_market_finding_carries_the_rows_codes_and_units(fake_market):
    acc = account(
        markets=("xfut",),
        symbols={"xfut": ("XBTUSD_PERP",)},
        order_size={"default": Decimal(50)},
        portfolio_margin=False,
        position_mode="hedge",
    )
    f = facts(acc, _answers(), exchange={"xfut": {"XBTUSD_PERP": _symbol("SETTLING")}})
    by_id = {cls.id: cls(cls.Settings()) for cls in REGISTRY}
    sym = by_id["symbols"].evaluate(f)
    assert sym.status is Status.CRITICAL and sym.codes == [-9004]  # the row's "closed" code
    assert "SETTLING" in sym.summary
    mode = by_id["position_mode"].evaluate(f)
    assert mode.status is Status.CRITICAL and mode.codes == [-4061]
    # an order of 50 USD is 0 contracts of 100 USD: the row's min-quantity code
    f = facts(acc, _answers(), exchange={"xfut": {"XBTUSD_PERP": _symbol()}}, now=NOW)
    sym = by_id["symbols"].evaluate(f)
    assert sym.status is Status.CRITICAL and sym.codes == [-9001], sym.summary
    assert "0 contract(s) of 100 USD" in sym.summary


def _freqtrade(margin_mode: str):
    from pathlib import Path

    from healthcheck.bots.derived import Derived
    from healthcheck.bots.link import BotLink

    path = Path("/etc/freqtrade/config.json")
    return BotLink(
        "freqtrade", path, frozenset(), Derived("freqtrade", path, (path,), margin_mode=margin_mode)
    )


def test_a_bots_margin_type_is_read_through_the_rows_margin_types_role(fake_market):
    """-4048 (freqtrade's margin type vs a held position) comes from the row that offers
    ``margin_types``: USD-M's symbolConfig, asked once with the caps; a market without the
    role (the fake one, or USD-M under Portfolio Margin, whose symbolConfig is refused) asks
    nothing more and says nothing of it."""
    by_id = {cls.id: cls(cls.Settings()) for cls in REGISTRY}
    lev = by_id["leverage"]
    bot = _freqtrade("isolated")
    usdm = account(
        markets=("usdm",), bot=bot, symbols={"usdm": ("BTCUSDT",)}, portfolio_margin=False
    )
    assert [r.endpoint for r in lev.needs(usdm)] == ["fapi.positionRisk", "fapi.symbolConfig"]
    pm = account(markets=("usdm",), bot=bot, portfolio_margin=True)
    assert all(r.endpoint.startswith("papi.") for r in lev.needs(pm)), lev.needs(pm)
    xfut = account(
        markets=("xfut",), bot=bot, symbols={"xfut": ("XBTUSD_PERP",)}, portfolio_margin=False
    )
    assert [r.endpoint for r in lev.needs(xfut)] == ["x.positions", "x.brackets"]
    f = facts(xfut, _answers(), exchange={"xfut": {"XBTUSD_PERP": _symbol()}})
    r = lev.evaluate(f)
    assert r.status is Status.OK and -4048 not in r.codes + r.risk_codes, r.summary
    # USD-M through its row: a position in the other margin type is CRITICAL -4048
    f = facts(
        usdm,
        {
            "fapi.positionRisk": [
                {
                    "symbol": "BTCUSDT",
                    "positionSide": "BOTH",
                    "positionAmt": "0.01",
                    "notional": "600",
                    "markPrice": "60000",
                }
            ],
            "fapi.symbolConfig": [
                {
                    "symbol": "BTCUSDT",
                    "marginType": "CROSSED",
                    "leverage": 5,
                    "maxNotionalValue": "1000000",
                }
            ],
        },
    )
    r = lev.evaluate(f)
    assert r.status is Status.CRITICAL and r.codes == [-4048], r.summary
