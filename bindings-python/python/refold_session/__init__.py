"""Mint Refold (formerly Cobalt) session tokens for your end-users' linked accounts.

    from refold_session import Refold

    refold = Refold()  # API key from REFOLD_API_KEY (or COBALT_API_KEY)
    session = refold.get_token_for_linked_account("user-42")
    session.token  # hand this to the front end

:class:`AsyncRefold` does the same on asyncio. Every failure raises a subclass of
:class:`RefoldError`. The work (validation, HTTP, retries, error mapping) is done by the
``refold-session`` Rust core; this package translates it to Python.
"""

from __future__ import annotations

from . import _native
from .errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InternalError,
    InvalidInputError,
    InvalidLinkedAccountError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RefoldError,
    ServerError,
    UnexpectedStatusError,
)

# `typing`, `datetime` and `types` are imported for the type checker only (annotations are
# strings here), not at run time: `import refold_session` stays fast (bench/README.md).
# Assigned rather than imported, because `from typing import TYPE_CHECKING` imports `typing`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as _dt
    from types import TracebackType
    from typing import Dict, Optional, Tuple, Type, Union

    # What the native module returns for a minted token: (token, linked_account_id,
    # expires_at and issued_at as Unix microseconds, the redacted token, expires_at and
    # issued_at as the core's RFC 3339 text).
    _Fields = Tuple[str, str, int, Optional[int], str, str, Optional[str]]
    _Number = Union[int, float]

__all__ = [
    "Refold",
    "AsyncRefold",
    "SessionToken",
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
    "__version__",
]

#: The version of the Rust core (sent in the ``user-agent``).
__version__: str = _native.VERSION


def _utc(micros: int) -> _dt.datetime:
    # `datetime` is imported on the first token rather than with the package.
    import datetime

    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return epoch + datetime.timedelta(microseconds=micros)


class SessionToken:
    """A session token for one linked account, ready to hand to the front end.

    ``repr()`` and ``str()`` show only the token's first 8 characters; read ``token`` (or
    call :meth:`to_dict`) to get it whole. Treat it as a secret: never log it.
    """

    __slots__ = ("_fields", "_expires_at", "_issued_at")

    _fields: _Fields
    _expires_at: _dt.datetime
    _issued_at: Optional[_dt.datetime]

    def __init__(self) -> None:
        raise TypeError(
            "SessionToken is returned by get_token_for_linked_account(); it is not built directly"
        )

    @classmethod
    def _from_fields(cls, fields: _Fields) -> SessionToken:
        self = object.__new__(cls)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_expires_at", _utc(fields[2]))
        object.__setattr__(self, "_issued_at", None if fields[3] is None else _utc(fields[3]))
        return self

    @property
    def token(self) -> str:
        """The token itself."""
        return self._fields[0]

    @property
    def linked_account_id(self) -> str:
        """The linked account the token was minted for."""
        return self._fields[1]

    @property
    def expires_at(self) -> _dt.datetime:
        """When the token stops working (aware, UTC): ``exp``, else ``iat`` + 24 h, else
        time of receipt + 24 h."""
        return self._expires_at

    @property
    def issued_at(self) -> Optional[_dt.datetime]:
        """When Refold issued the token (aware, UTC), if the token says."""
        return self._issued_at

    def to_dict(self) -> Dict[str, Optional[str]]:
        """The token whole, for the front end (JSON-ready). Times are RFC 3339 in UTC with
        whole seconds (``2026-11-25T20:08:19Z``), the same text in every language."""
        token, linked_account_id, _, _, _, expires_at, issued_at = self._fields
        return {
            "token": token,
            "linked_account_id": linked_account_id,
            "expires_at": expires_at,
            "issued_at": issued_at,
        }

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SessionToken is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionToken):
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        return hash((self.token, self.linked_account_id))

    def __repr__(self) -> str:
        return (
            f"SessionToken(token={self._fields[4]!r}, "
            f"linked_account_id={self.linked_account_id!r}, "
            f"expires_at={self._expires_at!r}, issued_at={self._issued_at!r})"
        )

    def __reduce__(self) -> Tuple[object, Tuple[_Fields]]:
        return (SessionToken._from_fields, (self._fields,))


