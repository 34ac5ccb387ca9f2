"""The bots' configs as the running checks last saw them, and whether they changed since.

The daemon asks before each tick: one stat per config file, and every
``WHITELIST_REFRESH_SECONDS`` the live pair list of a freqtrade whose pairs only its REST API
knows. A config that now says something else than the running config was built from makes the
daemon reload; one that cannot be read is noted, and the account's symbols check is UNKNOWN with
the reason until it can.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from healthcheck.bots.derived import BotConfigError, Derived, Fingerprint, fingerprint
from healthcheck.bots.link import BotLink, uses_live_whitelist
from healthcheck.bots.link import read_live as read_live_bot_config
from healthcheck.config import Config
from healthcheck.exchange.account import AccountConfig
from healthcheck.storage.redact import scrub

log = logging.getLogger(__name__)

# how often a freqtrade's live pair list is read again (its VolumePairList refreshes every
# 30 minutes by default; a regex list changes when the exchange lists a pair)
WHITELIST_REFRESH_SECONDS = 300.0


def _meaning(d: Derived) -> tuple[Any, ...]:
    """What a bot config says that the checks use (not the wording of why pairs are unknown,
    which carries the bot API's error text)."""
    return (d.values, d.stake, d.min_stake, d.margin_mode, d.symbols_unknown is None)


class BotConfigPoller:
    """Watches the bot config of every account that has one (``[accounts.bot]``)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # the bot configs as last seen on disk, and why one cannot be read now
        self._seen: dict[str, Fingerprint] = {
            a.name: a.bot.fingerprint for a in config.accounts if a.bot is not None
        }
        self.errors: dict[str, str] = {}
        self._live_at: dict[str, float] = {}  # when a bot's live whitelist was last read

    def poll(self) -> bool:
        """Re-read every bot config whose files changed on disk, and each live whitelist that
        is due; return True when one now says something else than the running config was
        built from. One that cannot be read is noted in ``errors``."""
        changed = False
        now = time.monotonic()
        for a in self.config.accounts:
            if a.bot is not None and self._due(a, a.bot, now):
                changed = self._reread(a, a.bot) or changed
        return changed

    def _due(self, a: AccountConfig, link: BotLink, now: float) -> bool:
        """True when the account's config files changed or its live whitelist is due (and note
        that they are read now)."""
        seen = fingerprint(link.files())
        live = a.bot_api is not None and uses_live_whitelist(link.derived)
        live_due = live and now - self._live_at.get(a.name, now) >= WHITELIST_REFRESH_SECONDS
        self._live_at.setdefault(a.name, now)
        if seen == self._seen.get(a.name) and not live_due:
            return False
        self._seen[a.name] = seen
        if live:
            self._live_at[a.name] = now
        return True

    def _reread(self, a: AccountConfig, link: BotLink) -> bool:
        """Read the account's bot config (and live whitelist) again; return True when it says
        something else than the running config was built from."""
        try:
            derived = read_live_bot_config(link.bot, link.config, a.bot_api)
        except BotConfigError as exc:
            self.errors[a.name] = scrub(str(exc))
            log.error("%s: %s", a.name, self.errors[a.name])
            return False
        except Exception:  # noqa: BLE001 - a bug in a reader must not stop the run
            log.exception("reading the bot config of %s failed", a.name)
            self.errors[a.name] = "internal error while reading it (see the log)"
            return False
        self.errors.pop(a.name, None)
        if _meaning(derived) != _meaning(link.derived):
            log.info(
                "%s: the bot config %s (or the bot's live pair list) changed", a.name, link.config
            )
            return True
        return False
