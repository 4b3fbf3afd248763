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

from . import _native, _telemetry
from ._api_base import AsyncScopedRefold, ScopedRefold
from ._models import CacheOptions, RateLimitOptions, StoreOptions, _plain_options
from ._native import (
    CacheStats,
    Integration,
    LinkedAccount,
    LinkedAccountPage,
    RevokeResult,
    SessionToken,
)
from ._official import _AsyncOfficialCalls, _OfficialCalls
from .errors import (
    AbortError,
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
from .webhooks import WebhookEvent, parse_webhook_event, verify_webhook_signature

# `typing` and `types` are imported for the type checker only (annotations are strings here),
# not at run time: `import refold_session` stays fast (bench/README.md). Assigned rather than
# imported, because `from typing import TYPE_CHECKING` imports `typing`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, AsyncIterator, Dict, Iterator, Mapping, Optional, Type, Union

    from typing_extensions import Unpack

    from ._api import Api, AsyncApi
    from ._api_types import ApiFile, ApiPage
    from ._models import _UdfValue
    from ._options import _ClientOptions, _RequestOptions, _TokenOptions

    _Udf = Mapping[str, _UdfValue]
    # `your_app` in the official SDK's shape: {"app_id": str, "auth_credentials": {...}}.
    _YourApp = Mapping[str, Any]

__all__ = [
    "Refold",
    "AsyncRefold",
    "ScopedRefold",
    "AsyncScopedRefold",
    "Api",
    "AsyncApi",
    "ApiFile",
    "ApiPage",
    "SessionToken",
    "LinkedAccount",
    "LinkedAccountPage",
    "Integration",
    "RevokeResult",
    "CacheOptions",
    "RateLimitOptions",
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
    "AbortError",
    "WebhookEvent",
    "verify_webhook_signature",
    "parse_webhook_event",
    "__version__",
]

#: The version of the Rust core (sent in the ``user-agent``).
__version__: str = _native.VERSION

#: The generated API's names, imported on first use (the module is large).
_API_NAMES = {"Api": "_api", "AsyncApi": "_api", "ApiFile": "_api_types", "ApiPage": "_api_types"}


def __getattr__(name: str) -> object:
    module = _API_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)


def _walk(pages: _native.NativePages) -> Iterator[LinkedAccount]:
    while True:
        page = pages.next_page()
        if page is None:
            return
        yield from page


async def _walk_async(pages: _native.NativePages) -> AsyncIterator[LinkedAccount]:
    while True:
        page = await pages.next_page_async()
        if page is None:
            return
        for account in page:
            yield account


def _account(
    linked_account_id: str,
    name: Optional[str],
    udf: Optional[_Udf],
    your_app: Optional[_YourApp],
) -> Dict[str, object]:
    """The linked account payload in the official SDK's shape, for the core to read."""
    return {"linked_account_id": linked_account_id, "name": name, "udf": udf,
            "your_app": your_app}


class _Client:
    """What :class:`Refold` and :class:`AsyncRefold` share: options, properties, ``repr``."""

    __slots__ = ("_native", "__weakref__")

    def __init__(
        self, api_key: Optional[str] = None, /, **options: Unpack[_ClientOptions]
    ) -> None:
        """Builds the client; no request is sent. The options, all keyword-only, are read
        by the Rust core (docs/contract.md §Options lists them with their defaults):

        Args:
            api_key: your Refold API key (first argument, or keyword); default
                ``REFOLD_API_KEY``, then ``COBALT_API_KEY``.
            environment: ``"production"`` (default, or ``REFOLD_ENVIRONMENT``), ``"sandbox"``
                or ``"staging"``.
            base_url: overrides the environment (default ``REFOLD_BASE_URL``); ``https://``,
                or ``http://`` to a loopback host.
            timeout: per attempt (connect, headers and the whole body): seconds or a
                ``timedelta``.
            max_retries: retries of transient failures after the first attempt; 0 disables them.
            max_idle_connections: idle connections kept per host; 0 closes each after use.
            max_connections: requests in flight to the host at once; calls beyond it wait,
                within their timeout, for one to finish.
            cache: the session cache, off by default (every call mints, as the official SDK
                does). ``True`` keeps each linked account's token and reuses it while it has
                more than an hour left, refreshing it in the background; a
                :class:`CacheOptions` (or a dict of its fields) tunes it, and its ``store``
                (a :class:`StoreOptions`) shares the tokens with every process of a fleet
                through Redis.
            read_environment_variables: ``False`` ignores the ``REFOLD_*`` variables.

        Raises:
            ConfigurationError: the options are unusable, e.g. an unknown environment (no
                request is sent).
            TypeError: an option has the wrong type, or is not one of these.
        """
        given: Dict[str, object] = dict(options)
        if api_key is not None:
            given["api_key"] = api_key
        self._native = _native.NativeClient(_plain_options(given), _telemetry.bridge())

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

    def verify_webhook_signature(
        self,
        raw_body: Union[bytes, bytearray, memoryview, str],
        signature_header: Union[str, bytes, None],
    ) -> bool:
        """Whether ``signature_header`` (``x-cobalt-signature``) is the HMAC-SHA256 of the raw
        body keyed on this client's API key (:func:`verify_webhook_signature` with the
        client's key): ``False``, never an exception, for a missing or malformed header.

        Raises:
            TypeError: ``raw_body`` is not bytes or a ``str`` (e.g. the parsed JSON).
        """
        return self._native.verify_webhook_signature(raw_body, signature_header)

    def __repr__(self) -> str:
        if self._native.closed:
            return f"<{type(self).__name__} closed>"
        return f"<{type(self).__name__} endpoint={self._native.endpoint!r}>"


