"""Secret values: masked in every repr, registered with the log redactor when created.

A :class:`Secret` never prints its value; ``reveal()`` is the one way to get it, and only the
gateway (signing) and the notifier (apprise URLs) call it.
"""

from __future__ import annotations

from healthcheck.storage import redact


class Secret:
    __slots__ = ("_value", "_kind")

    def __init__(self, value: str, kind: str = "secret") -> None:
        self._value = value
        self._kind = kind
        redact.register(value)

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        return mask(self._value)

    def __repr__(self) -> str:
        return f"<{self._kind} {self.masked()}>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # never pickle the value by accident
        raise TypeError("Secret values cannot be pickled")


def mask(value: str) -> str:
    """Given a key, return at most its first 4 and last 4 characters: "AbCd…WxYz"."""
    if len(value) >= 16:
        return f"{value[:4]}…{value[-4:]}"
    return "****"
