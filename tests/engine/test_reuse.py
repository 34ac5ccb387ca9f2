"""Which answers a run reads again instead of asking Binance (healthcheck/engine/reuse.py)."""

from __future__ import annotations

from healthcheck.config import parse_config
from healthcheck.engine.cache import AnswerCache
from healthcheck.engine.plan import Planned, build_plan
from healthcheck.engine.reuse import BAD_NEWS_REUSE_SECONDS, AnswerReuse
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome
from healthcheck.model.result import Result, Status

T0 = 1_790_000_000.0
CFG = parse_config(
    {
        "accounts": [
            {
                "name": "main",
                "api_key": "A" * 64,
                "api_secret": "S" * 64,
                "markets": ["spot", "usdm"],
                "portfolio_margin": False,
            }
        ]
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def planned(label: str) -> Planned:
    return next(p for p in build_plan(CFG).requests if p.request.label() == label)


def test_a_reusable_answer_is_read_again_until_it_expires() -> None:
    clock = Clock()
    reuse = AnswerReuse(CFG, AnswerCache(None, clock), {})
    p = planned("spot.account")  # kept 300 s
    assert p.reuse_seconds == 300.0
    assert reuse.kept(p) is None
    reuse.keep(p, Outcome("spot.account", data={"canTrade": True}))
    clock.now += 200
    got = reuse.kept(p)
    assert got is not None and got.data == {"canTrade": True}
    assert got.sent is False and got.cached_at == T0
    clock.now = T0 + p.reuse_seconds
    assert reuse.kept(p) is None


def test_bad_news_is_kept_at_most_a_minute_so_a_fix_shows() -> None:
    clock = Clock()
    latest: dict[tuple[str, str], Result] = {}
    reuse = AnswerReuse(CFG, AnswerCache(None, clock), latest)
    p = planned("spot.account")
    reuse.keep(p, Outcome("spot.account", data={"canTrade": False}))
    clock.now += BAD_NEWS_REUSE_SECONDS + 1
    assert reuse.kept(p) is not None  # every reader OK: the answer keeps its 300 s
    latest[("main", "trading_status")] = Result("main", "trading_status", Status.CRITICAL, "x")
    assert reuse.kept(p) is None  # asked afresh: the fix shows within a minute
    clock.now = T0 + BAD_NEWS_REUSE_SECONDS - 1
    assert reuse.kept(p) is not None


def test_failed_and_unreusable_answers_are_not_kept() -> None:
    clock = Clock()
    cache = AnswerCache(None, clock)
    reuse = AnswerReuse(CFG, cache, {})
    p = planned("spot.account")
    reuse.keep(p, Outcome("spot.account", error=FetchError(FetchErrorKind.TIMEOUT, "slow")))
    assert reuse.kept(p) is None
    q = planned("fapi.account")  # read every run the balance check is due
    reuse.keep(q, Outcome("fapi.account", data={"assets": []}))
    assert cache.mem == {} and reuse.kept(q) is None


def test_a_public_answer_serves_every_account_for_most_of_the_stretched_interval() -> None:
    clock = Clock()
    reuse = AnswerReuse(CFG, AnswerCache(None, clock), {})
    p = planned("sapi.systemStatus")
    reuse.keep(p, Outcome("sapi.systemStatus", data={"status": 0}))
    assert reuse.kept(p) is None  # the one-shot `check` asks afresh every run
    reuse.share_seconds = {"system_status": 600.0}
    reuse.keep(p, Outcome("sapi.systemStatus", data={"status": 0}))
    clock.now += 0.9 * 600 - 1
    assert reuse.kept(p) is not None
    clock.now = T0 + 0.9 * 600
    assert reuse.kept(p) is None
