"""checks.margin_type: freqtrade's margin_mode against a held position's margin type (-4048)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from healthcheck.bots.derived import Derived
from healthcheck.bots.link import BotLink
from healthcheck.checks.leverage_caps import Position
from healthcheck.checks.margin_type import margin_type_findings
from healthcheck.model.result import Status
from tests.checks.factbook import account

BOT_CONFIG = Path("/etc/freqtrade/config.json")


def bot(margin_mode: str | None) -> BotLink:
    d = Derived("freqtrade", BOT_CONFIG, (BOT_CONFIG,), margin_mode=margin_mode)
    return BotLink("freqtrade", BOT_CONFIG, frozenset(), d)


POSITIONS = [Position("BTCUSDT", "BOTH", Decimal(600), Decimal(60000))]
CROSSED = [{"symbol": "BTCUSDT", "marginType": "CROSSED"}]


def test_a_position_in_the_other_margin_type_is_4048_critical_for_the_bots_symbols():
    acc = account(markets=("usdm",), symbols={"usdm": ("BTCUSDT",)}, bot=bot("isolated"))
    (f,) = margin_type_findings(acc, "usdm", CROSSED, POSITIONS)
    assert f.status is Status.CRITICAL and f.codes == [-4048]
    assert "BTCUSDT holds a position in cross margin" in f.text and str(BOT_CONFIG) in f.text
    assert "set margin_mode to 'cross'" in f.fix


def test_unknown_bot_pairs_make_it_a_warning_and_other_symbols_are_not_asked():
    unknown = account(markets=("usdm",), bot=bot("isolated"))
    (f,) = margin_type_findings(unknown, "usdm", CROSSED, POSITIONS)
    assert f.status is Status.WARNING and f.codes == [] and f.risk_codes == [-4048]
    other = account(markets=("usdm",), symbols={"usdm": ("ETHUSDT",)}, bot=bot("isolated"))
    assert margin_type_findings(other, "usdm", CROSSED, POSITIONS) == []


def test_same_type_no_position_or_no_freqtrade_margin_mode_is_no_finding():
    acc = account(markets=("usdm",), symbols={"usdm": ("BTCUSDT",)}, bot=bot("cross"))
    assert margin_type_findings(acc, "usdm", CROSSED, POSITIONS) == []
    assert margin_type_findings(acc, "usdm", CROSSED, []) == []
    spot_bot = account(markets=("usdm",), symbols={"usdm": ("BTCUSDT",)}, bot=bot(None))
    assert margin_type_findings(spot_bot, "usdm", CROSSED, POSITIONS) == []
