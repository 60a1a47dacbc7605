"""The error taxonomy the router acts on: retry the same model, escalate, or stop.

Classification is by status code and exception type, never by substring of a message.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorAction(StrEnum):
    RETRY = "retry"          # transient: same model again after a backoff (429, 529, 5xx, timeouts)
    ESCALATE = "escalate"    # this model cannot do it (context too long): try the next step
    FATAL = "fatal"          # retrying or escalating cannot help (401, 403, other 400s)


class ErrorKind(StrEnum):
    """Why a call failed; the value is the short reason recorded on the attempt."""

    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    MALFORMED_RESPONSE = "malformed_response"
    CONTEXT_TOO_LONG = "context_too_long"
    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"

    @property
    def action(self) -> ErrorAction:
        return _ACTIONS[self]


_ACTIONS = {
    ErrorKind.RATE_LIMITED: ErrorAction.RETRY,
    ErrorKind.OVERLOADED: ErrorAction.RETRY,
    ErrorKind.SERVER_ERROR: ErrorAction.RETRY,
    ErrorKind.TIMEOUT: ErrorAction.RETRY,
    ErrorKind.CONNECTION: ErrorAction.RETRY,
    ErrorKind.MALFORMED_RESPONSE: ErrorAction.RETRY,
    ErrorKind.CONTEXT_TOO_LONG: ErrorAction.ESCALATE,
    ErrorKind.AUTHENTICATION: ErrorAction.FATAL,
    ErrorKind.PERMISSION: ErrorAction.FATAL,
    ErrorKind.BAD_REQUEST: ErrorAction.FATAL,
    ErrorKind.NOT_FOUND: ErrorAction.FATAL,
}


class ProviderError(Exception):
    """A failed call, classified. `message` never contains a credential."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        request_id: str | None = None,
        latency_s: float = 0.0,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after_s = retry_after_s
        self.request_id = request_id
        self.latency_s = latency_s

    @property
    def action(self) -> ErrorAction:
        return self.kind.action

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{self.kind.value}{status}: {self.message}"
