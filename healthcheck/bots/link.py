"""The link between an account and its bot's config: read it, and notice when it changes.

``[[accounts]] bot = "freqtrade" | "hummingbot"`` and ``bot_config = "PATH"`` make the account
read the bot's own file (:func:`read`). The :class:`BotLink` kept on the account says which keys
our config wrote itself (they win over derived ones), what was derived, and a fingerprint of
every file read, so a run can tell cheaply (one ``stat`` per file) that the bot's config changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from healthcheck.bots import freqtrade_config, hummingbot_config
from healthcheck.bots.derived import BotConfigError, Derived, Fingerprint, fingerprint
from healthcheck.bots.freqtrade_config import LIVE_SOURCE


def read(kind: str, path: Path, live_whitelist: list[str] | None = None) -> Derived:
    """Given a bot kind and its config file, return what the file says; raise BotConfigError
    with one line naming the file and key. ``live_whitelist`` (freqtrade's REST API
    ``/api/v1/whitelist``) stands in for pairs only the running bot knows."""
    if kind == "freqtrade":
        return freqtrade_config.read(path, live_whitelist)
    if kind == "hummingbot":
        return hummingbot_config.read(path)
    raise BotConfigError(f"no reader for bot {kind!r}")


WHITELIST_TIMEOUT_SECONDS = 3.0


def read_live(
    kind: str, path: Path, bot_api: Any | None, timeout_seconds: float = WHITELIST_TIMEOUT_SECONDS
) -> Derived:
    """Like :func:`read`, and when the file names pairs only the running bot knows (regexes,
    dynamic pairlists) and the account has freqtrade's ``bot_api``, take the bot's live
    ``/api/v1/whitelist`` instead. A bot API that does not answer leaves the pairs unknown, and
    the reason says why (the symbols check turns it into its one WARNING)."""
    derived = read(kind, path)
    if derived.symbols_unknown is None or kind != "freqtrade" or bot_api is None:
        return derived
    # imported here: requests is only needed by accounts that have a bot API
    from healthcheck.bots.freqtrade_api import BotApiError, FreqtradeApi

    api = FreqtradeApi(
        bot_api.url, bot_api.username, bot_api.password.reveal(), timeout_seconds=timeout_seconds
    )
    try:
        pairs = api.whitelist()
    except BotApiError as exc:
        return replace(
            derived,
            symbols_unknown=f"{derived.symbols_unknown}; the bot's REST API could not give its "
            f"live list: {exc}",
        )
    finally:
        api.close()
    return read(kind, path, pairs)


def uses_live_whitelist(derived: Derived) -> bool:
    """True when the pairs came from the running bot (they change without a file changing)."""
    return derived.sources.get("symbols", "").startswith(LIVE_SOURCE) or (
        derived.symbols_unknown is not None and derived.bot == "freqtrade"
    )


@dataclass(frozen=True)
class BotLink:
    """An account's bot: its kind, its config file, the keys our config wrote itself (which
    win), what the file said, and the fingerprint of the files when they were read."""

    bot: str
    config: Path
    own_keys: frozenset[str]
    derived: Derived
    fingerprint: Fingerprint = field(default=(), compare=False)

    def files(self) -> tuple[Path, ...]:
        return self.derived.files or (self.config,)

    def changed(self) -> bool:
        """True when one of the files read was edited, replaced or removed since."""
        return fingerprint(self.files()) != self.fingerprint

    def derived_keys(self) -> list[str]:
        """The keys of ours that the bot's config filled (ours were not written)."""
        return [k for k in self.derived.values if k not in self.own_keys]

    def to_json(self) -> dict[str, Any]:
        """What ``config show`` prints: each derived key with its value and the file and key it
        came from, the keys our config wrote itself (they win), and what a run computes."""
        d = self.derived

        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return format(value.normalize(), "f")
            if isinstance(value, dict):
                return {str(k): plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value

        out: dict[str, Any] = {
            "bot": self.bot,
            "config": str(self.config),
            "files_read": [str(p) for p in d.files],
            "derived": {
                k: {"value": plain(v), "from": d.sources.get(k, str(self.config))}
                for k, v in d.values.items()
                if k not in self.own_keys
            },
            "ours_win": sorted(k for k in d.values if k in self.own_keys),
        }
        if d.stake is not None and d.stake.kind != "quote":
            out["order_size_each_run"] = {"value": d.stake.describe(), "from": d.stake.source}
        if d.min_stake is not None:
            out["freqtrade_min_stake"] = (
                "max(min notional x stoploss reserve, min quantity x price x "
                f"{1 + d.min_stake.amount_reserve_percent}) at leverage 1; "
                f"{d.min_stake.describe_stoploss()}"
            )
        if d.margin_mode is not None:
            out["margin_mode"] = d.margin_mode
        if d.symbols_unknown is not None:
            out["symbols_unknown"] = d.symbols_unknown
        if d.notes:
            out["notes"] = list(d.notes)
        out["credentials"] = "never read from the bot's config: this account's own key is used"
        return out
