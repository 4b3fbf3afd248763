#!/usr/bin/env python3
"""Writes the conformance cases that serve each documented response example of Refold's
session-token and linked-account pages (conformance/openapi/examples.json) byte for byte
through the emulator's `wire` fault, with the outcome each must give in every language.

    scripts/documented-cases.py generate   rewrite the `documented_*` cases of cases.json
    scripts/documented-cases.py check      fail when cases.json differs from a fresh generation

The outcome of each example is decided here (one row per page below); everything else about a
case comes from the example itself (status, body, Refold's codes, the fields compared).
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "conformance/openapi/examples.json"
CASES = ROOT / "conformance/cases.json"
PREFIX = "documented_"
PAGES = "v3/api-reference/"
# A JWT-shaped session token for the Bearer calls (its content is Refold's to judge).
BEARER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJsaW5rZWRfYWNjb3VudF9pZCI6InVzZXJfMTIzNDUifQ.c2ln"
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
# The error code each status gives on these pages (meaning by call + status + Refold's code is
# core's; the session token's unknown account is the one exception, below).
ERROR_CODES = {400: "bad_request", 401: "authentication", 404: "not_found"}
# Pages whose call no binding offers yet (the whole API comes with the generated operations).
NOT_YET = {"linked-accounts/delete-integration.mdx"}


def wire(status: int, body: str) -> dict:
    data = body.encode()
    return {
        "kind": "wire",
        "status_line": f"HTTP/1.1 {status} {REASONS[status]}",
        "wire_headers": [["content-type", "application/json; charset=utf-8"],
                         ["content-length", str(len(data))]],
        "body": body,
        "pause_ms": 0,
    }


def error_expect(status: int, body: dict, code: str) -> dict:
    return {
        "outcome": "error",
        "code": code,
        "status": status,
        "attempts": 1,
        "server_code": body.get("error", body.get("error_code")),
        "http_error_type": body.get("http_error_type"),
    }


def account_fields(body: dict) -> dict:
    fields = {key: body[key] for key in ("account_id", "name", "environment", "new_account")
              if key in body}
    integrations = body.get("integrations")
    fields["integrations_count"] = None if integrations is None else len(integrations)
    return fields


def case_for(page: str, index: int, example: dict) -> dict | None:
    status, label = example["status"], example["label"]
    body = json.loads(example["body"])
    slug = page.removeprefix(PAGES).removesuffix(".mdx").split("/")[-1].replace("-", "_")
    name = f"{PREFIX}{slug}_{status}" + (f"_{label.lower().replace(' ', '_')}" if label else "")
    base = {
        "name": name,
        "description": f"Refold's documented {status} answer of {page.removeprefix(PAGES)}"
                       + (f" ({label})" if label else "") + ", served byte for byte.",
        "faults": [wire(status, example["body"])],
    }
    account_page = page.removeprefix(PAGES)
    if account_page in NOT_YET:
        return None
    if account_page == "session-tokens/generate-session-token.mdx":
        case = {**base, "input": "user_12345"}
        if status == 200:
            case["expect"] = {
                "outcome": "token",
                "expires_in_about_s": body["expires_in"],
                "refresh_token_present": True,
                "refresh_expires_in_about_s": body["refresh_expires_in"],
            }
        else:
            code = ("invalid_linked_account" if body.get("error") == "INVALID_LINKED_ACCOUNT_ID"
                    else ERROR_CODES[status])
            case["expect"] = error_expect(status, body, code)
        return {**case, "requests_received": 1}
    if account_page in ("session-tokens/revoke-session-token.mdx",
                        "linked-accounts/get-active-linked-account.mdx"):
        op = "revoke" if "revoke" in account_page else "active_account"
        step: dict = {"op": op, "input": BEARER}
        if status != 200:
            step["expect_error"] = ERROR_CODES[status]
        elif op == "revoke":
            step["revoked_count"] = body["revoked_count"]
        else:
            step["account_id"] = body["account_id"]
        requires = ["revoke_session_token"] if op == "revoke" else ["get_active_linked_account"]
        return {**base, "call": "sequence", "requires": requires, "steps": [step],
                "requests_received": 1}
    call = account_page.removeprefix("linked-accounts/").split("-")[0]
    inputs = {
        "create": {"linked_account_id": "user_12345", "name": "Acme Inc."},
        "upsert": {"linked_account_id": "user_12345", "name": "Acme Inc. (renamed)"},
        "get": "user_12345",
        "delete": "user_12345",
        "list": {"page": 1, "limit": 10},
    }
    case = {**base, "call": call, "generations": ["current"], "input": inputs[call]}
    if status != 200:
        case["expect"] = error_expect(status, body, ERROR_CODES[status])
    elif call == "delete":
        case["expect"] = {"outcome": "object"}
    elif call == "list":
        case["expect"] = {
            "outcome": "page",
            "page": body["page"],
            "limit": body["limit"],
            "next_page": body["nextPage"],
            "prev_page": body["prevPage"],
            "paging_counter": body["pagingCounter"],
            "accounts_count": len(body["docs"]),
            "total_min": body["totalDocs"],
        }
    else:
        case["expect"] = {"outcome": "account", "account": account_fields(body)}
    return {**case, "requests_received": 1}


def generated(cases_text: str) -> str:
    examples = json.loads(EXAMPLES.read_text())["pages"]
    document = json.loads(cases_text)
    kept = [case for case in document["cases"] if not case["name"].startswith(PREFIX)]
    made = []
    for page in sorted(examples):
        for index, example in enumerate(examples[page]["examples"]):
            case = case_for(page, index, example)
            if case is not None:
                made.append(case)
    document["cases"] = kept + made
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("generate", "check"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    current = CASES.read_text()
    fresh = generated(current)
    if sys.argv[1] == "generate":
        CASES.write_text(fresh)
        count = fresh.count(f'"name": "{PREFIX}')
        print(f"documented-cases: {count} cases from {EXAMPLES.relative_to(ROOT)}")
        return 0
    if fresh != current:
        print("documented-cases: conformance/cases.json differs from the documented examples; "
              "run scripts/documented-cases.py generate", file=sys.stderr)
        return 1
    print("documented-cases: conformance/cases.json matches the documented examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
