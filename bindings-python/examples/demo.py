"""`make demo-python`: the server-side flow from Python against the emulator: create the
linked account, mint its session token (with the cache on, the second call is a hit), list
the accounts, revoke a token, delete the account, and the typed error of the next mint; then
asyncio.

Run by scripts/with-emulator.sh, which sets REFOLD_BASE_URL and REFOLD_API_KEY; the client
reads them itself, as it would read the real key in production.
"""

from __future__ import annotations

import asyncio
import json

from refold_session import AsyncRefold, InvalidLinkedAccountError, Refold

USER = "demo-python-user"


def main() -> None:
    with Refold(cache=True) as refold:
        print(f"== python (sync, cache on): {refold!r}")

        account = refold.upsert_linked_account(USER, name="Ada Lovelace", udf={"plan": "pro"})
        print(f"1. upsert_linked_account({USER!r}) → {account!r}")

        session = refold.get_token_for_linked_account(USER)
        print(f"2. get_token_for_linked_account({USER!r}) → {session!r}")
        print(f"   to_dict(): {json.dumps(session.to_dict())}")
        again = refold.get_token_for_linked_account(USER)
        print(f"   again → the same token: {again == session}; {refold.cache_stats()!r}")
        owner = refold.get_active_linked_account(session)
        print(f"   get_active_linked_account(token) → {owner.account_id!r}")
        print(f"   revoke_session_token(token) → {refold.revoke_session_token(session)!r}")
        renewed = refold.get_token_for_linked_account(USER)
        print(f"   after the revocation, a new token: {renewed != session}")

        names = [one.account_id for one in refold.iter_linked_accounts(limit=2)]
        print(f"3. iter_linked_accounts(limit=2) → {names}")

        # Also drops the account's cached token: the next call mints, and fails.
        print(f"4. delete_linked_account({USER!r}) → {refold.delete_linked_account(USER)}")
        try:
            refold.get_token_for_linked_account(USER)
        except InvalidLinkedAccountError as error:
            print(f"5. the next mint → {type(error).__name__}: code={error.code} "
                  f"status={error.status} attempts={error.attempts} request_id={error.request_id} "
                  f"server_code={error.server_code}")
            print(f"   {error}")
        else:
            raise SystemExit("expected InvalidLinkedAccountError")

    async def run_async() -> None:
        async with AsyncRefold(cache=True) as client:
            print(f"== python (asyncio, cache on): {client!r}")
            await client.upsert_linked_account(USER)
            sessions = await asyncio.gather(
                *(client.get_token_for_linked_account(USER) for _ in range(3))
            )
            print(f"   3 concurrent calls, {len({one.token for one in sessions})} token: "
                  f"{sessions[0]!r}")
            print(f"   {await client.cache_stats()!r}")
            names = [one.account_id async for one in client.iter_linked_accounts()]
            print(f"   async for … iter_linked_accounts() → {names}")
            await client.delete_linked_account(USER)

    asyncio.run(run_async())


if __name__ == "__main__":
    main()
