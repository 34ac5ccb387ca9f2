"""Test-only start-up hook for daemon subprocesses: point apprise's Telegram plugin at the local
fake Bot API when BHC_TEST_TELEGRAM_API is set (the plugin's endpoint is a class attribute)."""

import os

_api = os.environ.get("BHC_TEST_TELEGRAM_API")
if _api:
    from apprise.plugins.telegram import NotifyTelegram

    NotifyTelegram.notify_url = _api
