# Stubs of the PyO3 extension module (src/lib.rs). Use the public API in __init__.py.
from typing import Any, Awaitable, Dict, List, Mapping, Optional, Tuple, Union, final

__all__ = [
    "NativeClient",
    "NativePages",
    "VERSION",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_IDLE_CONNECTIONS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PAGE_LIMIT",
    "MAX_PAGE_LIMIT",
]

VERSION: str
DEFAULT_TIMEOUT: float
DEFAULT_MAX_RETRIES: int
DEFAULT_MAX_IDLE_CONNECTIONS: int
DEFAULT_MAX_CONNECTIONS: int
DEFAULT_PAGE_LIMIT: int
MAX_PAGE_LIMIT: int

# (token, linked_account_id, expires_at µs, issued_at µs or None, redacted token,
#  expires_at RFC 3339, issued_at RFC 3339 or None)
_Fields = Tuple[str, str, int, Optional[int], str, str, Optional[str]]
_UdfValue = Union[str, int, float, bool, None]
# (id, account_id, environment, name, udf, created_at µs, updated_at µs, created_at RFC 3339,
#  updated_at RFC 3339, the whole object)
_AccountFields = Tuple[
    Optional[str],
    str,
    Optional[str],
    Optional[str],
    Dict[str, _UdfValue],
    Optional[int],
    Optional[int],
    Optional[str],
    Optional[str],
    Dict[str, Any],
]
# (accounts, page, limit, total, total_pages, next_page)
_PageFields = Tuple[List[_AccountFields], int, int, int, int, Optional[int]]
# (hits, misses, coalesced, refreshes, refresh_failures, evictions, entries, store_hits,
#  store_errors)
_StatsFields = Tuple[int, int, int, int, int, int, int, int, int]
# None or a bool, or (max_entries, min_remaining s, refresh_ahead s, store), the store None or
# (redis_url, encryption_key, encryption_keys, key_prefix, timeout s)
_CacheArg = object
_Udf = Optional[Mapping[str, _UdfValue]]
_YourApp = Optional[Mapping[str, Any]]

@final
class NativeClient:
    def __new__(
        cls,
        api_key: Optional[str] = None,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Union[int, float, None] = None,
        max_retries: Optional[int] = None,
        max_idle_connections: Optional[int] = None,
        cache: _CacheArg = None,
        max_connections: Optional[int] = None,
    ) -> NativeClient: ...
    def token(self, linked_account_id: str, fresh: bool = False) -> _Fields: ...
    # The fields themselves for a plain cache hit, else an awaitable of them.
    def token_async(
        self, linked_account_id: str, fresh: bool = False
    ) -> Union[_Fields, Awaitable[_Fields]]: ...
    def upsert(
        self,
        linked_account_id: str,
        name: Optional[str] = None,
        udf: _Udf = None,
        your_app: _YourApp = None,
    ) -> _AccountFields: ...
    def upsert_async(
        self,
        linked_account_id: str,
        name: Optional[str] = None,
        udf: _Udf = None,
        your_app: _YourApp = None,
    ) -> Awaitable[_AccountFields]: ...
    def create(
        self,
        linked_account_id: str,
        name: Optional[str] = None,
        udf: _Udf = None,
        your_app: _YourApp = None,
    ) -> _AccountFields: ...
    def create_async(
        self,
        linked_account_id: str,
        name: Optional[str] = None,
        udf: _Udf = None,
        your_app: _YourApp = None,
    ) -> Awaitable[_AccountFields]: ...
    def get(self, linked_account_id: str) -> _AccountFields: ...
    def get_async(self, linked_account_id: str) -> Awaitable[_AccountFields]: ...
    def delete(self, linked_account_id: str) -> Dict[str, Any]: ...
    def delete_async(self, linked_account_id: str) -> Awaitable[Dict[str, Any]]: ...
    def list(self, page: int, limit: int) -> _PageFields: ...
    def list_async(self, page: int, limit: int) -> Awaitable[_PageFields]: ...
    def pages(self, limit: int) -> NativePages: ...
    def invalidate(self, linked_account_id: str) -> None: ...
    def invalidate_async(self, linked_account_id: str) -> Awaitable[None]: ...
    def invalidate_all(self) -> None: ...
    def invalidate_all_async(self) -> Awaitable[None]: ...
    def cache_stats(self) -> Optional[_StatsFields]: ...
    def cache_stats_async(self) -> Awaitable[Optional[_StatsFields]]: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def user_agent(self) -> str: ...

@final
class NativePages:
    def next_page(self) -> Optional[_PageFields]: ...
    def next_page_async(self) -> Awaitable[Optional[_PageFields]]: ...
