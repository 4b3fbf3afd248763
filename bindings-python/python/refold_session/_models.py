"""The values of refold_session besides the session token: linked accounts, their pages, and
the session cache's options and counters. Re-exported by the package; import them from
``refold_session``."""

from __future__ import annotations

TYPE_CHECKING = False  # not imported from `typing`: see __init__.py
if TYPE_CHECKING:
    import datetime as _dt
    from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

    #: A value of a user-defined field (``udf``).
    _UdfValue = Union[str, int, float, bool, None]
    # What the native module returns for an account: (id, account_id, environment, name,
    # udf, created_at and updated_at as Unix microseconds, the same as the core's RFC 3339
    # text, the whole object).
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
    # store_errors)
    _StatsFields = Tuple[int, int, int, int, int, int, int, int, int]
    _Seconds = Union[int, float, "_dt.timedelta"]
    _Store = Union["StoreOptions", Dict[str, Any], None]
    # A list or tuple, not any sequence: a lone `str` is one by mistake.
    _Keys = Union[List[str], Tuple[str, ...]]

__all__ = ["LinkedAccount", "LinkedAccountPage", "CacheOptions", "StoreOptions", "CacheStats"]


def _utc(micros: int) -> _dt.datetime:
    # `datetime` is imported on the first value that needs it rather than with the package.
    import datetime

    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return epoch + datetime.timedelta(microseconds=micros)


