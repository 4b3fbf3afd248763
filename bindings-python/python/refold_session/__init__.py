"""Mint Refold (formerly Cobalt) session tokens for your end-users' linked accounts.

    from refold_session import Refold

    refold = Refold()  # API key from REFOLD_API_KEY (or COBALT_API_KEY)
    refold.upsert_linked_account("user-42", name="Ada")  # once per end-user
    session = refold.get_token_for_linked_account("user-42")
    session.token  # hand this to the front end

:class:`AsyncRefold` does the same on asyncio. Every failure raises a subclass of
:class:`RefoldError`. The work (validation, HTTP, retries, the optional session cache, error
mapping) is done by the ``refold-session`` Rust core; this package translates it to Python.
"""

from __future__ import annotations

from . import _native
from ._models import CacheOptions, CacheStats, LinkedAccount, LinkedAccountPage, StoreOptions, _utc
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
    from typing import Any, AsyncIterator, Dict, Iterator, Mapping, Optional, Tuple, Type, Union

    from ._models import _UdfValue

    # What the native module returns for a minted token: (token, linked_account_id,
    # expires_at and issued_at as Unix microseconds, the redacted token, expires_at and
    # issued_at as the core's RFC 3339 text).
    _Fields = Tuple[str, str, int, Optional[int], str, str, Optional[str]]
    _Number = Union[int, float]
    _Cache = Union[bool, CacheOptions, Dict[str, Any], None]
    _Udf = Mapping[str, _UdfValue]
    # `your_app` in the official SDK's shape: {"app_id": str, "auth_credentials": {...}}.
    _YourApp = Mapping[str, Any]

