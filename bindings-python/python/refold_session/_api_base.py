"""The generic entry to Refold's whole API: ``call`` (any operation by its id), ``call_page``
(one page of a paginated list) and ``call_all`` (every item of one), on :class:`Refold`,
:class:`AsyncRefold` and the scoped clients that act for one linked account
(``client.for_linked_account(id)``, ``client.for_session_token(token)``). Each forwards to the
native ``NativeApi``; the generated ``client.api`` (``_api.py``) is built on the same calls.
Every check (the operation, its parameters, the scope, when a list ends) is the Rust core's.
"""

from __future__ import annotations

from ._native import NativeApi, SessionToken

# Imported for the type checker only, as in __init__.py: `import refold_session` stays fast.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as _dt
    from typing import (
        Any,
        AsyncIterator,
        Dict,
        Iterator,
        List,
        Mapping,
        Optional,
        Sequence,
        TypedDict,
        Union,
    )

    from ._api import Api, AsyncApi
    from ._api_types import ApiFile, ApiPage
    from ._native import NativeClient

    #: Seconds, or a ``timedelta``, as every ``timeout`` of this package.
    _Seconds = Union[int, float, _dt.timedelta]


def _options(timeout: Optional[_Seconds], max_retries: Optional[int]) -> Dict[str, object]:
    """The per-call options that were given, for the core to read."""
    options: Dict[str, object] = {}
    if timeout is not None:
        options["timeout"] = timeout
    if max_retries is not None:
        options["max_retries"] = max_retries
    return options


