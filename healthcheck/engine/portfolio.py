"""Portfolio Margin "auto": finding out, once a day, which accounts trade under it.

An account whose ``portfolio_margin`` is "auto" is read on the classic endpoints until a run
settles it. The runner asks the key's restrictions (``/sapi/v1/account/apiRestrictions``, the
answer api_key reads too) alongside the run's other signed reads; only a key that may trade
under Portfolio Margin has ``/papi/v1/account`` asked, with the account's /papi reads, in one
more wave. The answer is kept a day per account and key (another key behind the same name is
asked afresh) and fills in the config the runs and the daemon's schedule use.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import replace

from healthcheck.config import Config
from healthcheck.engine.cache import AnswerCache
from healthcheck.exchange.account import AccountConfig
from healthcheck.exchange.fetch import FetchErrorKind, Outcome

log = logging.getLogger(__name__)

# what "auto" found out about Portfolio Margin is asked again after a day (an account may move)
PM_REMEMBER_SECONDS = 86400.0
RESTRICTIONS = "sapi.apiRestrictions"  # says whether the key may trade under Portfolio Margin
PAPI_PROBE = "papi.account"  # answers for a Portfolio Margin account, refuses a classic one


class PortfolioMarginProbe:
    """Settles the "auto" accounts from the answers a run got, and fills them into the config."""

    def __init__(self, config: Config, cache: AnswerCache) -> None:
        self.config = config
        self.cache = cache

    def _key(self, a: AccountConfig) -> str:
        # per account and key: another key (or account) behind the same name is asked afresh
        return f"pm:{a.name}:{hashlib.sha256(a.api_key.reveal().encode()).hexdigest()[:16]}"

    def resolved_config(self) -> Config:
        """The config with each "auto" Portfolio Margin answer found earlier filled in."""
        cfg = self.config
        accounts = []
        changed = False
        for a in cfg.accounts:
            if a.pm is None:
                got = self.cache.fresh(self._key(a), PM_REMEMBER_SECONDS)
                if got is not None and isinstance(got[1], bool):
                    a = replace(a, portfolio_margin=got[1])
                    changed = True
            accounts.append(a)
        return replace(cfg, accounts=tuple(accounts)) if changed else cfg

    @staticmethod
    def unsettled(accounts: Iterable[AccountConfig]) -> list[str]:
        """Given resolved accounts, return the names of those "auto" has not settled."""
        return [a.name for a in accounts if a.pm is None]

    def read_restrictions(self, a: AccountConfig, out: Outcome | None) -> bool:
        """Given an unsettled account and its key's restrictions answer, settle the account
        when the key may not trade under Portfolio Margin; return True when /papi must be asked
        (it may). No answer says nothing: asked again next run (read classic meanwhile)."""
        if out is None or not out.ok or not isinstance(out.data, dict):
            log.info(
                "%s: Portfolio Margin not settled yet: %s",
                a.name,
                out.error if out is not None else "no answer",
            )
            return False
        if out.data.get("enablePortfolioMarginTrading") is not True:
            self._settle(a, False)
            return False
        return True

    def read_papi(self, a: AccountConfig, out: Outcome | None) -> bool | None:
        """Given an account whose key may trade under Portfolio Margin and its
        ``/papi/v1/account`` answer, settle it and return the answer: an answer says yes, a
        refusal says no; a transport failure or a clock/signature error says nothing (None)."""
        if out is not None and out.ok:
            self._settle(a, True)
            return True
        if (
            out is not None
            and out.error is not None
            and out.error.kind == FetchErrorKind.API
            and out.error.code not in (-1021, -1022)
        ):
            self._settle(a, False)
            return False
        log.info(
            "%s: Portfolio Margin not settled yet: %s",
            a.name,
            out.error if out is not None else "no answer",
        )
        return None

    def _settle(self, a: AccountConfig, answer: bool) -> None:
        log.info("%s: Portfolio Margin %s", a.name, "in use" if answer else "not in use")
        self.cache.put(self._key(a), answer, self.cache.clock())
