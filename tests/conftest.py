"""Shared fixtures: loopback alert receivers (see tests/support/receivers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.receivers import JsonReceiver, SmtpReceiver, TelegramFake


@pytest.fixture
def json_receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def telegram_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[TelegramFake]:
    """A fake Bot API; apprise's documented endpoint attribute is pointed at it meanwhile."""
    from apprise.plugins.telegram import NotifyTelegram

    with TelegramFake() as fake:
        monkeypatch.setattr(NotifyTelegram, "notify_url", fake.api_base)
        yield fake
