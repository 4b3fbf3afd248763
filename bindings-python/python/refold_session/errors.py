"""The exceptions of refold_session: one class per error code of the Rust core
(docs/contract.md §Errors).

Every exception is a :class:`RefoldError` carrying ``code``, ``status``, ``request_id``,
``retry_after`` (seconds), ``attempts``, and Refold's own ``server_code`` and
``http_error_type``. The core writes the message and never puts the API key or a token in it.
The class of each code is in one table keyed by the core's code strings (``_CLASS_BY_CODE``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not imported from `typing`: see __init__.py
if TYPE_CHECKING:
    from typing import Dict, Optional, Type

__all__ = [
    "RefoldError",
    "InvalidInputError",
    "ConfigurationError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "RateLimitError",
    "InvalidLinkedAccountError",
    "ServerError",
    "APITimeoutError",
    "APIConnectionError",
    "InvalidResponseError",
    "UnexpectedStatusError",
    "InternalError",
    "AbortError",
]


class RefoldError(Exception):
    """A failed call: minting a session token, or a linked-account call.

    Attributes:
        code: the language-neutral error code, e.g. ``"invalid_linked_account"``.
        message: what happened and what to do (also ``str(error)``).
        status: the HTTP status of the last response, or ``None`` if none arrived.
        request_id: the ``x-request-id`` of the last response, for Refold support.
        retry_after: the wait the server asked for, in seconds, or ``None``.
        attempts: how many requests were sent (0 when the call failed before the wire).
        server_code: Refold's own code of the error (its body's ``error`` or ``error_code``,
            e.g. ``"INVALID_LINKED_ACCOUNT_ID"``), or ``None``.
        http_error_type: Refold's ``http_error_type`` (e.g. ``"BAD_REQUEST"``), or ``None``.
    """

    #: The code this class stands for (each subclass sets its own).
    code: str = "unknown"

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        attempts: int = 0,
        server_code: Optional[str] = None,
        http_error_type: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        if code is not None:
            self.code = code
        self.status: Optional[int] = status
        self.request_id: Optional[str] = request_id
        self.retry_after: Optional[float] = retry_after
        self.attempts: int = attempts
        self.server_code: Optional[str] = server_code
        self.http_error_type: Optional[str] = http_error_type

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
            f"request_id={self.request_id!r}, attempts={self.attempts!r}, "
            f"server_code={self.server_code!r}, "
            f"message={self.message!r})"
        )

    # Pickling (multiprocessing, Celery) needs nothing of ours: `BaseException.__reduce__`
    # rebuilds the class from `args` (the message) and restores the fields from `__dict__`.


class InvalidInputError(RefoldError, ValueError):
    """An argument is unusable (nothing was sent): the linked account id is empty, blank, has
    a control character or a lone surrogate, or is too long; or the account payload, page or
    limit breaks a rule."""

    code = "invalid_input"


class ConfigurationError(RefoldError, ValueError):
    """The client options are unusable: no API key, unknown environment, unsafe base URL…"""

    code = "configuration"


class BadRequestError(RefoldError):
    """HTTP 400 or 422: e.g. creating a linked account that exists."""

    code = "bad_request"


class AuthenticationError(RefoldError):
    """HTTP 401: the API key (or, for the calls that take one, the session token) was
    rejected."""

    code = "authentication"


class PermissionDeniedError(RefoldError):
    """HTTP 403."""

    code = "permission_denied"


class NotFoundError(RefoldError):
    """HTTP 404: e.g. no linked account with that id."""

    code = "not_found"


class RateLimitError(RefoldError):
    """HTTP 429, after the retries ran out."""

    code = "rate_limited"


class InvalidLinkedAccountError(RefoldError):
    """Refold does not know the linked account id: 400 ``INVALID_LINKED_ACCOUNT_ID`` (its
    older guide: 500)."""

    code = "invalid_linked_account"


class ServerError(RefoldError):
    """HTTP 502/503/504 after the retries ran out, or another 5xx."""

    code = "server_error"


class APITimeoutError(RefoldError, TimeoutError):
    """An attempt exceeded the timeout (after the retries ran out), or HTTP 408."""

    code = "timeout"


class APIConnectionError(RefoldError, ConnectionError):
    """DNS failure, refused or dropped connection, or TLS failure."""

    code = "connection"


class InvalidResponseError(RefoldError):
    """A 2xx whose body is not JSON, has no token, or exceeds 1 MiB."""

    code = "invalid_response"


class UnexpectedStatusError(RefoldError):
    """Any other HTTP status, redirects included (they are never followed)."""

    code = "unexpected_status"


class InternalError(RefoldError):
    """A bug in refold-session itself (a panic in the native code, I/O threads that could not
    start): never retried; please report it. The process and the client remain usable."""

    code = "internal"


class AbortError(RefoldError):
    """The caller cancelled the call; a request already sent may have reached Refold. Never
    retried."""

    code = "aborted"


#: The class of each of the core's error codes (``_native.ERROR_CODES``; a test fails when
#: the core has a code this table lacks).
_CLASS_BY_CODE: Dict[str, Type[RefoldError]] = {
    "invalid_input": InvalidInputError,
    "configuration": ConfigurationError,
    "bad_request": BadRequestError,
    "authentication": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "rate_limited": RateLimitError,
    "invalid_linked_account": InvalidLinkedAccountError,
    "server_error": ServerError,
    "timeout": APITimeoutError,
    "connection": APIConnectionError,
    "invalid_response": InvalidResponseError,
    "unexpected_status": UnexpectedStatusError,
    "internal": InternalError,
    "aborted": AbortError,
}


def _from_core(
    *,
    code: str,
    message: str,
    status: Optional[int],
    request_id: Optional[str],
    retry_after: Optional[float],
    attempts: int,
    server_code: Optional[str],
    http_error_type: Optional[str],
) -> RefoldError:
    """Called by the native module: the exception for a core error, fields unchanged."""
    cls = _CLASS_BY_CODE.get(code, RefoldError)
    return cls(
        message,
        code=code,
        status=status,
        request_id=request_id,
        retry_after=retry_after,
        attempts=attempts,
        server_code=server_code,
        http_error_type=http_error_type,
    )
