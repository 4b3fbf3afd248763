"""schemathesis hooks for scripts/spec-test.py: how each generated request authenticates.

Operations whose description lists the API key (alone or with the session token) get it in
`x-api-key`, with the run's linked account in the `linked_account_id` header and query parameter,
as the official Node SDK sends it (the cut spec leaves those parameters out: quirk Q8; org-level
operations ignore them). The Bearer-only ones get a session
token minted for that one case, so that a revoke never leaves the next case holding a revoked
token. Operations without `security` get nothing.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import schemathesis

URL = os.environ["REFOLD_SPEC_TEST_URL"]
API_KEY = os.environ["REFOLD_SPEC_TEST_API_KEY"]
LINKED_ACCOUNT = os.environ["REFOLD_SPEC_TEST_LINKED_ACCOUNT"]
SPEC = json.loads(Path(os.environ["REFOLD_SPEC_TEST_SPEC"]).read_text(encoding="utf-8"))


def operation_ids(schemes: str) -> List[str]:
    """The operations whose `security` is exactly `schemes`: "bearer" (session token only) or
    "none"."""
    found = []
    kinds: Dict[str, str] = {
        name: ("bearer" if scheme.get("type") == "http" else "key")
        for name, scheme in SPEC["components"]["securitySchemes"].items()
    }
    for item in SPEC["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            security = op.get("security", [])
            names = {kinds[name] for requirement in security for name in requirement}
            if (schemes == "none" and not names) or (schemes == "bearer" and names == {"bearer"}):
                found.append(op["operationId"])
    return found


BEARER_ONLY = operation_ids("bearer")
PUBLIC = operation_ids("none")


def mint() -> str:
    """A fresh session token for the run's linked account."""
    request = urllib.request.Request(
        URL + "/api/v2/public/session-token",
        data=json.dumps({"linked_account_id": LINKED_ACCOUNT}).encode(),
        method="POST",
    )
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


@schemathesis.auth().skip_for(operation_id=BEARER_ONLY + PUBLIC)
class ApiKey:
    def get(self, case: Any, context: Any) -> str:
        return API_KEY

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "x-api-key": data, "linked_account_id": LINKED_ACCOUNT}
        case.query = {**(case.query or {}), "linked_account_id": LINKED_ACCOUNT}
