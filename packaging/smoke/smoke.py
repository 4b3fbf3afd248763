"""dist-test smoke test of the installed wheel (run by the arm64 CPython under qemu): a token is
minted against the emulator (sync and asyncio), an unknown account gives the typed
InvalidLinkedAccountError, a linked account is upserted and minted for. REFOLD_API_KEY /
REFOLD_BASE_URL from scripts/with-emulator.sh. Prints one line per check and `N passed, 0 failed`."""

import asyncio
import os
import platform
import sys

import refold_session
from refold_session import AsyncRefold, InvalidLinkedAccountError, Refold

passed = 0


def ok(what: str) -> None:
    global passed
    passed += 1
    print(f"ok {passed} - {what}", flush=True)


def main() -> None:
    native = refold_session._native.__file__
    assert os.environ["DIST_EXPECT_SITE"] in native, native
    ok(f"python {platform.python_version()} {platform.machine()} imported {os.path.basename(native)}")

    refold = Refold()
    session = refold.get_token_for_linked_account("demo-user")
    assert session.token.count(".") == 2
    ok(f"minted a token for demo-user (expires {session.expires_at.isoformat()})")

    try:
        refold.get_token_for_linked_account("no-such-user")
        raise AssertionError("expected InvalidLinkedAccountError")
    except InvalidLinkedAccountError as error:
        assert error.code == "invalid_linked_account"
        ok(f"typed error: {type(error).__name__} (code {error.code}, status {error.status})")

    account = refold.upsert_linked_account("arm64-user", name="Arm User")
    assert account.account_id == "arm64-user", account
    assert refold.get_token_for_linked_account("arm64-user").token.count(".") == 2
    ok("upserted linked account arm64-user and minted its token")

    async def run_async() -> str:
        return (await AsyncRefold().get_token_for_linked_account("arm64-user")).token

    assert asyncio.run(run_async()).count(".") == 2
    ok("asyncio: minted a token for arm64-user")


try:
    main()
except BaseException:
    print(f"{passed} passed, 1 failed", flush=True)
    raise
print(f"{passed} passed, 0 failed")
sys.exit(0)
