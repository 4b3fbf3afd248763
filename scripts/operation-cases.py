#!/usr/bin/env python3
"""Writes conformance/operations.json: one smoke case per operation of Refold's API, called
through each language's generic call against the emulator, from the operation table (codegen's
IR) and the documented example values (core/tests/fixtures/api-examples.json).

    scripts/operation-cases.py generate   rewrite conformance/operations.json
    scripts/operation-cases.py check      fail when it differs from a fresh generation

Both also check operations.json and operation-scenarios.json against operations.schema.json.

Each case calls its operation once with the required parameters only (a documented example
value, else a fixed placeholder), the first documented request body, and the scope its
credentials ask for. FIXTURES says what a case makes first (its `setup` calls, whose answers
give the ids the emulator made) and the parameters or body that replace the documented ones
(the emulator's apps for the docs' example app, the documented resources the emulator starts
with), so that each case expects the documented success; the few that cannot are the rows of
EXPECTED, each with the reason.
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
SCENARIOS = ROOT / "conformance/operation-scenarios.json"
SCHEMA = ROOT / "conformance/operations.schema.json"
KEY = "sk_ops_DISTINCTIVE_5a1"
ACCOUNT = "ops-acct"

# Outcomes other than ok, by reason: (error code, status, why, operation ids). Everything else
# answers ok.
EXPECTED: list[tuple[str, int, str, list[str]]] = [
    ("server_error", 501, "the emulator's workflows have no batch nodes: Refold documents a 501 "
     "for the batches of such a node", ["listExecutionNodeBatches"]),
]
OUTCOMES: dict[str, tuple[str, int | None, str]] = {
    op: (code, status, why) for code, status, why, ops in EXPECTED for op in ops
}


# What a case needs made first, by operation: `setup` (calls made before the case, in its linked
# account, each answer's members named in `save` by JSON pointer) and parameters or a body that
# replace the documented ones (`${name}` stands for a value a setup call saved). Everything made
# here is made the documented way, so the case's success is one the documentation shows.
def step(op_id: str, params: dict | None = None, body=None, save: dict | None = None) -> dict:
    found: dict = {"operationId": op_id, "params": params or {}}
    if body is not None:
        found["body"] = body
    if save:
        found["save"] = save
    return found


def table(op_id: str) -> dict:
    """A table of its own for the case of `op_id` (table names are unique)."""
    return step("createPersistentTable",
                body={"table_name": f"leads_for_{op_id}",
                      "columns": [{"column_name": "email"}, {"column_name": "stage"}]},
                save={"table_id": "/table_id"})


def event(name: str, pointer: str, taken: str | None = None) -> dict:
    """createEvent of `name`, its id saved as event_id (and another's as taken_id)."""
    save = {"event_id": pointer, **({"taken_id": taken} if taken else {})}
    return step("createEvent", body={"name": name, "response": "{\"id\": \"1\"}"}, save=save)


SCORE_COLUMN = step("addPersistentTableColumns", {"table_id": "${table_id}"},
                    {"columns": ["score"]})
RECORD = step("addRecordsToPersistentTable", {"table_id": "${table_id}"},
              {"data": [{"email": "jane@example.com", "stage": "new"}]},
              save={"record_id": "/add_record_result/0/record_id"})
WORKFLOW = step("createWorkflow", body={"name": "Smoke Sync"},
                save={"workflow_id": "/workflow/_id"})
PUBLISH = step("publishWorkflow", {"workflowId": "${workflow_id}"}, {"published": True},
               save={"published_id": "/_id"})
EXECUTION = [WORKFLOW, PUBLISH,
             step("executeWorkflow", {"workflowId": "${published_id}", "slug": "my-slug"},
                  {"payload": {}}, save={"execution_id": "/execution_id"})]
MCP_SERVER = step("createMcpServer", body={"name": "Smoke Server", "description": "For the case"},
                  save={"mcp_server_id": "/_id"})
SCHEDULE = step("registerSchedule",
                {"slug": "my-slug", "workflow_id_alias": "${published_id}",
                 "config_id": "my-config-id"},
                {"trigger_type": "cron", "regex": "0 9 * * 1", "tz": "UTC"},
                save={"schedule_id": "/_id"})
WEBHOOK = step("registerWebhook", body={"webhook_url": "http://127.0.0.1:9/hooks",
                                        "webhook_events": ["Workflow Errored"]},
               save={"webhook_id": "/_id"})
# The emulator's apps stand in for the docs' example app (hubspot) and placeholders.
OAUTH_APP = "lumen-crm"
KEY_APP = "parcel-post"
CONFIG = step("getOrCreateConfig", body={"slug": OAUTH_APP},
              save={"config_id": "/config_id", "config_workflow_id": "/workflows/0/id"})
CONNECTED = step("migrateTokenForLinkedAccount",
                 body={"slug": OAUTH_APP,
                       "auth_object": {"oauth2": {"access_token": "YOUR_ACCESS_TOKEN"}}})
# Documented example resources the emulator starts with: an org-level and a linked-account-level
# variable definition, and a waiting human task.
ORG_VARIABLE = "6a159a9741e63efd0833773f"
ACCOUNT_VARIABLE = "6a1401de41e63efd08fb3e54"
HUMAN_TASK = "6a31a2f0d396207fd2510000"
VARIABLE_VALUE = step("setVariableValue",
                      body={"variable_definition_id": ACCOUNT_VARIABLE, "value": "your-value",
                            "linked_account_id": ACCOUNT},
                      save={"value_id": "/_id"})
# An account of its own: creating the account refuses the tokens minted for its id before.
DEFAULT_APP_ACCOUNT = "ops-default-app"
DEFAULT_APP = step("upsertLinkedAccount",
                   body={"account_id": DEFAULT_APP_ACCOUNT,
                         "your_app": {"app_id": "my-app-id",
                                      "auth_credentials": {"my-key": "YOUR_CREDENTIAL_VALUE"}}})
TABLE_ID = {"table_id": "${table_id}"}
WORKFLOW_ID = {"workflowId": "${workflow_id}"}
MCP_SERVER_ID = {"mcp_server_id": "${mcp_server_id}"}
FIXTURES: dict[str, dict] = {
    **{op: {"setup": [table(op)], "params": TABLE_ID} for op in [
        "deletePersistentTable", "getPersistentTableRecords", "addRecordsToPersistentTable",
        "addPersistentTableColumns", "searchPersistentTableRecords"]},
    **{op: {"setup": [table(op), SCORE_COLUMN], "params": TABLE_ID} for op in [
        "removePersistentTableColumns", "renamePersistentTableColumns"]},
    "deletePersistentTableRecord": {"setup": [table("deletePersistentTableRecord"), RECORD],
                                    "params": {**TABLE_ID, "record_id": "${record_id}"}},
    **{op: {"setup": [WORKFLOW], "params": WORKFLOW_ID} for op in [
        "getWorkflowRequestStructure", "listWorkflowVersions", "deleteWorkflow",
        "getWorkflowById", "getDraftWorkflow", "publishWorkflow"]},
    "executeWorkflow": {"setup": [WORKFLOW, PUBLISH],
                        "params": {"workflowId": "${published_id}"}},
    "getExecutionById": {"setup": EXECUTION, "params": {"execution_id": "${execution_id}"}},
    "listExecutionNodeBatches": {"setup": EXECUTION,
                                 "params": {"execution_id": "${execution_id}", "node_id": "1"}},
    **{op: {"setup": EXECUTION, "params": {"instanceId": "${execution_id}"}} for op in [
        "rerunExecution", "stopExecution"]},
    **{op: {"setup": [MCP_SERVER], "params": MCP_SERVER_ID} for op in [
        "deleteMcpServer", "getMcpServer", "updateMcpServer"]},
    **{op: {"setup": [step("upsertLinkedAccount",
                           body={"account_id": "my-linked-account-id", "name": "Smoke"})]}
       for op in ["deleteLinkedAccount", "getLinkedAccountById"]},
    "registerSchedule": {"setup": [WORKFLOW, PUBLISH],
                         "params": {"workflow_id_alias": "${published_id}"}},
    **{op: {"setup": [WORKFLOW, PUBLISH, SCHEDULE], "params": {"schedule_id": "${schedule_id}"}}
       for op in ["deleteSchedule", "updateSchedule", "pauseSchedule", "resumeSchedule"]},
    # The emulator delivers webhooks on loopback only.
    "registerWebhook": {"body": {"webhook_url": "http://127.0.0.1:9/webhooks",
                                 "webhook_events": ["Workflow Errored", "Connection Expired"],
                                 "webhook_type": "default"}},
    **{op: {"setup": [WEBHOOK], "params": {"id": "${webhook_id}"}}
       for op in ["deleteWebhook", "getWebhookById", "updateWebhook"]},
    **{op: {"params": {"slug": OAUTH_APP}} for op in [
        "listActions", "getApplicationBySlug", "getAuthStructureForApp",
        "getOAuthUrlForLinkedAccount"]},
    "getActionSchema": {"params": {"slug": OAUTH_APP, "action_id": "get_record"}},
    "executeAction": {"setup": [CONNECTED],
                      "params": {"slug": OAUTH_APP, "action_id": "get_record"},
                      "body": {"record_id": "1"}},
    "saveKeyBasedAppCredentials": {"params": {"slug": KEY_APP},
                                   "body": {"api_key": "YOUR_API_KEY"}},
    "migrateTokenForLinkedAccount": {"body": {
        "slug": OAUTH_APP,
        "auth_object": {"oauth2": {"access_token": "YOUR_ACCESS_TOKEN",
                                   "refresh_token": "YOUR_REFRESH_TOKEN"}}}},
    "getOrCreateConfig": {"body": {"slug": OAUTH_APP}},
    "updateConfig": {"setup": [CONFIG],
                     "body": {"slug": OAUTH_APP, "labels": {"env": "production"}}},
    **{op: {"setup": [CONFIG], "params": {"slug": OAUTH_APP}}
       for op in ["deleteConfigDefault", "getInstalledConfigDefault"]},
    **{op: {"setup": [CONFIG], "params": {"slug": OAUTH_APP, "configId": "${config_id}"}}
       for op in ["deleteConfig", "getInstalledConfig"]},
    "toggleConfigWorkflow": {"setup": [CONFIG],
                             "params": {"slug": OAUTH_APP, "configId": "${config_id}",
                                        "workflowId": "${config_workflow_id}"}},
    **{op: {"setup": [step("createDataref", body={"refName": f"refs_for_{op}"})],
            "params": {"refName": f"refs_for_{op}"}}
       for op in ["getDatarefAsTable", "clearDatarefRecords"]},
    # createEvent answers every event, oldest first: its case made candidate_created (event 0),
    # and each case below leaves the events as it found them but for the one it reads.
    "deleteEvent": {"setup": [event("event_to_delete", "/1/_id")],
                    "params": {"event_id": "${event_id}"}},
    "getEvent": {"setup": [event("event_to_read", "/1/_id")],
                 "params": {"event_id": "${event_id}"}},
    # The documented body renames the event to candidate_created: that one goes first.
    "updateEvent": {"setup": [event("event_to_rename", "/2/_id", taken="/0/_id"),
                              step("deleteEvent", {"event_id": "${taken_id}"})],
                    "params": {"event_id": "${event_id}"}},
    "triggerEventBySlug": {"setup": [CONNECTED], "params": {"slug": OAUTH_APP}},
    "getVariableDefinition": {"params": {"id": ORG_VARIABLE}},
    "getVariableValue": {"setup": [VARIABLE_VALUE],
                         "params": {"definition_id": ACCOUNT_VARIABLE,
                                    "linked_account_id": ACCOUNT}},
    "setVariableValue": {"body": {"variable_definition_id": ACCOUNT_VARIABLE,
                                  "value": "your-value", "linked_account_id": ACCOUNT}},
    "deleteVariableValue": {"setup": [VARIABLE_VALUE], "params": {"value_id": "${value_id}"}},
    **{op: {"params": {"id": HUMAN_TASK}} for op in ["getHumanTask", "submitHumanTask"]},
    **{op: {"setup": [DEFAULT_APP], "linked_account_id": DEFAULT_APP_ACCOUNT,
            "params": {"key": "my-key"}}
       for op in ["deleteDefaultAppAuthCredential", "upsertDefaultAppAuthCredential"]},
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


def setup_call(call: dict, op) -> dict:
    """A setup call as the runners read it: a case's members (without name and expect)."""
    found = {"operationId": op.id, "scope": scope_of(op)}
    if found["scope"] != "org":
        found["linked_account_id"] = ACCOUNT
    return {**found, **{k: v for k, v in call.items() if k != "operationId"}}


def case_for(op, bodies: dict[str, list], by_id: dict) -> dict:
    scope = scope_of(op)
    case: dict = {"name": f"{op.name}_smoke", "operationId": op.id, "scope": scope}
    fixture = FIXTURES.get(op.id, {})
    if scope != "org":
        case["linked_account_id"] = fixture.get("linked_account_id", ACCOUNT)
    if "setup" in fixture:
        case["setup"] = [setup_call(call, by_id[call["operationId"]])
                         for call in fixture["setup"]]
    case["params"] = {**example_calls.params(op), **fixture.get("params", {})}
    body = fixture.get("body", example_calls.body(op, bodies))
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
    by_id = {op.id: op for op in representation.operations}
    unknown = {call["operationId"] for fixture in FIXTURES.values()
               for call in fixture.get("setup", [])} | set(FIXTURES)
    if unknown - set(by_id):
        raise SystemExit(f"operation-cases: FIXTURES names unknown operations "
                         f"{sorted(unknown - set(by_id))}")
    cases = [case_for(op, bodies, by_id) for op in representation.operations]
    document = {
        "about": "One smoke case per operation of Refold's API, written by "
                 "scripts/operation-cases.py from the operation table and the documented "
                 "examples; conformance/README.md says how a runner reads it.",
        "key": KEY,
        "cases": cases,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def schema_problems() -> list[str]:
    """What in the operation case files does not match conformance/operations.schema.json."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    problems = []
    for path in (OUT, SCENARIOS):
        document = json.loads(path.read_text()) if path.exists() else {}
        for error in validator.iter_errors(document):
            where = "/".join(map(str, error.absolute_path))
            problems.append(f"{path.relative_to(ROOT)} at /{where}: {error.message}")
    return problems


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
    problems = schema_problems()
    if problems:
        print("operation-cases: " + "\n".join(problems), file=sys.stderr)
        return 1
    if sys.argv[1] == "generate":
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
