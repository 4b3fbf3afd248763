"""The options of the session cache and its fleet store, as objects (a dict of the same keys
works too). Re-exported by the package; import them from ``refold_session``. The records the
calls return (``SessionToken``, ``LinkedAccount``…) are the native module's classes."""

from __future__ import annotations

TYPE_CHECKING = False  # not imported from `typing`: see __init__.py
if TYPE_CHECKING:
    import datetime as _dt
    from typing import Any, Dict, List, Optional, Tuple, Union

    #: A value of a user-defined field (``udf``).
    _UdfValue = Union[str, int, float, bool, None]
    _Seconds = Union[int, float, "_dt.timedelta"]
    _Store = Union["StoreOptions", Dict[str, Any], None]
    # A list or tuple, not any sequence: a lone `str` is one by mistake.
    _Keys = Union[List[str], Tuple[str, ...]]

__all__ = ["CacheOptions", "StoreOptions"]


def _given(**fields: object) -> Dict[str, object]:
    """The fields that were given (not ``None``), by name."""
    return {name: value for name, value in fields.items() if value is not None}


def _plain_options(options: Dict[str, object]) -> Dict[str, object]:
    """The client options as plain values for the core: a :class:`CacheOptions` or
    :class:`StoreOptions` (at any level) becomes the dict of its given fields."""
    plain: Dict[str, object] = {}
    for name, value in options.items():
        if isinstance(value, (CacheOptions, StoreOptions)):
            value = value._as_dict()
        if isinstance(value, dict):
            value = _plain_options(value)
        plain[name] = value
    return plain


