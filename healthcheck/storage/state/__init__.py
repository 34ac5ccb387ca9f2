"""Durable daemon state: the one SQLite file ``state.db`` under the state directory.

It holds what must survive a restart: per-check status and what was notified (so a restart does
not re-alert or forget an open incident), the outbox of alert messages not yet delivered (written
in the same transaction as the decision to alert, so a kill between "decided" and "queued" cannot
happen), Binance bans (so a restart during a ban does not hammer the API), a small response cache
and a history of status flips. The database runs in WAL mode with ``synchronous=FULL``; a damaged
or future-version file is moved aside and replaced, never crash-looped on. Nothing secret is
stored: destinations are SHA-256 fingerprints and error texts are scrubbed. During a run, methods
log storage failures and carry on instead of raising into the scheduler.

The package is split by table family: :mod:`.checks` (check states and history), :mod:`.outbox`,
:mod:`.silences`, :mod:`.bans` (bans and the response cache), :mod:`.schema` (migrations),
:mod:`.opening` (pragmas, damaged files), :mod:`.store` (the connection, its lock and the
in-memory fallback) and :mod:`.db` (the :class:`StateDB` facade).
"""

from healthcheck.storage.state.checks import CheckState, HistoryRow
from healthcheck.storage.state.db import StateDB
from healthcheck.storage.state.errors import SilencesChanged, StateError, StateTooNew
from healthcheck.storage.state.opening import (
    BUSY_TIMEOUT_MS,
    DB_NAME,
    PAGE_CACHE_KIB,
    WAL_AUTOCHECKPOINT_PAGES,
    WAL_SIZE_LIMIT,
)
from healthcheck.storage.state.outbox import OutboxRow, dest_fingerprint
from healthcheck.storage.state.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    migrate,
    schema_version,
)
from healthcheck.storage.state.store import MAX_ERROR_CHARS, WRITE_BACK_SECONDS

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DB_NAME",
    "MAX_ERROR_CHARS",
    "MIGRATIONS",
    "PAGE_CACHE_KIB",
    "SCHEMA_VERSION",
    "WAL_AUTOCHECKPOINT_PAGES",
    "WAL_SIZE_LIMIT",
    "WRITE_BACK_SECONDS",
    "CheckState",
    "HistoryRow",
    "Migration",
    "OutboxRow",
    "SilencesChanged",
    "StateDB",
    "StateError",
    "StateTooNew",
    "dest_fingerprint",
    "migrate",
    "schema_version",
]
