"""Portfolio Margin "auto": the answer a probe found is remembered a day per account and key
(healthcheck/engine/portfolio.py)."""

from __future__ import annotations

import time
from pathlib import Path

from healthcheck.config import Config, parse_config
from healthcheck.engine.cache import AnswerCache
from healthcheck.engine.portfolio import PM_REMEMBER_SECONDS, PortfolioMarginProbe
from healthcheck.storage.state import StateDB


def config(api_key: str = "A" * 64) -> Config:
    return parse_config(
        {
            "accounts": [
                {
                    "name": "main",
                    "api_key": api_key,
                    "api_secret": "S" * 64,
                    "markets": ["spot", "usdm"],
                    "portfolio_margin": "auto",
                }
            ]
        }
    )


def probe(cfg: Config, cache: AnswerCache) -> PortfolioMarginProbe:
    return PortfolioMarginProbe(cfg, cache)


def test_the_probe_remembers_its_answer_across_processes_for_a_day(tmp_path: Path) -> None:
    cfg = config()
    db = StateDB.open(tmp_path)
    first = probe(cfg, AnswerCache(db, time.time))
    assert first.resolved_config().accounts[0].pm is None  # not settled yet
    first._settle(cfg.accounts[0], True)
    db.close()

    db = StateDB.open(tmp_path)
    again = probe(cfg, AnswerCache(db, time.time))
    assert again.resolved_config().accounts[0].pm is True
    assert again.unsettled(again.resolved_config().accounts) == []  # nothing to ask
    tomorrow = probe(cfg, AnswerCache(db, lambda: time.time() + PM_REMEMBER_SECONDS + 1))
    assert tomorrow.resolved_config().accounts[0].pm is None
    db.close()


def test_another_key_behind_the_same_name_is_asked_afresh() -> None:
    cache = AnswerCache(None, time.time)
    probe(config(), cache)._settle(config().accounts[0], False)
    assert probe(config(), cache).resolved_config().accounts[0].pm is False
    other = config(api_key="B" * 64)
    assert probe(other, cache).resolved_config().accounts[0].pm is None
    assert probe(other, cache).resolved_config() is other  # nothing to fill in