class LinkedAccount:
    """A linked account (one end-user of yours) as Refold returns it. Immutable.

    The typed properties cover what Refold documents; :attr:`json` is the whole object as
    received, so fields Refold adds later are not lost. ``repr()`` shows the typed fields
    only.
    """

    __slots__ = ("_fields", "_created_at", "_updated_at")

    _fields: _AccountFields
    _created_at: Optional[_dt.datetime]
    _updated_at: Optional[_dt.datetime]

    def __init__(self) -> None:
        raise TypeError(
            "LinkedAccount is returned by the linked-account calls; it is not built directly"
        )

    @classmethod
    def _from_fields(cls, fields: _AccountFields) -> LinkedAccount:
        self = object.__new__(cls)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_created_at", None if fields[5] is None else _utc(fields[5]))
        object.__setattr__(self, "_updated_at", None if fields[6] is None else _utc(fields[6]))
        return self

    @property
    def id(self) -> Optional[str]:
        """Refold's own id of the account (``_id``)."""
        return self._fields[0]

    @property
    def account_id(self) -> str:
        """Your id of the end-user: the ``linked_account_id`` tokens are minted for."""
        return self._fields[1]

    @property
    def environment(self) -> Optional[str]:
        """The Refold environment the account lives in (e.g. ``"test"``)."""
        return self._fields[2]

    @property
    def name(self) -> Optional[str]:
        """The display name."""
        return self._fields[3]

    @property
    def udf(self) -> Dict[str, _UdfValue]:
        """The user-defined fields, name → value (a new dict on each access)."""
        return dict(self._fields[4])

    @property
    def created_at(self) -> Optional[_dt.datetime]:
        """When the account was created (aware, UTC), if Refold said."""
        return self._created_at

    @property
    def updated_at(self) -> Optional[_dt.datetime]:
        """When the account last changed (aware, UTC), if Refold said."""
        return self._updated_at

    @property
    def json(self) -> Dict[str, Any]:
        """The whole object Refold returned (a new copy on each access)."""
        import copy

        return copy.deepcopy(self._fields[9])

    def to_dict(self) -> Dict[str, Any]:
        """The typed fields, JSON-ready: ``{id, account_id, environment, name, udf,
        created_at, updated_at}``, times as RFC 3339 text in UTC with whole seconds (the
        same text in every language), or ``None``."""
        fields = self._fields
        return {
            "id": fields[0],
            "account_id": fields[1],
            "environment": fields[2],
            "name": fields[3],
            "udf": dict(fields[4]),
            "created_at": fields[7],
            "updated_at": fields[8],
        }

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("LinkedAccount is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinkedAccount):
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        return hash((self.account_id, self.id))

    def __repr__(self) -> str:
        return (
            f"LinkedAccount(account_id={self.account_id!r}, name={self.name!r}, "
            f"environment={self.environment!r}, id={self.id!r}, udf={self._fields[4]!r}, "
            f"created_at={self._created_at!r}, updated_at={self._updated_at!r})"
        )

    def __reduce__(self) -> Tuple[object, Tuple[_AccountFields]]:
        return (LinkedAccount._from_fields, (self._fields,))


class LinkedAccountPage:
    """One page of :meth:`Refold.list_linked_accounts`. Immutable; iterating it (or
    ``len()``) goes over its :attr:`accounts`."""

    __slots__ = ("_fields", "_accounts")

    _fields: _PageFields
    _accounts: Tuple[LinkedAccount, ...]

    def __init__(self) -> None:
        raise TypeError(
            "LinkedAccountPage is returned by list_linked_accounts(); it is not built directly"
        )

    @classmethod
    def _from_fields(cls, fields: _PageFields) -> LinkedAccountPage:
        self = object.__new__(cls)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(
            self, "_accounts", tuple(LinkedAccount._from_fields(one) for one in fields[0])
        )
        return self

    @property
    def accounts(self) -> Tuple[LinkedAccount, ...]:
        """The accounts of this page, in creation order."""
        return self._accounts

    @property
    def page(self) -> int:
        """This page's number (from 1)."""
        return self._fields[1]

    @property
    def limit(self) -> int:
        """Accounts per page."""
        return self._fields[2]

    @property
    def total(self) -> int:
        """Accounts in all pages."""
        return self._fields[3]

    @property
    def total_pages(self) -> int:
        """Pages in all."""
        return self._fields[4]

    @property
    def next_page(self) -> Optional[int]:
        """The next page's number, or ``None`` after the last page."""
        return self._fields[5]

    def __iter__(self) -> Iterator[LinkedAccount]:
        return iter(self._accounts)

    def __len__(self) -> int:
        return len(self._accounts)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("LinkedAccountPage is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinkedAccountPage):
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        return hash((self.page, self.limit, self._accounts))

    def __repr__(self) -> str:
        return (
            f"LinkedAccountPage(page={self.page!r}, limit={self.limit!r}, "
            f"total={self.total!r}, total_pages={self.total_pages!r}, "
            f"next_page={self.next_page!r}, accounts={list(self._accounts)!r})"
        )

    def __reduce__(self) -> Tuple[object, Tuple[_PageFields]]:
        return (LinkedAccountPage._from_fields, (self._fields,))


def _seconds(value: Optional[_Seconds]) -> object:
    """A duration for the native module: numbers as given (seconds), a ``timedelta`` in
    seconds; anything else is passed on for the core to report."""
    if value is None or isinstance(value, (int, float)):
        return value
    import datetime

    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return value


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

    def _native(self) -> Tuple[object, object, object, object, object]:
        return (self._redis_url, self._encryption_key, self._encryption_keys, self._key_prefix,
                _seconds(self._timeout))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("StoreOptions is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StoreOptions):
            return NotImplemented
        return self._native() == other._native()

    def __hash__(self) -> int:
        return hash(self._native())

    def __repr__(self) -> str:
        url = None if self._redis_url is None else "[REDACTED]"
        return (
            f"StoreOptions(redis_url={url!r}, "
            f"encryption_keys=[{len(self.encryption_keys)} redacted], "
            f"key_prefix={self._key_prefix!r}, timeout={self._timeout!r})"
        )


def _store_arg(store: object) -> object:
    """``store`` for the native module: a ``StoreOptions`` or a dict as its fields; another
    type is passed on for the core to report (``TypeError``)."""
    if isinstance(store, dict):
        store = StoreOptions(**store)
    if isinstance(store, StoreOptions):
        return store._native()
    return store


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

    def _native(self) -> Tuple[object, object, object, object]:
        return (self._max_entries, _seconds(self._min_remaining), _seconds(self._refresh_ahead),
                _store_arg(self._store))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CacheOptions is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CacheOptions):
            return NotImplemented
        return self._native() == other._native()

    def __hash__(self) -> int:
        return hash(self._native())

    def __repr__(self) -> str:
        return (
            f"CacheOptions(max_entries={self._max_entries!r}, "
            f"min_remaining={self._min_remaining!r}, refresh_ahead={self._refresh_ahead!r}, "
            f"store={self._store!r})"
        )


class CacheStats:
    """The session cache's counters since the client was built (:meth:`Refold.cache_stats`);
    ``entries`` is the number of linked accounts cached now. Immutable."""

    __slots__ = ("_fields",)

    _fields: _StatsFields

    def __init__(self) -> None:
        raise TypeError("CacheStats is returned by cache_stats(); it is not built directly")

    @classmethod
    def _from_fields(cls, fields: _StatsFields) -> CacheStats:
        self = object.__new__(cls)
        object.__setattr__(self, "_fields", fields)
        return self

    @property
    def hits(self) -> int:
        """Calls answered from the cache without a request."""
        return self._fields[0]

    @property
    def misses(self) -> int:
        """Calls that started a mint (no usable token cached, or ``fresh=True``)."""
        return self._fields[1]

    @property
    def coalesced(self) -> int:
        """Calls that waited for a mint another call had started."""
        return self._fields[2]

    @property
    def refreshes(self) -> int:
        """Background refreshes that stored a new token."""
        return self._fields[3]

    @property
    def refresh_failures(self) -> int:
        """Background refreshes that failed."""
        return self._fields[4]

    @property
    def evictions(self) -> int:
        """Tokens dropped because the cache was full or their time was up."""
        return self._fields[5]

    @property
    def entries(self) -> int:
        """Linked accounts cached now."""
        return self._fields[6]

    @property
    def store_hits(self) -> int:
        """Tokens found in the fleet store (minted by another process, or by this one
        earlier); 0 without a store."""
        return self._fields[7]

    @property
    def store_errors(self) -> int:
        """Fleet-store calls that failed or took too long (each fell back to a direct mint);
        0 without a store."""
        return self._fields[8]

    def to_dict(self) -> Dict[str, int]:
        """The counters by name."""
        names = ("hits", "misses", "coalesced", "refreshes", "refresh_failures", "evictions",
                 "entries", "store_hits", "store_errors")
        return dict(zip(names, self._fields))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CacheStats is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CacheStats):
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        return hash(self._fields)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value}" for name, value in self.to_dict().items())
        return f"CacheStats({shown})"

    def __reduce__(self) -> Tuple[object, Tuple[_StatsFields]]:
        return (CacheStats._from_fields, (self._fields,))
