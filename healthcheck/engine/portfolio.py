"""Portfolio Margin "auto": finding out, once a day, which accounts trade under it.

An account whose ``portfolio_margin`` is "auto" is read on the classic endpoints until a run
settles it. The answer is kept a day per account and key (another key behind the same name is
asked afresh) and fills in the config the runs and the daemon's schedule use.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from healthcheck.config import Config
from healthcheck.engine.cache import AnswerCache
from healthcheck.engine.timing import ClockOffsets
from healthcheck.exchange.account import AccountConfig
from healthcheck.exchange.fetch import FetchErrorKind
from healthcheck.exchange.gateway import AccountGateway
from healthcheck.model.markets import PM_HOST

log = logging.getLogger(__name__)

# what "auto" found out about Portfolio Margin is asked again after a day (an account may move)
PM_REMEMBER_SECONDS = 86400.0


class PortfolioMarginProbe:
    """Settles the "auto" accounts and fills their answers into the config."""

    def __init__(
        self,
        config: Config,
        cache: AnswerCache,
        gateways: dict[str, AccountGateway],
        pool: ThreadPoolExecutor,
        offsets: ClockOffsets,
    ) -> None:
        self.config = config
        self.cache = cache
        self.gateways = gateways
        self.pool = pool
        self.offsets = offsets

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

    def detect(self, accounts: list[str] | None) -> None:
        """Settle each "auto" account not settled in the last day. The key's restrictions
        (``/sapi/v1/account/apiRestrictions``, weight 1) say whether it may trade under
        Portfolio Margin; only then is ``/papi/v1/account`` (weight 20 on /papi) asked: it
        answers for a Portfolio Margin account and refuses a classic one (-2015). A transport
        failure or a clock/signature error says nothing: asked again next run (the run reads
        the classic endpoints meanwhile)."""
        todo = [
            a
            for a in self.resolved_config().accounts
            if a.pm is None and (accounts is None or a.name in set(accounts))
        ]
        if not todo:
            return
        known = self.offsets.any_known()
        offset = -(known.offset_ms or 0.0) if known else 0.0
        probes = self._ask_restrictions(todo, offset)
        for a in todo:
            if a.name in probes:
                self._read_probe(a, probes[a.name])

    def _ask_restrictions(self, todo: list[AccountConfig], offset: float) -> dict[str, Future]:
        """Given the accounts to settle, ask their keys' restrictions; settle those that may not
        trade under Portfolio Margin, and return the /papi probe sent for the others."""
        restr = {a.name: self._submit(a, "sapi.apiRestrictions", "spot", offset) for a in todo}
        probes = {}
        for a in todo:
            out = restr[a.name].result()
            if not out.ok or not isinstance(out.data, dict):
                log.info("%s: Portfolio Margin not settled yet: %s", a.name, out.error)
                continue
            if out.data.get("enablePortfolioMarginTrading") is not True:
                self._settle(a, False)
                continue
            probes[a.name] = self._submit(a, "papi.account", PM_HOST, offset)
        return probes

    def _read_probe(self, a: AccountConfig, probe: Future) -> None:
        """Settle an account by its /papi answer: an answer says yes, a refusal says no."""
        out = probe.result()
        if out.ok:
            self._settle(a, True)
        elif (
            out.error is not None
            and out.error.kind == FetchErrorKind.API
            and out.error.code not in (-1021, -1022)
        ):
            self._settle(a, False)
        else:
            log.info("%s: Portfolio Margin not settled yet: %s", a.name, out.error)

    def _submit(self, a: AccountConfig, endpoint: str, host: str, offset: float) -> Future:
        gw = self.gateways[a.name]
        if offset:
            gw.set_offset(host, offset)
        return gw.submit(self.pool, endpoint)

    def _settle(self, a: AccountConfig, answer: bool) -> None:
        log.info("%s: Portfolio Margin %s", a.name, "in use" if answer else "not in use")
        self.cache.put(self._key(a), answer, self.cache.clock())