class _Client:
    """What :class:`Refold` and :class:`AsyncRefold` share: options, properties, ``repr``."""

    __slots__ = ("_native", "__weakref__")

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _Number = _native.DEFAULT_TIMEOUT,
        max_retries: int = _native.DEFAULT_MAX_RETRIES,
        max_idle_connections: int = _native.DEFAULT_MAX_IDLE_CONNECTIONS,
    ) -> None:
        """Builds the client; no request is sent.

        Args:
            api_key: your Refold API key; default ``REFOLD_API_KEY``, then ``COBALT_API_KEY``.
            environment: ``"production"`` (default, or ``REFOLD_ENVIRONMENT``), ``"sandbox"``
                or ``"staging"``.
            base_url: overrides the environment (default ``REFOLD_BASE_URL``); ``https://``,
                or ``http://`` to a loopback host.
            timeout: seconds per attempt (connect, headers and the whole body).
            max_retries: retries of transient failures after the first attempt; 0 disables them.
            max_idle_connections: idle connections kept per host; 0 closes each after use.

        Raises:
            ConfigurationError: the options are unusable, e.g. text with a lone surrogate (no
                request is sent).
            TypeError: an option has the wrong type.
        """
        self._native = _native.NativeClient(
            api_key, environment, base_url, timeout, max_retries, max_idle_connections
        )

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._native.closed

    @property
    def endpoint(self) -> str:
        """The full session-token URL requests go to."""
        return self._native.endpoint

    @property
    def environment(self) -> str:
        """The deployment name (``"production"``, ``"sandbox"`` or ``"staging"``), ignoring
        a ``base_url`` override."""
        return self._native.environment

    @property
    def user_agent(self) -> str:
        """The ``user-agent`` sent with every request."""
        return self._native.user_agent

    def __repr__(self) -> str:
        if self._native.closed:
            return f"<{type(self).__name__} closed>"
        return f"<{type(self).__name__} endpoint={self._native.endpoint!r}>"


class Refold(_Client):
    """Mints session tokens, blocking the calling thread (never the GIL).

    Takes ``api_key`` and the keyword-only options ``environment``, ``base_url``,
    ``timeout`` (seconds), ``max_retries`` and ``max_idle_connections`` (see ``__init__``).

    One client holds one connection pool and is safe to share between threads; create it
    once (at import or start-up) and reuse it. It also survives ``os.fork()`` (gunicorn
    ``--preload``): a child process gets its own pool on first use.
    """

    __slots__ = ()

    def get_token_for_linked_account(self, linked_account_id: str) -> SessionToken:
        """Mints a session token for ``linked_account_id``, retrying transient failures.

        Raises:
            TypeError: ``linked_account_id`` is not a ``str``.
            RefoldError: a subclass per failure (``InvalidInputError``,
                ``InvalidLinkedAccountError``, ``AuthenticationError``, …).
        """
        return SessionToken._from_fields(self._native.token(linked_account_id))

    #: Alias for code written against the official Node SDK's naming.
    getTokenForLinkedAccount = get_token_for_linked_account

    def close(self) -> None:
        """Releases the connection pool; the client cannot be used afterwards."""
        self._native.close()

    def __enter__(self) -> Refold:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


class AsyncRefold(_Client):
    """:class:`Refold` for asyncio: ``await client.get_token_for_linked_account(id)``.

    Takes the same options. Calls never block the event loop: the request runs on the
    binding's own I/O threads. Safe to share between tasks (and threads, and loops).
    """

    __slots__ = ()

    async def get_token_for_linked_account(self, linked_account_id: str) -> SessionToken:
        """Mints a session token for ``linked_account_id``, retrying transient failures.

        Raises:
            TypeError: ``linked_account_id`` is not a ``str``.
            RefoldError: a subclass per failure.
        """
        fields = await self._native.token_async(linked_account_id)
        return SessionToken._from_fields(fields)

    #: Alias for code written against the official Node SDK's naming.
    getTokenForLinkedAccount = get_token_for_linked_account

    async def close(self) -> None:
        """Releases the connection pool; the client cannot be used afterwards."""
        self._native.close()

    async def __aenter__(self) -> AsyncRefold:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()
