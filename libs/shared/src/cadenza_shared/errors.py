"""One error taxonomy for every service.

Edges map these to responses (HTTP 4xx with the field and the reason) or to consumer outcomes
(retry with backoff, or reject to the dead-letter topic); handlers only raise.
"""

from __future__ import annotations


class CadenzaError(Exception):
    """Base of every error Cadenza raises on purpose."""


class InvalidInput(CadenzaError):
    """Input broke a rule; `field` names where, `reason` says why (shown to the caller)."""

    def __init__(self, field: str, reason: str, *, details: list[dict] | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.details = details or [{"field": field, "reason": reason}]


class NotFound(CadenzaError):
    """The thing asked for does not exist (or belongs to another tenant)."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} not found")
        self.what = what
        self.ident = ident


class Conflict(CadenzaError):
    """The request is valid but the current state does not allow it."""

    def __init__(self, reason: str, *, field: str = "state") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class Unauthorized(CadenzaError):
    """Missing or unknown API key."""


class RetryableError(CadenzaError):
    """A transient failure: the consumer runner retries the message with backoff."""


class PoisonMessage(CadenzaError):
    """A message that can never be processed: the runner sends it to `<topic>.dlq` with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
