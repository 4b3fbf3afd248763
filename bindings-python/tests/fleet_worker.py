"""The Python worker of the fleet conformance suite (conformance/fleet/README.md, "The worker
protocol"); run by conformance/fleet/driver.py, not a pytest module (its name does not start
with ``test_``).

Reads ``{"accounts": [...], "rounds": N}`` on stdin, asks for every account N times, all
calls at once with ``asyncio.gather`` on ONE ``AsyncRefold`` whose cache and Redis store are
configured only from the environment (``REFOLD_API_KEY``, ``REFOLD_BASE_URL``,
``REFOLD_CACHE_REDIS_URL``, ``REFOLD_CACHE_ENCRYPTION_KEY``), 5-second timeout, no retries;
prints one JSON line ``{"tokens", "errors", "stats"}`` and exits 0.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Dict, List, Tuple

from refold_session import AsyncRefold, CacheOptions, RefoldError, StoreOptions


async def mint(client: AsyncRefold, account: str) -> Tuple[str, str, bool]:
    """(account, token or error code, whether it is a token)."""
    try:
        token = await client.get_token_for_linked_account(account)
        return account, token.token, True
    except RefoldError as error:
        return account, error.code, False


async def main() -> None:
    plan: Dict[str, Any] = json.loads(sys.stdin.read())
    accounts: List[str] = list(plan["accounts"])
    rounds = int(plan.get("rounds", 1))
    async with AsyncRefold(
        timeout=5, max_retries=0, cache=CacheOptions(store=StoreOptions())
    ) as client:
        results = await asyncio.gather(
            *(mint(client, account) for _ in range(rounds) for account in accounts)
        )
        stats = await client.cache_stats()
    assert stats is not None
    tokens = {account: value for account, value, ok in results if ok}
    errors = {account: value for account, value, ok in results if not ok}
    counters = stats.to_dict()
    print(
        json.dumps(
            {
                "tokens": tokens,
                "errors": errors,
                "stats": {
                    name: counters[name]
                    for name in ("hits", "misses", "coalesced", "store_hits", "store_errors")
                },
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
