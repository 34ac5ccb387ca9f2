"""Portfolio Margin (/papi) for the simulator, and the faults of COIN-M and Portfolio Margin.

A Portfolio Margin account (``SimAccount.portfolio_margin``) trades its futures through /papi:
``/papi/v1/account`` (uniMMR, accountStatus), ``/papi/v1/balance``, um/cm position mode,
positions, leverage brackets, open orders, um apiTradingStatus and orders. Its signed calls to
the classic /fapi and /dapi are refused with -2015, as users report (JKorf/Binance.Net#1485,
hummingbot#7210, freqtrade PR 12866); a classic account's /papi calls are refused the same way
(ccxt#20905, ccxt#22397). The um endpoints answer from the account's USD-M book (the /fapi
handlers), the cm ones from its COIN-M book (:mod:`healthcheck.simulator.coinm`).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from healthcheck.simulator import coinm
from healthcheck.simulator import endpoints as ep
from healthcheck.simulator.accounts import SimAccount, d, s8
from healthcheck.simulator.endpoints import NONE, TRADE, USER_DATA, Ctx, Endpoint, Handler

PM_EQUITY = Decimal("10000")  # USD: the account's equity; maintenance margin = equity / uniMMR


def _acct(ctx: Ctx) -> SimAccount:
    assert ctx.account is not None
    return ctx.account


def _as(group: str, handler: Handler) -> Handler:
    """A /papi handler answered by the classic one of ``group`` (the same books)."""

    def call(ctx: Ctx) -> Any:
        inner = dataclasses.replace(ctx, group=group, path=ctx.path.replace("/papi/", "/", 1))
        out = handler(inner)
        ctx.refund_weight = inner.refund_weight
        ctx.extra_headers.update(inner.extra_headers)
        return out

    return call


def account(ctx: Ctx) -> Any:
    a = _acct(ctx)
    uni = d(a.uni_mmr)
    maint = PM_EQUITY / uni if uni > 0 else Decimal(0)
    return {
        "uniMMR": s8(uni),
        "accountEquity": s8(PM_EQUITY),
        "actualEquity": s8(PM_EQUITY),
        "accountInitialMargin": s8(maint * 2),
        "accountMaintMargin": s8(maint),
        "accountStatus": a.pm_account_status,
        "virtualMaxWithdrawAmount": s8(max(Decimal(0), PM_EQUITY - maint * 2)),
        "totalAvailableBalance": s8(max(Decimal(0), PM_EQUITY - maint * 2)),
        "totalMarginOpenLoss": "0.00000000",
        "updateTime": ctx.now_ms,
    }


def balance(ctx: Ctx) -> Any:
    a = _acct(ctx)
    assets = set(a.futures_assets) | set(a.coinm_assets) | {"USDT"}
    rows = []
    for asset in sorted(assets):
        um = d(a.futures_assets.get(asset, {}).get("walletBalance", 0))
        cm = d(a.coinm_assets.get(asset, {}).get("walletBalance", 0))
        cross = d(a.spot_balances.get(asset, ("0", "0"))[0])
        if ctx.params.get("asset") not in (None, asset):
            continue
        rows.append(
            {
                "asset": asset,
                "totalWalletBalance": s8(um + cm + cross),
                "crossMarginAsset": s8(cross),
                "crossMarginBorrowed": "0.00000000",
                "crossMarginFree": s8(cross),
                "crossMarginInterest": "0.00000000",
                "crossMarginLocked": "0.00000000",
                "umWalletBalance": s8(um),
                "umUnrealizedPNL": "0.00000000",
                "cmWalletBalance": s8(cm),
                "cmUnrealizedPNL": "0.00000000",
                "updateTime": 0,
                "negativeBalance": "0.00000000",
            }
        )
    return rows[0] if "asset" in ctx.params and rows else rows


def rate_limit_order(ctx: Ctx) -> Any:
    _acct(ctx)
    return [{"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200}]


def um_position_side(ctx: Ctx) -> Any:
    return {"dualSidePosition": _acct(ctx).dual_side_position}


def cm_position_side(ctx: Ctx) -> Any:
    return {"dualSidePosition": coinm.dual_side(_acct(ctx))}


def um_position_risk(ctx: Ctx) -> Any:
    rows = ep._usdm_rows(dataclasses.replace(ctx, group="fapi"), v2=True)
    return [
        {
            k: r[k]
            for k in (
                "symbol",
                "positionAmt",
                "entryPrice",
                "markPrice",
                "unRealizedProfit",
                "liquidationPrice",
                "leverage",
                "maxNotionalValue",
                "positionSide",
                "notional",
                "updateTime",
            )
            if k in r
        }
        for r in rows
        if d(r.get("positionAmt", 0)) != 0
    ]


def cm_position_risk(ctx: Ctx) -> Any:
    rows = coinm.position_risk(ctx)
    return [r for r in rows if d(r["positionAmt"]) != 0]


def _per_symbol(one: int, many: int) -> Any:
    return lambda params: one if params.get("symbol") else many


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/papi/v1/ping", NONE, 1, ep.ping),
    Endpoint("GET", "/papi/v1/account", USER_DATA, 20, account),
    Endpoint("GET", "/papi/v1/balance", USER_DATA, 20, balance),
    Endpoint("GET", "/papi/v1/rateLimit/order", USER_DATA, 1, rate_limit_order),
    Endpoint("GET", "/papi/v1/um/positionSide/dual", USER_DATA, 30, um_position_side),
    Endpoint("GET", "/papi/v1/cm/positionSide/dual", USER_DATA, 30, cm_position_side),
    Endpoint("GET", "/papi/v1/um/positionRisk", USER_DATA, 5, um_position_risk),
    Endpoint("GET", "/papi/v1/cm/positionRisk", USER_DATA, 1, cm_position_risk),
    Endpoint("GET", "/papi/v1/um/leverageBracket", USER_DATA, 1, _as("fapi", ep.leverage_bracket)),
    Endpoint(
        "GET", "/papi/v1/cm/leverageBracket", USER_DATA, 1, _as("dapi", coinm.leverage_bracket)
    ),
    Endpoint(
        "GET",
        "/papi/v1/um/openOrders",
        USER_DATA,
        _per_symbol(1, 40),
        _as("fapi", ep.futures_open_orders),
    ),
    Endpoint(
        "GET",
        "/papi/v1/cm/openOrders",
        USER_DATA,
        _per_symbol(1, 40),
        _as("dapi", coinm.open_orders),
    ),
    Endpoint(
        "GET",
        "/papi/v1/um/apiTradingStatus",
        USER_DATA,
        _per_symbol(1, 10),
        _as("fapi", ep.futures_api_trading_status),
    ),
    Endpoint("GET", "/papi/v1/um/account", USER_DATA, 5, _as("fapi", ep.futures_account)),
    Endpoint("GET", "/papi/v1/cm/account", USER_DATA, 5, _as("dapi", coinm.account)),
    Endpoint("GET", "/papi/v1/um/commissionRate", USER_DATA, 20, _as("fapi", ep.commission_rate)),
    Endpoint(
        "POST",
        "/papi/v1/um/order",
        TRADE,
        1,
        _as("fapi", ep.futures_order),
        zero_weight_on_success=True,
    ),
    Endpoint("GET", "/papi/v1/um/order", USER_DATA, 1, _as("fapi", ep.futures_get_order)),
    Endpoint("DELETE", "/papi/v1/um/order", TRADE, 1, _as("fapi", ep.futures_cancel_order)),
    Endpoint(
        "POST",
        "/papi/v1/cm/order",
        TRADE,
        1,
        _as("dapi", coinm.new_order),
        zero_weight_on_success=True,
    ),
]


def register(routes: dict[tuple[str, str], Endpoint]) -> None:
    """Add the COIN-M and Portfolio Margin routes to the simulator's route table (their faults
    are presets of :mod:`healthcheck.simulator.faults`)."""
    for e in coinm.ENDPOINTS + ENDPOINTS:
        routes[(e.method, e.path)] = e
