"""checks.listing: a symbol exists, is TRADING, and has no delisting announced."""

from __future__ import annotations

from healthcheck.checks.base import SymbolView
from healthcheck.checks.listing import delist_time, listing_findings
from healthcheck.model.result import Status
from tests.checks.factbook import NOW, account, facts, spot_symbol, usdm_symbol


def view(market: str, symbol: str, entry: dict | None) -> SymbolView:
    acc = account(markets=(market,), symbols={market: (symbol,)})
    f = facts(acc, exchange={market: {symbol: entry} if entry else {}})
    return SymbolView(f, market, symbol, f.exchange[market], {}, [])


def test_a_futures_symbol_not_trading_is_critical_with_4141():
    v = view("usdm", "BTCUSDT", usdm_symbol(status="SETTLING"))
    ok, findings = listing_findings(v, {}, 24, {})
    assert not ok and [f.status for f in findings] == [Status.CRITICAL]
    assert findings[0].codes == [-4141] and "SETTLING, not TRADING" in findings[0].text
    assert v.row["status"] == "SETTLING"


def test_a_spot_symbol_not_trading_quotes_market_is_closed():
    v = view("spot", "ETHUSDT", spot_symbol(status="BREAK"))
    ok, findings = listing_findings(v, {}, 24, {})
    assert not ok and findings[0].status is Status.CRITICAL
    (code,) = findings[0].codes
    assert "Market is closed." in findings[0].quotes[code]


def test_a_missing_symbol_is_critical_with_1121():
    ok, findings = listing_findings(view("usdm", "BTCUSDTX", None), {}, 24, {})
    assert not ok and findings[0].codes == [-1121]


def test_an_announced_delisting_warns_then_is_critical_with_its_countdown_metric():
    in_3_days = int((NOW + 3 * 86400) * 1000)
    entry = usdm_symbol(delivery=in_3_days)
    assert delist_time("usdm", "BTCUSDT", entry, {}) == NOW + 3 * 86400
    metrics: dict = {}
    ok, findings = listing_findings(view("usdm", "BTCUSDT", entry), {}, 24, metrics)
    assert ok and findings[0].status is Status.WARNING
    assert metrics == {"delist_seconds_usdm_BTCUSDT": 3 * 86400}
    _, findings = listing_findings(view("usdm", "BTCUSDT", entry), {}, 96, {})
    assert findings[0].status is Status.CRITICAL
    assert delist_time("usdm", "BTCUSDT", usdm_symbol(), {}) is None  # the 2100 default
