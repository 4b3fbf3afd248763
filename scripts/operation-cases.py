#!/usr/bin/env python3
"""Writes conformance/operations.json: one smoke case per operation of Refold's API, called
through each language's generic call against the emulator, from the operation table (codegen's
IR) and the documented example values (core/tests/fixtures/api-examples.json).

    scripts/operation-cases.py generate   rewrite conformance/operations.json
    scripts/operation-cases.py check      fail when it differs from a fresh generation

Each case calls its operation once with the required parameters only (a documented example
value, else a fixed placeholder), the first documented request body, and the scope its
credentials ask for. Ids the emulator makes are never known here, so an operation on an id
given by the case answers as the emulator answers for an unknown one: those outcomes are the
rows of OUTCOMES, each with the reason.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen import __main__ as codegen  # noqa: E402
from codegen import example_calls  # noqa: E402

OUT = ROOT / "conformance/operations.json"
KEY = "sk_ops_DISTINCTIVE_5a1"
ACCOUNT = "ops-acct"

# Outcomes other than ok, by reason: (error code, status, why, operation ids). Everything else
# answers ok.
UNKNOWN_ID = "names its resource by an id the case makes up, unknown to a fresh emulator"
UNKNOWN_APP = ("names an application by the description's example slug (hubspot) or a "
               "placeholder, neither of them one of the emulator's apps")
EXPECTED: list[tuple[str, int, str, list[str]]] = [
    ("not_found", 404, UNKNOWN_ID, [
        "registerSchedule", "deleteSchedule", "updateSchedule", "pauseSchedule", "resumeSchedule",
        "deleteEvent", "getEvent", "getDatarefAsTable", "clearDatarefRecords",
        "getVariableDefinition", "getVariableValue", "setVariableValue", "deleteVariableValue",
        "getExecutionById", "listExecutionNodeBatches", "rerunExecution", "stopExecution",
        "getHumanTask", "submitHumanTask", "deleteLinkedAccount", "getLinkedAccountById",
        "deleteMcpServer", "getMcpServer", "updateMcpServer",
        "deleteConfig", "getInstalledConfig", "toggleConfigWorkflow",
        "deletePersistentTable", "getPersistentTableRecords", "addRecordsToPersistentTable",
        "addPersistentTableColumns", "removePersistentTableColumns",
        "renamePersistentTableColumns", "searchPersistentTableRecords",
        "deletePersistentTableRecord", "getWorkflowRequestStructure", "listWorkflowVersions",
        "deleteWorkflow", "getWorkflowById", "getDraftWorkflow", "executeWorkflow",
        "publishWorkflow"]),
    ("not_found", 404, UNKNOWN_APP, [
        "listActions", "getActionSchema", "executeAction", "getApplicationBySlug",
        "getOAuthUrlForLinkedAccount", "saveKeyBasedAppCredentials",
        "migrateTokenForLinkedAccount"]),
    ("not_found", 404, "the documented body names its app as the template \"{slug}\"",
     ["getOrCreateConfig"]),
    ("not_found", 404, "the linked account has no config of the app (none was made for it)",
     ["updateConfig", "deleteConfigDefault", "getInstalledConfigDefault"]),
    ("not_found", 404, "the linked account has no default integration of the app",
     ["deleteDefaultAppAuthCredential", "upsertDefaultAppAuthCredential"]),
    ("server_error", 500, "Refold's page documents a 500 for an app without an auth schema "
     "(conformance/openapi/quirks.md Q11)", ["getAuthStructureForApp"]),
    ("bad_request", 400, "Refold answers an unknown webhook with 400 \"Webhook not found\"",
     ["deleteWebhook", "getWebhookById", "updateWebhook"]),
    ("bad_request", 400, "the documented webhook_url is not on loopback, where the emulator "
     "delivers webhooks", ["registerWebhook"]),
    ("bad_request", 400, "the documented body renames the event to the name createEvent's case "
     "took (the emulator checks the name first)", ["updateEvent"]),
    ("bad_request", 400, "the placeholder app is not connected for the linked account",
     ["triggerEventBySlug"]),
]
OUTCOMES: dict[str, tuple[str, int | None, str]] = {
    op: (code, status, why) for code, status, why, ops in EXPECTED for op in ops
}


def load_ir():
    args = argparse.Namespace(spec=codegen.DEFAULT_SPEC, overlay=codegen.DEFAULT_OVERLAY,
                              patches=codegen.DEFAULT_PATCHES)
    representation, _ = codegen.load(args)
    return representation


def scope_of(op) -> str:
    if op.auth == "session_token":
        return "session"
    if op.linked_account != "none":
        return "linked_account"
    return "org"


def case_for(op, bodies: dict[str, list]) -> dict:
    scope = scope_of(op)
    case: dict = {"name": f"{op.name}_smoke", "operationId": op.id, "scope": scope}
    if scope != "org":
        case["linked_account_id"] = ACCOUNT
    case["params"] = example_calls.params(op)
    body = example_calls.body(op, bodies)
    if body is not None:
        case["body"] = body
    if op.id in OUTCOMES:
        code, status, why = OUTCOMES[op.id]
        case["expect"] = {"error": code, "status": status}
        case["why"] = why
    else:
        case["expect"] = {"ok": True}
    return case


def generated() -> str:
    representation = load_ir()
    unknown = set(OUTCOMES) - {op.id for op in representation.operations}
    if unknown:
        raise SystemExit(f"operation-cases: OUTCOMES names unknown operations {sorted(unknown)}")
    bodies = example_calls.documented_bodies(ROOT)
    cases = [case_for(op, bodies) for op in representation.operations]
    document = {
        "about": "One smoke case per operation of Refold's API, written by "
                 "scripts/operation-cases.py from the operation table and the documented "
                 "examples; conformance/README.md says how a runner reads it.",
        "key": KEY,
        "cases": cases,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("generate", "check"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    fresh = generated()
    if sys.argv[1] == "generate":
        OUT.write_text(fresh)
        cases = json.loads(fresh)["cases"]
        errors = sum(1 for case in cases if "error" in case["expect"])
        print(f"operation-cases: {len(cases)} cases ({errors} expecting an error) "
              f"in {OUT.relative_to(ROOT)}")
        return 0
    current = OUT.read_text() if OUT.exists() else ""
    if fresh != current:
        print("operation-cases: conformance/operations.json differs from the operation table; "
              "run scripts/operation-cases.py generate", file=sys.stderr)
        return 1
    print("operation-cases: conformance/operations.json matches the operation table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