class _Calls:
    """Blocking calls through one ``NativeApi`` (a client's, or a scoped client's)."""

    __slots__ = ()

    def _native_api(self) -> NativeApi:
        raise NotImplementedError

    def call(
        self,
        operation_id: str,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        linked_account_id: Optional[str] = None,
        files: Optional[Sequence[ApiFile]] = None,
        *,
        timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """Calls the operation ``operation_id`` (the API description's ``operationId``, e.g.
        ``"listPersistentTables"``) and returns its JSON answer (``None`` without a body).

        Args:
            params: the operation's parameters by name (``table_id``, or ``tableId``).
            body: the JSON body (with ``files``: its form fields).
            linked_account_id: the linked account the call acts for (its header).
            files: the files of a multipart call: ``{"field", "filename", "content_type",
                "data": bytes}`` each.
            timeout: per attempt, for this call alone; max_retries: likewise.

        Raises:
            InvalidInputError: an unknown operation, a missing or wrong parameter, or one a
                scoped client may not call (nothing is sent).
            RefoldError: a subclass per failure.
        """
        return self._native_api().call(
            operation_id, params, body, linked_account_id, files, _options(timeout, max_retries)
        )

    def call_page(
        self,
        operation_id: str,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        linked_account_id: Optional[str] = None,
        *,
        timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> ApiPage:
        """One page of the paginated list ``operation_id`` (``params["page"]``, else the
        first): ``{"items": [...], "next_page": int | None, "body": ...}``."""
        page: ApiPage = self._native_api().call_page(
            operation_id, params, body, linked_account_id, _options(timeout, max_retries)
        )
        return page

    def call_all(
        self,
        operation_id: str,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        linked_account_id: Optional[str] = None,
        *,
        timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> Iterator[Any]:
        """Every item of the paginated list ``operation_id``, fetching page after page as
        the iteration goes (the core says when the list ends). An error is raised by the
        ``next()`` that needed the page."""
        return _pages(self._native_api(), operation_id, params, body, linked_account_id,
                      _options(timeout, max_retries))


class _AsyncCalls:
    """:class:`_Calls` for asyncio."""

    __slots__ = ()

    def _native_api(self) -> NativeApi:
        raise NotImplementedError

    async def call(
        self,
        operation_id: str,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        linked_account_id: Optional[str] = None,
        files: Optional[Sequence[ApiFile]] = None,
        *,
        timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """Calls the operation ``operation_id`` (see :meth:`Refold.call`)."""
        return await self._native_api().call_async(
            operation_id, params, body, linked_account_id, files, _options(timeout, max_retries)
        )

    async def call_page(
        self,
        operation_id: str,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        linked_account_id: Optional[str] = None,
        *,
        timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> ApiPage:
        """One page of the paginated list ``operation_id`` (see :meth:`Refold.call_page`)."""
        page: ApiPage = await self._native_api().call_page_async(
            operation_id, params, body, linked_account_id, _options(timeout, max_retries)
        )
        return page

    def call_all(
        self,
        operation_id: str,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        linked_account_id: Optional[str] = None,
        *,
        timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> AsyncIterator[Any]:
        """Every item of the paginated list ``operation_id``, for ``async for``."""
        return _pages_async(self._native_api(), operation_id, params, body, linked_account_id,
                            _options(timeout, max_retries))


def _pages(
    native: NativeApi,
    operation_id: str,
    params: Optional[Mapping[str, Any]],
    body: Any,
    linked_account_id: Optional[str],
    options: Dict[str, object],
) -> Iterator[Any]:
    asked: Dict[str, Any] = dict(params or {})
    while True:
        page: ApiPage = native.call_page(operation_id, asked, body, linked_account_id, options)
        yield from page["items"]
        if page["next_page"] is None:
            return
        asked["page"] = page["next_page"]


async def _pages_async(
    native: NativeApi,
    operation_id: str,
    params: Optional[Mapping[str, Any]],
    body: Any,
    linked_account_id: Optional[str],
    options: Dict[str, object],
) -> AsyncIterator[Any]:
    asked: Dict[str, Any] = dict(params or {})
    while True:
        page: ApiPage = await native.call_page_async(
            operation_id, asked, body, linked_account_id, options
        )
        for item in page["items"]:
            yield item
        if page["next_page"] is None:
            return
        asked["page"] = page["next_page"]


class ScopedRefold(_Calls):
    """A :class:`Refold` that acts for one linked account (``client.for_linked_account(id)``
    or ``client.for_session_token(token)``): the same connections and options, ``call`` and
    ``api`` as the client's, and org-level operations refused (``InvalidInputError``) before
    anything is sent. Hand it to code that must not hold the organization's power."""

    __slots__ = ("_scope",)

    def __init__(self, scope: NativeApi) -> None:
        self._scope = scope

    def _native_api(self) -> NativeApi:
        return self._scope

    @property
    def api(self) -> Api:
        """Every operation of Refold's API as a method, for this linked account."""
        from ._api import Api

        return Api(self._scope)

    @property
    def linked_account_id(self) -> Optional[str]:
        """The linked account, when the scope was made by id (not by session token)."""
        return self._scope.linked_account_id

    def __repr__(self) -> str:
        if self._scope.linked_account_id is None:
            return f"<{type(self).__name__} for a session token>"
        return f"<{type(self).__name__} linked_account_id={self._scope.linked_account_id!r}>"


class AsyncScopedRefold(_AsyncCalls):
    """:class:`ScopedRefold` for asyncio (``async_client.for_linked_account(id)``…)."""

    __slots__ = ("_scope",)

    def __init__(self, scope: NativeApi) -> None:
        self._scope = scope

    def _native_api(self) -> NativeApi:
        return self._scope

    @property
    def api(self) -> AsyncApi:
        """Every operation of Refold's API as an ``async`` method, for this linked account."""
        from ._api import AsyncApi

        return AsyncApi(self._scope)

    @property
    def linked_account_id(self) -> Optional[str]:
        """The linked account, when the scope was made by id (not by session token)."""
        return self._scope.linked_account_id

    def __repr__(self) -> str:
        if self._scope.linked_account_id is None:
            return f"<{type(self).__name__} for a session token>"
        return f"<{type(self).__name__} linked_account_id={self._scope.linked_account_id!r}>"


class _ClientCalls(_Calls):
    """What :class:`Refold` adds for the whole API: ``api``, ``call``…, and the scopes."""

    __slots__ = ()

    if TYPE_CHECKING:
        _native: NativeClient

    def _native_api(self) -> NativeApi:
        return NativeApi(self._native)

    @property
    def api(self) -> Api:
        """Every operation of Refold's API as a keyword-only method (``client.api.
        list_persistent_tables(limit=50)``), returning its JSON as dicts and lists."""
        from ._api import Api

        return Api(self._native_api())

    def for_linked_account(self, linked_account_id: str) -> ScopedRefold:
        """A client acting for ``linked_account_id`` with this client's API key (the id in
        the ``linked_account_id`` header); it refuses org-level operations, unsent."""
        return ScopedRefold(self._native_api().for_linked_account(linked_account_id))

    def for_session_token(self, token: Union[str, SessionToken]) -> ScopedRefold:
        """A client acting with a linked account's session token (as Bearer; the API key is
        never sent); it refuses the operations a session token may not call, unsent."""
        if isinstance(token, SessionToken):
            token = token.token
        return ScopedRefold(self._native_api().for_session_token(token))


class _AsyncClientCalls(_AsyncCalls):
    """What :class:`AsyncRefold` adds for the whole API."""

    __slots__ = ()

    if TYPE_CHECKING:
        _native: NativeClient

    def _native_api(self) -> NativeApi:
        return NativeApi(self._native)

    @property
    def api(self) -> AsyncApi:
        """Every operation of Refold's API as a keyword-only ``async`` method."""
        from ._api import AsyncApi

        return AsyncApi(self._native_api())

    def for_linked_account(self, linked_account_id: str) -> AsyncScopedRefold:
        """A client acting for ``linked_account_id`` (see :meth:`Refold.for_linked_account`)."""
        return AsyncScopedRefold(self._native_api().for_linked_account(linked_account_id))

    def for_session_token(self, token: Union[str, SessionToken]) -> AsyncScopedRefold:
        """A client acting with a session token (see :meth:`Refold.for_session_token`)."""
        if isinstance(token, SessionToken):
            token = token.token
        return AsyncScopedRefold(self._native_api().for_session_token(token))
