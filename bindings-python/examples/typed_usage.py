"""A typed use of refold_session, checked with `mypy --strict` by `make test-python`."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Dict, Optional

from refold_session import (
    AsyncRefold,
    AuthenticationError,
    InvalidLinkedAccountError,
    Refold,
    RefoldError,
    SessionToken,
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


def main() -> None:
    with Refold(timeout=5.0) as client:
        token = mint(client, "user-42")
        if token is not None:
            describe(token)
    print(asyncio.run(mint_async("user-42")))


if __name__ == "__main__":
    main()
