"""The state database's exceptions: what callers catch, and the internal "move it aside" signal."""

from __future__ import annotations


class StateError(Exception):
    """The state database cannot be opened or created (read-only or full directory, …)."""


class StateTooNew(StateError):
    """The database was written by a newer version of this program (a downgrade): refuse to
    start rather than lose or misread its state."""


class SilencesChanged(Exception):
    """A silence was added or expired while a cycle was being decided: decide it again."""


class Corrupt(Exception):
    """Internal: the file is not a usable state database; move it aside."""
