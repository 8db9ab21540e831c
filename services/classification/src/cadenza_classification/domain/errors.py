"""Errors raised by the pure parsing/classification domain."""

from __future__ import annotations

__all__ = ["MalformedMessage"]


class MalformedMessage(ValueError):
    """A raw message that cannot be turned into a :class:`ParsedMessage`.

    ``field`` names what was wrong (``"raw"``, ``"from"``, ``"mime"``, ``"body"`` ...)
    and ``reason`` says why; ``str(exc)`` is ``"<field>: <reason>"``.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"

    def __reduce__(self):  # keep pickling (e.g. across processes) working
        return (type(self), (self.field, self.reason))
