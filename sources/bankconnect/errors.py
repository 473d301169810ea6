"""Exceptions: what stops a run, and what is recorded against one session."""

from __future__ import annotations


class BankConnectError(Exception):
    """Base class for errors this package raises on purpose."""


class ConfigError(BankConnectError):
    """Bad configuration or arguments: the run does not start."""


class AuthError(BankConnectError):
    """The API refused the credentials (ACCESS_DENIED, 401, 402): the whole run stops."""


class SessionError(BankConnectError):
    """One session could not be loaded now; recorded on the session, the batch goes on.

    Attributes:
        status: the session status to record (`not_found`, `deleted`, `pending`, ...).
        code: the API error code, or the pipeline's own (`RETRIES_EXHAUSTED`, `INVALID_PAYLOAD`).
    """

    def __init__(self, status: str, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class PayloadError(BankConnectError):
    """A payload does not have the documented shape and cannot be read at all."""
