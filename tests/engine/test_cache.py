"""The answer cache: answers kept in memory and in the state dir, their age, and the weight
readings a later process starts from (healthcheck/engine/cache.py)."""

from __future__ import annotations

from pathlib import Path

from healthcheck.engine.cache import WEIGHT_REUSE_SECONDS, AnswerCache, host_id
from healthcheck.exchange.weights import WeightBook, WeightObservation
from healthcheck.storage.state import StateDB

T0 = 1_790_000_000.0
BASE = "https://user:hunter2@proxy.example:8443"


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_kept_answer_reaches_the_next_process_through_the_state_dir(tmp_path: Path) -> None:
    db = StateDB.open(tmp_path)
    AnswerCache(db, Clock()).put("answer:main:x:spot.account", {"canTrade": True}, T0)
    db.close()
    db = StateDB.open(tmp_path)
    later = AnswerCache(db, Clock(T0 + 10))
    assert later.get("answer:main:x:spot.account") == (T0, {"canTrade": True})
    db.close()


def test_fresh_is_young_answers_only_and_never_one_from_the_future() -> None:
    clock = Clock()
    cache = AnswerCache(None, clock)
    cache.put("k", 1, T0)
    clock.now = T0 + 59
    assert cache.fresh("k", 60) == (T0, 1)
    clock.now = T0 + 60
    assert cache.fresh("k", 60) is None
    clock.now = T0 - 5  # the wall clock stepped back: refetch rather than trust it
    assert cache.fresh("k", 60) is None


def test_weight_readings_come_back_only_while_recent_and_hosts_stay_hashed(
    tmp_path: Path,
) -> None:
    db = StateDB.open(tmp_path)
    clock = Clock()
    book = WeightBook(clock=clock)
    book.observed[(BASE, "api")] = WeightObservation(1234, T0)
    AnswerCache(db, clock).save_weights(book)
    db.close()
    assert "hunter2" not in (tmp_path / "state.db").read_bytes().decode("latin-1")
    assert host_id(BASE) != host_id(BASE.replace("hunter2", "other"))

    db = StateDB.open(tmp_path)
    clock.now = T0 + 10
    fresh = WeightBook(clock=clock)
    AnswerCache(db, clock).load_weights([(BASE, "spot")], fresh, clock.now)
    assert fresh.observed[(BASE, "api")].used == 1234

    clock.now = T0 + WEIGHT_REUSE_SECONDS + 1
    stale = WeightBook(clock=clock)
    AnswerCache(db, clock).load_weights([(BASE, "spot")], stale, clock.now)
    assert (BASE, "api") not in stale.observed
    db.close()