class Refold(_OfficialCalls, _Client):
    """Mints session tokens and manages linked accounts, blocking the calling thread (never
    the GIL).

    Takes ``api_key`` and the keyword-only options ``environment``, ``base_url``,
    ``timeout`` (seconds), ``max_retries``, ``max_idle_connections``, ``max_connections``,
    ``cache`` and ``read_environment_variables`` (see ``__init__``). Every call also takes
    ``timeout=`` and ``max_retries=`` for that call alone.

    One client holds one connection pool (and, with ``cache``, one session cache) and is
    safe to share between threads; create it once (at import or start-up) and reuse it. It
    also survives ``os.fork()`` (gunicorn ``--preload``): a child process gets its own pool,
    and an empty cache, on first use.
    """

    __slots__ = ()

    def get_token_for_linked_account(
        self, linked_account_id: str, **options: Unpack[_TokenOptions]
    ) -> SessionToken:
        """A session token for ``linked_account_id`` (the account must exist: see
        :meth:`upsert_linked_account`), retrying transient failures. With the cache on, a
        cached token with life left is returned without a request (the same object each
        time); ``fresh=True`` has Refold mint a new one (and caches it), e.g. after the front
        end got a 401. ``timeout=`` and ``max_retries=`` apply to this call alone.

        Raises:
            TypeError: ``linked_account_id`` is not a ``str``, or an option is unknown.
            RefoldError: a subclass per failure (``InvalidInputError``,
                ``InvalidLinkedAccountError`` for an unknown account, ``AuthenticationError``, …).
        """
        return self._native.token(linked_account_id, options)

    #: Alias for code written against the official Node SDK's naming.
    getTokenForLinkedAccount = get_token_for_linked_account

    def revoke_session_token(
        self, token: Union[str, SessionToken], **options: Unpack[_RequestOptions]
    ) -> RevokeResult:
        """Revokes a session token (and its refresh token) at Refold, authenticated by the
        token itself (the API key is not sent); it leaves this client's cache (and the fleet
        store) first. A token Refold refuses (expired, revoked already) raises
        ``AuthenticationError``.
        """
        if isinstance(token, SessionToken):
            token = token.token
        return self._native.revoke(token, options)

    def get_active_linked_account(
        self, token: Union[str, SessionToken], **options: Unpack[_RequestOptions]
    ) -> LinkedAccount:
        """The linked account a session token belongs to, asked with the token alone (what
        a front end holding it may read). A token Refold refuses raises
        ``AuthenticationError``.
        """
        if isinstance(token, SessionToken):
            token = token.token
        return self._native.active_account(token, options)

    def upsert_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
        **options: Unpack[_RequestOptions],
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
        return self._native.upsert(_account(linked_account_id, name, udf, your_app), options)

    def create_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
        **options: Unpack[_RequestOptions],
    ) -> LinkedAccount:
        """Creates the linked account (arguments as :meth:`upsert_linked_account`). One that
        exists already raises ``BadRequestError``. Not retried once the request may have
        reached Refold (a repeated create could fail as a duplicate).
        """
        return self._native.create(_account(linked_account_id, name, udf, your_app), options)

    def get_linked_account(
        self, linked_account_id: str, **options: Unpack[_RequestOptions]
    ) -> LinkedAccount:
        """The linked account ``linked_account_id``.

        Raises:
            NotFoundError: there is no such account.
        """
        return self._native.get(linked_account_id, options)

    def delete_linked_account(
        self, linked_account_id: str, **options: Unpack[_RequestOptions]
    ) -> Dict[str, Any]:
        """Deletes the linked account and returns Refold's answer (e.g. ``{"message": …}``).
        With the cache on, its cached token is dropped too (and its fleet-store entry), also
        when Refold had no such account; the next call for it mints and fails.

        Raises:
            NotFoundError: there is no such account.
        """
        return self._native.delete(linked_account_id, options)

    def list_linked_accounts(
        self,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        **options: Unpack[_RequestOptions],
    ) -> LinkedAccountPage:
        """One page of linked accounts in creation order: ``page`` from 1 (default 1),
        ``limit`` from 1 to 100 (default 10; else ``InvalidInputError``, nothing sent)."""
        return self._native.list({"page": page, "limit": limit}, options)

    def iter_linked_accounts(
        self, limit: Optional[int] = None, **options: Unpack[_RequestOptions]
    ) -> Iterator[LinkedAccount]:
        """Every linked account, fetching page after page (``limit`` per request) as the
        iteration goes. An error is raised by the ``next()`` that needed the page."""
        return _walk(self._native.pages({"limit": limit}, options))

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
        return self._native.cache_stats()

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


