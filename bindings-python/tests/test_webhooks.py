"""Webhooks: every case of conformance/webhooks.json through the Python binding (the module
function, both clients' method, the typed event, the dedup key), and a real signed delivery
from the emulator to a listener on loopback, verified, beside a forged one refused."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Tuple

import pytest

import refold_session
from conftest import ROOT, start_emulator, stop
from refold_session import (
    AsyncRefold,
    InvalidInputError,
    Refold,
    WebhookEvent,
    parse_webhook_event,
    verify_webhook_signature,
)

CASES: Dict[str, Any] = json.loads((ROOT / "conformance" / "webhooks.json").read_text("utf-8"))
KEY: str = CASES["api_key"]


def assert_no_key(value: object) -> None:
    for shown in (repr(value), str(value)):
        assert KEY not in shown


@pytest.mark.parametrize("case", CASES["signature"], ids=lambda case: case["name"])
def test_signature(case: Dict[str, Any]) -> None:
    key = case.get("api_key", KEY)
    body = case["body"].encode()
    for raw in (case["body"], body, bytearray(body), memoryview(body)):
        assert verify_webhook_signature(raw, case["header"], key) is case["valid"]
        if case["header"] is not None:
            header = case["header"].encode()
            assert verify_webhook_signature(raw, header, key) is case["valid"]
        if "api_key" not in case:
            for client in (Refold(KEY, base_url="http://127.0.0.1:9"),
                           AsyncRefold(KEY, base_url="http://127.0.0.1:9")):
                assert client.verify_webhook_signature(raw, case["header"]) is case["valid"]
                assert_no_key(client)
                client._native.close()


@pytest.mark.parametrize("case", CASES["parse"], ids=lambda case: case["name"])
def test_parse(case: Dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(InvalidInputError) as raised:
            parse_webhook_event(case["body"].encode())
        assert raised.value.code == case["error"]
        assert_no_key(raised.value)
        return
    event = parse_webhook_event(case["body"].encode())
    assert isinstance(event, WebhookEvent)
    for member, value in case["event"].items():
        assert getattr(event, member) == value, member
    assert event.raw == json.loads(case["body"])
    assert event == parse_webhook_event(case["body"])
    with pytest.raises(AttributeError):
        event.slug = "x"  # type: ignore[misc]
    assert "WebhookEvent(" in repr(event)


@pytest.mark.parametrize("case", CASES["dedup"], ids=lambda case: case["name"])
def test_dedup(case: Dict[str, Any]) -> None:
    same = parse_webhook_event(case["first"]).dedup_key == parse_webhook_event(case["second"]).dedup_key
    assert same is case["same"]


def test_a_header_of_any_type_is_false_and_a_body_not_bytes_a_type_error() -> None:
    good = CASES["signature"][0]
    for header in (5, [good["header"]], {}, object(), "\ud800" * 64, b"\xff" * 64):
        assert verify_webhook_signature(good["body"], header, KEY) is False  # type: ignore[arg-type]
    for key in (None, 5, "", KEY.encode(), "\ud800"):
        assert verify_webhook_signature(good["body"], good["header"], key) is False  # type: ignore[arg-type]
    client = Refold(KEY, base_url="http://127.0.0.1:9")
    for body in (json.loads(good["body"]), None, 5, [1], "\ud800"):
        for call in (lambda: verify_webhook_signature(body, good["header"], KEY),  # type: ignore[arg-type]
                     lambda: parse_webhook_event(body),  # type: ignore[arg-type]
                     lambda: client.verify_webhook_signature(body, good["header"])):  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="raw bytes") as raised:
                call()
            assert_no_key(raised.value)
    client.close()


class _Receiver(BaseHTTPRequestHandler):
    received: List[Tuple[bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.received.append((body, self.headers["x-cobalt-signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_real_delivery_verifies_and_a_forged_one_does_not() -> None:
    emu = start_emulator([KEY], ["webhook-user"])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/refold"
        request = urllib.request.Request(
            f"{emu.url}/api/v2/public/webhook", method="POST",
            data=json.dumps({"webhook_url": url, "webhook_events": ["Connection Created"]}).encode(),
            headers={"x-api-key": KEY, "content-type": "application/json"})
        assert urllib.request.urlopen(request, timeout=30).status == 200
        with Refold(KEY, base_url=emu.url) as client:
            token = client.get_token_for_linked_account("webhook-user").token
            save = urllib.request.Request(
                f"{emu.url}/api/v2/app/parcel-post/save", method="POST",
                data=b'{"api_key":"k"}',
                headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
            assert urllib.request.urlopen(save, timeout=30).status == 200
            deadline = time.monotonic() + 30  # bounded, generous for a loaded machine
            while not _Receiver.received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _Receiver.received, "no delivery within 30 s"
            body, signature = _Receiver.received[0]
            assert verify_webhook_signature(body, signature, KEY)
            assert client.verify_webhook_signature(body, signature)
            event = parse_webhook_event(body)
            assert (event.event_type, event.linked_account_id, event.slug) == (
                "Connection Created", "webhook-user", "parcel-post")
            forged = body.replace(b"webhook-user", b"someone-else")
            assert not client.verify_webhook_signature(forged, signature)
            assert not verify_webhook_signature(body, signature, "sk_another_key")
            assert not client.verify_webhook_signature(json.dumps(json.loads(body), indent=1), signature)
    finally:
        server.shutdown()
        stop(emu)


def test_exported() -> None:
    for name in ("WebhookEvent", "verify_webhook_signature", "parse_webhook_event"):
        assert name in refold_session.__all__
