"""`make demo-python`: mint session tokens from Python, sync and asyncio, against the emulator.

Run by scripts/with-emulator.sh, which sets REFOLD_BASE_URL and REFOLD_API_KEY; the client
reads them itself, as it would read the real key in production.
"""

from __future__ import annotations

import asyncio
import json

from refold_session import AsyncRefold, InvalidLinkedAccountError, Refold


def main() -> None:
    with Refold() as refold:
        print(f"== python (sync): {refold!r}")
        session = refold.get_token_for_linked_account("demo-user")
        print(f"   {session!r}")
        print(f"   to_dict(): {json.dumps(session.to_dict())}")

        print("== python: unknown linked account")
        try:
            refold.get_token_for_linked_account("no-such-user")
        except InvalidLinkedAccountError as error:
            print(f"   {type(error).__name__}: code={error.code} status={error.status} "
                  f"attempts={error.attempts} request_id={error.request_id}")
            print(f"   {error}")
        else:
            raise SystemExit("expected InvalidLinkedAccountError")

    async def mint_async() -> None:
        async with AsyncRefold() as client:
            print(f"== python (asyncio): {client!r}")
            sessions = await asyncio.gather(
                *(client.get_token_for_linked_account("demo-user") for _ in range(3))
            )
            for one in sessions:
                print(f"   {one!r}")

    asyncio.run(mint_async())


if __name__ == "__main__":
    main()
