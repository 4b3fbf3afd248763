"""A typed use of refold_session, checked with `mypy --strict` by `make test-python`."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Dict, List, Optional, Tuple

from refold_session import (
    AsyncRefold,
    AuthenticationError,
    CacheOptions,
    CacheStats,
    InvalidLinkedAccountError,
    LinkedAccount,
    LinkedAccountPage,
    NotFoundError,
    Refold,
    RefoldError,
    RevokeResult,
    SessionToken,
    StoreOptions,
)


def mint(client: Refold, linked_account_id: str) -> Optional[SessionToken]:
    try:
        return client.get_token_for_linked_account(linked_account_id)
    except AuthenticationError as e:
        status: Optional[int] = e.status
        request_id: Optional[str] = e.request_id
        print(f"API key rejected (HTTP {status}, request {request_id})")
        return None
    except InvalidLinkedAccountError as e:
        attempts: int = e.attempts
        print(f"{e.code}: {e.message} after {attempts} attempt(s)")
        return None
    except RefoldError as e:
        retry_after: Optional[float] = e.retry_after
        print(f"{e.code}; retry after {retry_after} s")
        raise


def describe(token: SessionToken) -> Dict[str, Optional[str]]:
    expires_at: dt.datetime = token.expires_at
    issued_at: Optional[dt.datetime] = token.issued_at
    remaining: dt.timedelta = expires_at - dt.datetime.now(dt.timezone.utc)
    print(token.linked_account_id, remaining, issued_at)
    value: str = token.token
    assert value
    return token.to_dict()


async def mint_async(linked_account_id: str) -> str:
    async with AsyncRefold(environment="sandbox", timeout=10, max_retries=1) as client:
        token = await client.get_token_for_linked_account(linked_account_id)
        return token.token


def onboard(client: Refold, user_id: str) -> SessionToken:
    account: LinkedAccount = client.upsert_linked_account(
        user_id, name="Ada", udf={"plan": "pro", "seats": 3, "trial": False, "note": None}
    )
    account_id: str = account.account_id
    created: Optional[dt.datetime] = account.created_at
    whole: Dict[str, Any] = account.json
    print(account_id, created, whole, account.to_dict(), account.udf.get("plan"))
    return client.get_token_for_linked_account(account_id, fresh=True)


def sign_out(client: Refold, token: SessionToken) -> int:
    # Per-call options: this call alone gets 5 s and one retry.
    owner: LinkedAccount = client.get_active_linked_account(token, timeout=dt.timedelta(seconds=5))
    result: RevokeResult = client.revoke_session_token(token.token, max_retries=1)
    refresh: Optional[str] = token.refresh_token
    refresh_expires_at: Optional[dt.datetime] = token.refresh_expires_at
    print(owner.account_id, owner.integrations, refresh is None, refresh_expires_at, result.success)
    return result.revoked_count


def explain(error: RefoldError) -> Tuple[Optional[str], Optional[str]]:
    return error.server_code, error.http_error_type


def every_account(client: Refold) -> List[str]:
    page: LinkedAccountPage = client.list_linked_accounts(page=1, limit=50)
    next_page: Optional[int] = page.next_page
    print(page.total, next_page, [one.name for one in page])
    return [one.account_id for one in client.iter_linked_accounts(limit=100)]


def forget(client: Refold, user_id: str) -> None:
    try:
        answer: Dict[str, Any] = client.delete_linked_account(user_id)
        print(answer)
    except NotFoundError:
        pass
    client.invalidate(user_id)
    stats: Optional[CacheStats] = client.cache_stats()
    if stats is not None:
        print(stats.hits, stats.misses, stats.to_dict())
        store_hits: int = stats.store_hits
        print(store_hits, stats.store_errors)


async def every_account_async(client: AsyncRefold) -> List[LinkedAccount]:
    await client.upsert_linked_account("user-7", your_app={"app_id": "a", "auth_credentials": {"k": "v"}})
    await client.invalidate_all()
    stats = await client.cache_stats()
    print(stats)
    return [account async for account in client.iter_linked_accounts()]


def main() -> None:
    with Refold(timeout=5.0) as client:
        token = mint(client, "user-42")
        if token is not None:
            describe(token)
    with Refold(cache=True) as cached:
        token = onboard(cached, "user-42")
        describe(token)
        print(sign_out(cached, token))
        print(every_account(cached))
        forget(cached, "user-42")
    tuned = Refold(cache=CacheOptions(max_entries=1000, min_remaining=dt.timedelta(minutes=30), refresh_ahead=3600))
    tuned.close()
    Refold(cache={"max_entries": 10}).close()
    # The fleet store: every process with the same Redis and key mints once per account.
    store = StoreOptions(redis_url="redis://127.0.0.1:6379", encryption_keys=["new", "old"],
                         key_prefix="myapp:", timeout=dt.timedelta(milliseconds=250))
    keys: Tuple[str, ...] = store.encryption_keys
    print(keys == (), CacheOptions(store=store).store)
    Refold(cache=CacheOptions(store=StoreOptions(encryption_key="k"))).close()
    Refold(cache={"store": {"redis_url": "rediss://redis.internal:6380"}}).close()
    print(asyncio.run(mint_async("user-42")))
    print(asyncio.run(every_account_async(AsyncRefold(cache=True))))


if __name__ == "__main__":
    main()
