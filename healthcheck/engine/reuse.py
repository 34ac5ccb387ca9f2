"""Which answers a run may read again instead of asking Binance, and which ones it keeps.

An answer is read again when its request allows it (``reuse_seconds``), when it is public and the
daemon's stretched interval says one request per interval serves every account on the host, or
when another check of the same account asked for it at its own turn (accountConfig serves
position_mode, trading_status and api_key; the schedule prices it once, at the shortest of their
intervals). While a check that reads a kept answer is not OK, the answer is kept a minute at
most, so a fix shows at once.
"""

from __future__ import annotations

from healthcheck.config import Config
from healthcheck.engine.cache import AnswerCache, host_id
from healthcheck.engine.plan import Planned, build_plan
from healthcheck.exchange.fetch import Outcome
from healthcheck.model.result import Result, Status

# while a check that reads a kept answer is not OK, the answer is kept this long at most: a fix
# shows within a minute, and a problem that lasts for days costs one read a minute, not one a run
BAD_NEWS_REUSE_SECONDS = 60.0


class AnswerReuse:
    """Decides, per planned request, whether a kept answer serves the checks due now."""

    def __init__(
        self, config: Config, cache: AnswerCache, latest: dict[tuple[str, str], Result]
    ) -> None:
        """``latest`` is the runner's latest result per (account, check)."""
        self.config = config
        self.cache = cache
        self.latest = latest
        # the daemon's stretched interval per check: answers shared by every account on a host
        # (server time, public requests) are reused for most of it instead of being sent again
        # for each account's turn; empty (the one-shot `check`) means every run asks afresh
        self.share_seconds: dict[str, float] = {}
        # every check of an account that reads each of its signed requests (at any turn);
        # built when the daemon first needs it
        self._readers: dict[tuple[str, str, str], set[str]] | None = None

    def answer_key(self, p: Planned) -> str:
        owner = "public" if p.per_host else p.account
        return f"answer:{owner}:{host_id(p.base)}:{p.request.label()}"

    def bad_news(self, p: Planned) -> bool:
        """True when a check that reads this signed answer is not OK for its account: the kept
        answer may be what keeps it so (canTrade false, read 4 minutes ago), and a fix must show
        as RESOLVED within BAD_NEWS_REUSE_SECONDS, not when the answer expires. Answers shared
        by every account on the host (the delist schedule, 100) are Binance's, not the account's,
        and weigh more: they keep their reuse time."""
        if p.per_host:
            return False
        return any(
            (r := self.latest.get((p.account, c))) is not None and r.status is not Status.OK
            for c in p.checks
        )

    def sibling_age(self, p: Planned, *, fetching: bool = False) -> float:
        """Given a signed request, return how old an answer to it may be and still be read by
        the checks due now (0: ask afresh). Several checks of an account can read one request
        (accountConfig: position_mode, trading_status, api_key), each at its own turn; the
        schedule prices it once, at the shortest of their intervals. So the check with the
        shortest interval asks afresh at each of its turns, and the others read its answer
        while it is younger than most of that interval. ``fetching``: return the age for the
        account's other readers (is the answer worth keeping?)."""
        if not self.share_seconds:
            return 0.0
        if self._readers is None:
            self._readers = {
                (q.account, q.base, q.request.label()): set(q.checks)
                for q in build_plan(self.config).requests
                if not q.per_host
            }
        readers = self._readers.get((p.account, p.base, p.request.label()), set())
        every = {c: self.share_seconds[c] for c in readers if c in self.share_seconds}
        if len(every) < 2:
            return 0.0
        leader = min(every, key=lambda c: (every[c], c))
        if leader in p.checks and not fetching:
            return 0.0
        return 0.9 * every[leader]

    def kept(self, p: Planned) -> Outcome | None:
        """Given a planned request, return the kept answer that serves it, or None (send it)."""
        shared = 0.0
        if p.public and self.share_seconds:
            # a public answer serves every account on the host: one request per interval
            shared = 0.9 * min((self.share_seconds.get(c, 0.0) for c in p.checks), default=0.0)
        elif self.share_seconds:
            shared = self.sibling_age(p)
        if p.reuse_seconds <= 0 and shared <= 0:
            return None
        max_age = max(p.reuse_seconds, shared)
        if self.bad_news(p):
            max_age = min(max_age, BAD_NEWS_REUSE_SECONDS)
        got = self.cache.fresh(self.answer_key(p), max_age)
        if got is None:
            return None
        return Outcome(p.request.endpoint, data=got[1], sent=False, cached_at=got[0])

    def keep(self, p: Planned, o: Outcome) -> None:
        """Given a fresh answer to a planned request, keep it if a later run may read it."""
        if o.ok and (p.reuse_seconds > 0 or (p.public and self.share_seconds)):
            self.cache.put(self.answer_key(p), o.data, self.cache.clock())
        elif o.ok and not p.public and self.sibling_age(p, fetching=True) > 0:
            # for the account's other checks that read it (memory only: a signed answer read
            # every few minutes is not worth a disk write per account)
            self.cache.mem[self.answer_key(p)] = (self.cache.clock(), o.data)
