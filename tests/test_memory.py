"""The daemon caps glibc's malloc arenas (RSS crept ~0.2 MiB/min in a paced soak without it;
bench/soak.py --tick-seconds 1 prints the curve), and leaves a user's MALLOC_ARENA_MAX alone."""

from __future__ import annotations

import platform

import pytest

from healthcheck.memory import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_arenas_are_capped_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True


def test_users_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