class StoreOptions:
    """The fleet store (docs/contract.md §Fleet store): a second level behind the session
    cache, on Redis, shared by every process of your fleet in any language, so that one of
    them mints each account's token and the others read it:
    ``Refold(cache=CacheOptions(store=StoreOptions(...)))``, or ``cache={"store": {...}}``.

    Every field is optional: ``StoreOptions()`` takes the Redis URL and the encryption key
    from ``REFOLD_CACHE_REDIS_URL`` and ``REFOLD_CACHE_ENCRYPTION_KEY``.

    Args:
        redis_url: ``redis://…``, ``rediss://…`` (TLS), or a cluster:
            ``redis+cluster://host1:port,host2:port`` (or node URLs separated by commas).
        encryption_key: the key tokens are encrypted with in Redis: 32 random bytes in base64
            (``openssl rand -base64 32``), the same in every process. A secret.
        encryption_keys: several keys, for rotation (instead of ``encryption_key``): the first
            encrypts, every one decrypts. Deploy ``[new, old]``, then ``[new]`` a day later.
        key_prefix: the prefix of every Redis key written (default ``"refold:"``).
        timeout: the time each Redis call may take before the client falls back to its own
            cache and a direct mint (``timedelta`` or seconds; default 0.25 s).

    Redis failing never fails a call (``CacheStats.store_errors`` counts it). The values are
    checked when the client is built (``ConfigurationError``; a wrong type is a
    ``TypeError``). ``repr()`` shows neither the Redis URL (it may hold a password) nor the
    keys.
    """

    __slots__ = ("_redis_url", "_encryption_key", "_encryption_keys", "_key_prefix", "_timeout")

    _redis_url: Optional[str]
    _encryption_key: Optional[str]
    _encryption_keys: Optional[_Keys]
    _key_prefix: Optional[str]
    _timeout: Optional[_Seconds]

    def __init__(
        self,
        *,
        redis_url: Optional[str] = None,
        encryption_key: Optional[str] = None,
        encryption_keys: Optional[_Keys] = None,
        key_prefix: Optional[str] = None,
        timeout: Optional[_Seconds] = None,
    ) -> None:
        if isinstance(encryption_keys, list):
            encryption_keys = tuple(encryption_keys)
        object.__setattr__(self, "_redis_url", redis_url)
        object.__setattr__(self, "_encryption_key", encryption_key)
        object.__setattr__(self, "_encryption_keys", encryption_keys)
        object.__setattr__(self, "_key_prefix", key_prefix)
        object.__setattr__(self, "_timeout", timeout)

    @property
    def redis_url(self) -> Optional[str]:
        return self._redis_url

    @property
    def encryption_keys(self) -> Tuple[str, ...]:
        """The keys given (``encryption_key`` or ``encryption_keys``); empty: from
        ``REFOLD_CACHE_ENCRYPTION_KEY``."""
        if self._encryption_key is not None:
            return (self._encryption_key,)
        return tuple(self._encryption_keys or ())

    @property
    def key_prefix(self) -> Optional[str]:
        return self._key_prefix

    @property
    def timeout(self) -> Optional[_Seconds]:
        return self._timeout

    def _as_dict(self) -> Dict[str, object]:
        return _given(redis_url=self._redis_url, encryption_key=self._encryption_key,
                      encryption_keys=self._encryption_keys, key_prefix=self._key_prefix,
                      timeout=self._timeout)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("StoreOptions is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StoreOptions):
            return NotImplemented
        return self._as_dict() == other._as_dict()

    def __hash__(self) -> int:
        return hash(repr(sorted(self._as_dict().items())))

    def __repr__(self) -> str:
        url = None if self._redis_url is None else "[REDACTED]"
        return (
            f"StoreOptions(redis_url={url!r}, "
            f"encryption_keys=[{len(self.encryption_keys)} redacted], "
            f"key_prefix={self._key_prefix!r}, timeout={self._timeout!r})"
        )


class CacheOptions:
    """Settings of the session cache: ``Refold(cache=CacheOptions(...))``. Every field is
    optional; ``Refold(cache=True)`` takes the defaults. A dict with the same keys works too.

    Args:
        max_entries: linked accounts kept, the least recently used evicted first (default
            10,000).
        min_remaining: a cached token is returned only with more life left than this
            (``timedelta`` or seconds; default 1 hour).
        refresh_ahead: a hit with less life left than this also refreshes the token in the
            background (``timedelta`` or seconds; default 2 hours, at least
            ``min_remaining``).
        store: the fleet store on Redis, shared by every process (a :class:`StoreOptions` or
            a dict of its fields); ``None`` (default): this process only.

    The values are checked when the client is built (``ConfigurationError``; a wrong type
    is a ``TypeError``).
    """

    __slots__ = ("_max_entries", "_min_remaining", "_refresh_ahead", "_store")

    _max_entries: Optional[int]
    _min_remaining: Optional[_Seconds]
    _refresh_ahead: Optional[_Seconds]
    _store: _Store

    def __init__(
        self,
        *,
        max_entries: Optional[int] = None,
        min_remaining: Optional[_Seconds] = None,
        refresh_ahead: Optional[_Seconds] = None,
        store: _Store = None,
    ) -> None:
        if isinstance(store, dict):
            store = StoreOptions(**store)
        object.__setattr__(self, "_max_entries", max_entries)
        object.__setattr__(self, "_min_remaining", min_remaining)
        object.__setattr__(self, "_refresh_ahead", refresh_ahead)
        object.__setattr__(self, "_store", store)

    @property
    def max_entries(self) -> Optional[int]:
        return self._max_entries

    @property
    def min_remaining(self) -> Optional[_Seconds]:
        return self._min_remaining

    @property
    def refresh_ahead(self) -> Optional[_Seconds]:
        return self._refresh_ahead

    @property
    def store(self) -> Optional[StoreOptions]:
        """The fleet store's settings (a dict given is read into a :class:`StoreOptions`)."""
        store = self._store
        return store if isinstance(store, StoreOptions) else None

    def _as_dict(self) -> Dict[str, object]:
        store = self._store
        return _given(max_entries=self._max_entries, min_remaining=self._min_remaining,
                      refresh_ahead=self._refresh_ahead,
                      store=store._as_dict() if isinstance(store, StoreOptions) else store)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CacheOptions is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CacheOptions):
            return NotImplemented
        return self._as_dict() == other._as_dict()

    def __hash__(self) -> int:
        return hash(repr(sorted(self._as_dict().items())))

    def __repr__(self) -> str:
        return (
            f"CacheOptions(max_entries={self._max_entries!r}, "
            f"min_remaining={self._min_remaining!r}, refresh_ahead={self._refresh_ahead!r}, "
            f"store={self._store!r})"
        )
