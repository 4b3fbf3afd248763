"""schemathesis hooks for scripts/spec-test.py: how each generated request authenticates.

Operations that take the org API key get it in `x-api-key`. The Bearer-only ones (revoke, the
active linked account) get a session token minted for that one case, so that a revoke never
leaves the next case holding a revoked token.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

import schemathesis

BEARER_ONLY = ["revokeLinkedAccountSessionToken", "getLinkedAccountBySessionToken"]
URL = os.environ["REFOLD_SPEC_TEST_URL"]
API_KEY = os.environ["REFOLD_SPEC_TEST_API_KEY"]
LINKED_ACCOUNT = os.environ["REFOLD_SPEC_TEST_LINKED_ACCOUNT"]


def mint() -> str:
    """A fresh session token for the run's linked account (upserted first: a case may have
    deleted it)."""
    for method, path, body in (
        ("PUT", "/api/v2/public/linked-account", {"linked_account_id": LINKED_ACCOUNT}),
        ("POST", "/api/v2/public/session-token", {"linked_account_id": LINKED_ACCOUNT}),
    ):
        request = urllib.request.Request(URL + path, data=json.dumps(body).encode(), method=method)
        request.add_header("content-type", "application/json")
        request.add_header("x-api-key", API_KEY)
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
    token = answer["token"]
    assert isinstance(token, str)
    return token


@schemathesis.auth(refresh_interval=None).apply_to(operation_id=BEARER_ONLY)
class SessionToken:
    def get(self, case: Any, context: Any) -> str:
        return mint()

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.auth().skip_for(operation_id=BEARER_ONLY)
class ApiKey:
    def get(self, case: Any, context: Any) -> str:
        return API_KEY

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "x-api-key": data}