__all__ = [
    "Refold",
    "AsyncRefold",
    "SessionToken",
    "LinkedAccount",
    "LinkedAccountPage",
    "CacheOptions",
    "StoreOptions",
    "CacheStats",
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



def _cache_arg(cache: _Cache) -> object:
    """``cache`` for the native module: ``None``/``bool`` as given, a ``CacheOptions`` or a
    dict as its fields; another type is passed on for the core to report (``TypeError``)."""
    if isinstance(cache, dict):
        cache = CacheOptions(**cache)
    if isinstance(cache, CacheOptions):
        return cache._native()
    return cache


def _account(fields: _native._AccountFields) -> LinkedAccount:
    return LinkedAccount._from_fields(fields)


def _walk(pages: _native.NativePages) -> Iterator[LinkedAccount]:
    while True:
        page = pages.next_page()
        if page is None:
            return
        for fields in page[0]:
            yield LinkedAccount._from_fields(fields)


async def _walk_async(pages: _native.NativePages) -> AsyncIterator[LinkedAccount]:
    while True:
        page = await pages.next_page_async()
        if page is None:
            return
        for fields in page[0]:
            yield LinkedAccount._from_fields(fields)


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
        max_connections: int = _native.DEFAULT_MAX_CONNECTIONS,
        cache: _Cache = None,
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
            max_connections: connections open to the host at once (in use, idle or being
                opened), 1 to 10,000; calls beyond it wait, within their timeout, for one to
                come free.
            cache: the session cache, off by default (every call mints, as the official SDK
                does). ``True`` keeps each linked account's token and reuses it while it has
                more than an hour left, refreshing it in the background; a
                :class:`CacheOptions` (or a dict of its fields) tunes it, and its ``store``
                (a :class:`StoreOptions`) shares the tokens with every process of a fleet
                through Redis.

        Raises:
            ConfigurationError: the options are unusable, e.g. text with a lone surrogate (no
                request is sent).
            TypeError: an option has the wrong type.
        """
        self._native = _native.NativeClient(
            api_key,
            environment,
            base_url,
            timeout,
            max_retries,
            max_idle_connections,
            _cache_arg(cache),
            max_connections,
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
    """Mints session tokens and manages linked accounts, blocking the calling thread (never
    the GIL).

    Takes ``api_key`` and the keyword-only options ``environment``, ``base_url``,
    ``timeout`` (seconds), ``max_retries``, ``max_idle_connections``, ``max_connections`` and
    ``cache`` (see
    ``__init__``).

    One client holds one connection pool (and, with ``cache``, one session cache) and is
    safe to share between threads; create it once (at import or start-up) and reuse it. It
    also survives ``os.fork()`` (gunicorn ``--preload``): a child process gets its own pool,
    and an empty cache, on first use.
    """

    __slots__ = ()

    def get_token_for_linked_account(
        self, linked_account_id: str, *, fresh: bool = False
    ) -> SessionToken:
        """A session token for ``linked_account_id`` (the account must exist: see
        :meth:`upsert_linked_account`), retrying transient failures. With the cache on, a
        cached token with life left is returned without a request; ``fresh=True`` mints a
        new one anyway (and caches it), e.g. after the front end got a 401.

        Raises:
            TypeError: ``linked_account_id`` is not a ``str``.
            RefoldError: a subclass per failure (``InvalidInputError``,
                ``InvalidLinkedAccountError`` for an unknown account, ``AuthenticationError``, …).
        """
        return SessionToken._from_fields(self._native.token(linked_account_id, fresh))

    #: Alias for code written against the official Node SDK's naming.
    getTokenForLinkedAccount = get_token_for_linked_account

    def upsert_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
    ) -> LinkedAccount:
        """Creates the linked account, or updates it if it exists (safe to call on every
        sign-in; retried like every idempotent call).

        Args:
            linked_account_id: your id of the end-user (the one tokens are minted for).
            name: a display name.
            udf: user-defined fields: values are ``str``, ``int``, ``float``, ``bool`` or
                ``None``.
            your_app: ``{"app_id": ..., "auth_credentials": {...}}``: your own app's
                credentials for this account, a secret (never shown in messages or logs).

        Raises:
            TypeError: ``linked_account_id`` is not a ``str``, or a value has no JSON form.
            InvalidInputError: the account is unusable (e.g. a nested ``udf`` value); nothing
                is sent.
            RefoldError: a subclass per failure.
        """
        return _account(self._native.upsert(linked_account_id, name, udf, your_app))

    def create_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
    ) -> LinkedAccount:
        """Creates the linked account (arguments as :meth:`upsert_linked_account`). One that
        exists already raises ``BadRequestError``. Not retried once the request may have
        reached Refold (a repeated create could fail as a duplicate).
        """
        return _account(self._native.create(linked_account_id, name, udf, your_app))

    def get_linked_account(self, linked_account_id: str) -> LinkedAccount:
        """The linked account ``linked_account_id``.

        Raises:
            NotFoundError: there is no such account.
        """
        return _account(self._native.get(linked_account_id))

    def delete_linked_account(self, linked_account_id: str) -> Dict[str, Any]:
        """Deletes the linked account and returns Refold's answer (e.g. ``{"message": …}``).
        With the cache on, its cached token is dropped too (and its fleet-store entry), also
        when Refold had no such account; the next call for it mints and fails.

        Raises:
            NotFoundError: there is no such account.
        """
        return self._native.delete(linked_account_id)

    def list_linked_accounts(
        self, page: int = 1, limit: int = _native.DEFAULT_PAGE_LIMIT
    ) -> LinkedAccountPage:
        """One page of linked accounts in creation order: ``page`` from 1, ``limit`` from 1
        to 100 (else ``InvalidInputError``, nothing sent)."""
        return LinkedAccountPage._from_fields(self._native.list(page, limit))

    def iter_linked_accounts(
        self, limit: int = _native.DEFAULT_PAGE_LIMIT
    ) -> Iterator[LinkedAccount]:
        """Every linked account, fetching page after page (``limit`` per request) as the
        iteration goes. An error is raised by the ``next()`` that needed the page."""
        return _walk(self._native.pages(limit))

    def invalidate(self, linked_account_id: str) -> None:
        """Drops the cached token of ``linked_account_id`` (the next call mints), in this
        process and in the fleet store. Does nothing without a cache."""
        self._native.invalidate(linked_account_id)

    def invalidate_all(self) -> None:
        """Drops every cached token, in this process and (every key under the store's
        prefix) in the fleet store. Does nothing without a cache."""
        self._native.invalidate_all()

    def cache_stats(self) -> Optional[CacheStats]:
        """The session cache's counters, or ``None`` when the cache is off."""
        fields = self._native.cache_stats()
        return None if fields is None else CacheStats._from_fields(fields)

    def close(self) -> None:
        """Releases the connection pool and the cached tokens; the client cannot be used
        afterwards."""
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
    """:class:`Refold` for asyncio: ``await client.get_token_for_linked_account(id)``, and
    ``async for account in client.iter_linked_accounts()``.

    Takes the same options. Calls never block the event loop: the request runs on the
    binding's own I/O threads. Safe to share between tasks (and threads, and loops).
    """

    __slots__ = ()

    async def get_token_for_linked_account(
        self, linked_account_id: str, *, fresh: bool = False
    ) -> SessionToken:
        """A session token for ``linked_account_id``, retrying transient failures; from the
        cache when it is on, unless ``fresh=True`` (see :meth:`Refold.get_token_for_linked_account`).

        Raises:
            TypeError: ``linked_account_id`` is not a ``str``.
            RefoldError: a subclass per failure.
        """
        # A plain cache hit comes back as the fields themselves: no await, no trip through
        # the event loop.
        fields = self._native.token_async(linked_account_id, fresh)
        if not isinstance(fields, tuple):
            fields = await fields
        return SessionToken._from_fields(fields)

    #: Alias for code written against the official Node SDK's naming.
    getTokenForLinkedAccount = get_token_for_linked_account

    async def upsert_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
    ) -> LinkedAccount:
        """Creates or updates the linked account (see :meth:`Refold.upsert_linked_account`)."""
        return _account(await self._native.upsert_async(linked_account_id, name, udf, your_app))

    async def create_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
    ) -> LinkedAccount:
        """Creates the linked account (see :meth:`Refold.create_linked_account`)."""
        return _account(await self._native.create_async(linked_account_id, name, udf, your_app))

    async def get_linked_account(self, linked_account_id: str) -> LinkedAccount:
        """The linked account ``linked_account_id`` (``NotFoundError`` if there is none)."""
        return _account(await self._native.get_async(linked_account_id))

    async def delete_linked_account(self, linked_account_id: str) -> Dict[str, Any]:
        """Deletes the linked account and returns Refold's answer (``NotFoundError`` if there
        is none); drops its cached token (see :meth:`Refold.delete_linked_account`)."""
        return await self._native.delete_async(linked_account_id)

    async def list_linked_accounts(
        self, page: int = 1, limit: int = _native.DEFAULT_PAGE_LIMIT
    ) -> LinkedAccountPage:
        """One page of linked accounts (see :meth:`Refold.list_linked_accounts`)."""
        return LinkedAccountPage._from_fields(await self._native.list_async(page, limit))

    def iter_linked_accounts(
        self, limit: int = _native.DEFAULT_PAGE_LIMIT
    ) -> AsyncIterator[LinkedAccount]:
        """Every linked account, for ``async for``, fetching page after page (``limit`` per
        request) as the iteration goes."""
        return _walk_async(self._native.pages(limit))

    async def invalidate(self, linked_account_id: str) -> None:
        """Drops the cached token of ``linked_account_id``. Does nothing without a cache."""
        await self._native.invalidate_async(linked_account_id)

    async def invalidate_all(self) -> None:
        """Drops every cached token. Does nothing without a cache."""
        await self._native.invalidate_all_async()

    async def cache_stats(self) -> Optional[CacheStats]:
        """The session cache's counters, or ``None`` when the cache is off."""
        fields = await self._native.cache_stats_async()
        return None if fields is None else CacheStats._from_fields(fields)

    async def close(self) -> None:
        """Releases the connection pool and the cached tokens; the client cannot be used
        afterwards."""
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