class AsyncRefold(_AsyncOfficialCalls, _Client):
    """:class:`Refold` for asyncio: ``await client.get_token_for_linked_account(id)``, and
    ``async for account in client.iter_linked_accounts()``.

    Takes the same options. Calls never block the event loop: the request runs on the
    binding's own I/O threads. Safe to share between tasks (and threads, and loops).
    """

    __slots__ = ()

    async def get_token_for_linked_account(
        self, linked_account_id: str, **options: Unpack[_TokenOptions]
    ) -> SessionToken:
        """A session token for ``linked_account_id``, retrying transient failures; from the
        cache when it is on, unless ``fresh=True`` (see :meth:`Refold.get_token_for_linked_account`).

        Raises:
            TypeError: ``linked_account_id`` is not a ``str``, or an option is unknown.
            RefoldError: a subclass per failure.
        """
        # A plain cache hit comes back as the token itself: no await, no trip through the
        # event loop.
        token = self._native.token_async(linked_account_id, options)
        if isinstance(token, SessionToken):
            return token
        return await token

    #: Alias for code written against the official Node SDK's naming.
    getTokenForLinkedAccount = get_token_for_linked_account

    async def revoke_session_token(
        self, token: Union[str, SessionToken], **options: Unpack[_RequestOptions]
    ) -> RevokeResult:
        """Revokes a session token (see :meth:`Refold.revoke_session_token`)."""
        if isinstance(token, SessionToken):
            token = token.token
        return await self._native.revoke_async(token, options)

    async def get_active_linked_account(
        self, token: Union[str, SessionToken], **options: Unpack[_RequestOptions]
    ) -> LinkedAccount:
        """The linked account a session token belongs to (see
        :meth:`Refold.get_active_linked_account`)."""
        if isinstance(token, SessionToken):
            token = token.token
        return await self._native.active_account_async(token, options)

    async def upsert_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
        **options: Unpack[_RequestOptions],
    ) -> LinkedAccount:
        """Creates or updates the linked account (see :meth:`Refold.upsert_linked_account`)."""
        account = _account(linked_account_id, name, udf, your_app)
        return await self._native.upsert_async(account, options)

    async def create_linked_account(
        self,
        linked_account_id: str,
        *,
        name: Optional[str] = None,
        udf: Optional[_Udf] = None,
        your_app: Optional[_YourApp] = None,
        **options: Unpack[_RequestOptions],
    ) -> LinkedAccount:
        """Creates the linked account (see :meth:`Refold.create_linked_account`)."""
        account = _account(linked_account_id, name, udf, your_app)
        return await self._native.create_async(account, options)

    async def get_linked_account(
        self, linked_account_id: str, **options: Unpack[_RequestOptions]
    ) -> LinkedAccount:
        """The linked account ``linked_account_id`` (``NotFoundError`` if there is none)."""
        return await self._native.get_async(linked_account_id, options)

    async def delete_linked_account(
        self, linked_account_id: str, **options: Unpack[_RequestOptions]
    ) -> Dict[str, Any]:
        """Deletes the linked account and returns Refold's answer (``NotFoundError`` if there
        is none); drops its cached token (see :meth:`Refold.delete_linked_account`)."""
        return await self._native.delete_async(linked_account_id, options)

    async def list_linked_accounts(
        self,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        **options: Unpack[_RequestOptions],
    ) -> LinkedAccountPage:
        """One page of linked accounts (see :meth:`Refold.list_linked_accounts`)."""
        return await self._native.list_async({"page": page, "limit": limit}, options)

    def iter_linked_accounts(
        self, limit: Optional[int] = None, **options: Unpack[_RequestOptions]
    ) -> AsyncIterator[LinkedAccount]:
        """Every linked account, for ``async for``, fetching page after page (``limit`` per
        request) as the iteration goes."""
        return _walk_async(self._native.pages({"limit": limit}, options))

    async def invalidate(self, linked_account_id: str) -> None:
        """Drops the cached token of ``linked_account_id``. Does nothing without a cache."""
        await self._native.invalidate_async(linked_account_id)

    async def invalidate_all(self) -> None:
        """Drops every cached token. Does nothing without a cache."""
        await self._native.invalidate_all_async()

    async def cache_stats(self) -> Optional[CacheStats]:
        """The session cache's counters, or ``None`` when the cache is off."""
        return await self._native.cache_stats_async()

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
