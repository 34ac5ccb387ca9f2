"""bots.liveness: the plain facts bot_alive judges; what the watcher and the probe hand over."""

from __future__ import annotations

import dataclasses

import pytest

from healthcheck.bots.liveness import ApiFailure, ApiProbe, BotAliveFacts, SourceSilence, UnitState


def test_facts_are_frozen_so_a_check_cannot_change_what_was_read():
    facts = BotAliveFacts(sources=[SourceSilence("freqtrade.log", 300, None, 1000.0)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.api = ApiProbe("http://127.0.0.1:8080", 60)  # type: ignore[misc]
    assert facts.units == [] and facts.api is None


def test_defaults_say_nothing_went_wrong_until_a_reader_says_so():
    assert UnitState("freqtrade.service").error is None
    assert not UnitState("freqtrade.service").missing_systemctl
    probe = ApiProbe("http://127.0.0.1:8080", 60)
    assert probe.failure is None and probe.reason == ""
    assert {f.value for f in ApiFailure} == {"unreachable", "timeout", "auth", "http", "malformed"}
