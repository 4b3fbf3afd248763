"""The OpenTelemetry bridge against the emulator, with the SDK's in-memory span exporter and
metric reader registered as the process's providers (as an application would): the call span
under the test's own span, a CLIENT span per attempt (two for a retried call, none for a
cache hit), the attributes, the metrics, the `traceparent` the emulator saw, `telemetry=False`,
and no secret in any attribute or log line; sync, asyncio, the generated API, `call`,
`call_page` and scoped clients. The process without the SDK, and without the API, runs in a
fresh interpreter."""

from __future__ import annotations

import asyncio
import logging
import textwrap
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from refold_session import AsyncRefold, NotFoundError, Refold, ServerError, __version__

from conftest import API_KEY, Emulator, run_python

TOKEN_ROUTE = "POST /api/v2/public/session-token"
_EXPORTER = InMemorySpanExporter()
_READER = InMemoryMetricReader()


@pytest.fixture(scope="module")
def providers() -> Iterator[None]:
    """The SDK registered once for the process (OpenTelemetry allows one provider each)."""
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        pytest.fail("another test registered a tracer provider first")
    yield
    # Later tests keep the providers (they cannot be unset) but export nothing.
    _EXPORTER.shutdown()


@pytest.fixture
def spans(providers: None) -> InMemorySpanExporter:
    _EXPORTER.clear()
    return _EXPORTER


def ours(exporter: InMemorySpanExporter) -> List[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope and
            s.instrumentation_scope.name == "refold-session"]


def named(found: Sequence[ReadableSpan], name: str) -> List[ReadableSpan]:
    return [s for s in found if s.name == name]


def children(found: Sequence[ReadableSpan], parent: ReadableSpan) -> List[ReadableSpan]:
    assert parent.context is not None
    return [s for s in found if s.parent is not None and s.parent.span_id == parent.context.span_id]


def traceparents(emu: Emulator) -> List[Optional[str]]:
    return [r["headers"].get("traceparent") for r in emu.requests()["requests"]]


def test_a_call_is_a_child_of_the_current_span_with_one_client_span_per_attempt(
    emu: Emulator, spans: InMemorySpanExporter
) -> None:
    client = Refold(API_KEY, base_url=emu.url, cache=True)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("request") as request:
        token = client.get_token_for_linked_account("acct-1")
        again = client.get_token_for_linked_account("acct-1")
    assert again is token
    found = ours(spans)
    test_span = request.get_span_context()
    calls = named(found, "refold.get_token_for_linked_account")
    assert len(calls) == 2
    miss, hit = sorted(calls, key=lambda s: s.start_time or 0)
    for call in (miss, hit):
        assert call.kind == SpanKind.INTERNAL
        assert call.parent is not None and call.parent.span_id == test_span.span_id
        assert call.context is not None and call.context.trace_id == test_span.trace_id
        assert call.instrumentation_scope is not None
        assert call.instrumentation_scope.version == __version__
        assert call.status.status_code == StatusCode.UNSET
    assert miss.attributes == {"refold.cache.outcome": "miss"}
    assert hit.attributes == {"refold.cache.outcome": "hit"}
    # The miss made one request; the hit none.
    attempt, = children(found, miss)
    assert children(found, hit) == []
    assert attempt.name == TOKEN_ROUTE and attempt.kind == SpanKind.CLIENT
    host, port = emu.url.split("//")[1].split(":")
    attributes = dict(attempt.attributes or {})
    # The time it waited in the request budget (when it did): seconds.
    assert float(attributes.pop("refold.budget_wait", 0.0)) < 5
    assert attributes == {
        "http.request.method": "POST",
        "server.address": host,
        "server.port": int(port),
        "url.template": "/api/v2/public/session-token",
        "http.response.status_code": 200,
    }
    assert miss.start_time is not None and miss.end_time is not None
    assert attempt.start_time is not None and attempt.end_time is not None
    assert miss.start_time <= attempt.start_time <= attempt.end_time <= miss.end_time
    # Refold (the emulator) saw the test's trace, from the call span's parent.
    sent, = traceparents(emu)
    flags = int(test_span.trace_flags)
    assert sent == f"00-{test_span.trace_id:032x}-{test_span.span_id:016x}-{flags:02x}"


def test_a_retried_call_has_two_client_spans_under_one_call_span(
    emu: Emulator, spans: InMemorySpanExporter
) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "1"}}])
    with trace.get_tracer("test").start_as_current_span("request"):
        client.get_linked_account("acct-1")
    found = ours(spans)
    call, = named(found, "refold.get_linked_account")
    first, second = sorted(children(found, call), key=lambda s: s.start_time or 0)
    route = "/api/v2/public/linked-account/{linked_account_id}"
    assert first.name == second.name == f"GET {route}"
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "server_error"
    assert first.status.status_code == StatusCode.ERROR
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["http.request.resend_count"] == 1
    assert "error.type" not in second.attributes
    assert second.attributes["url.template"] == route
    assert call.status.status_code == StatusCode.UNSET
    assert len(traceparents(emu)) == 2 and len(set(traceparents(emu))) == 1


def test_a_failed_call_carries_our_error_code(emu: Emulator, spans: InMemorySpanExporter) -> None:
    client = Refold(API_KEY, base_url=emu.url, max_retries=0)
    emu.faults([{"kind": "status", "status": 503}])
    with pytest.raises(ServerError):
        client.get_token_for_linked_account("acct-1")
    call, = named(ours(spans), "refold.get_token_for_linked_account")
    assert call.status.status_code == StatusCode.ERROR
    assert call.attributes is not None and call.attributes["error.type"] == "server_error"
    # Made outside any span: a root, and no traceparent was sent.
    assert call.parent is None
    assert traceparents(emu) == [None]


def test_a_given_traceparent_wins_over_the_current_span(
    emu: Emulator, spans: InMemorySpanExporter
) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with trace.get_tracer("test").start_as_current_span("request"):
        client.get_linked_account("acct-1", traceparent=given)
    call, = named(ours(spans), "refold.get_linked_account")
    assert call.parent is not None
    assert (call.parent.trace_id, call.parent.span_id) == (
        0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7)
    assert traceparents(emu) == [given]


def test_async_calls_the_generated_api_call_page_and_scoped_clients(
    emu: Emulator, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("test")

    async def run() -> Tuple[int, int]:
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=True) as client:
            with tracer.start_as_current_span("async request") as request:
                await client.get_token_for_linked_account("acct-1")
                await client.get_token_for_linked_account("acct-1")  # a hit
                await client.api.list_webhooks()
                await client.call_page("listPersistentTables", linked_account_id="acct-1")
                await client.for_linked_account("acct-1").call("listPersistentTables")
                # Concurrent calls each find their own parent.
                with tracer.start_as_current_span("inner") as inner:
                    await asyncio.gather(*(client.api.list_webhooks() for _ in range(3)))
            return request.get_span_context().span_id, inner.get_span_context().span_id

    outer, inner = asyncio.run(run())
    # The same from the blocking client's generated API.
    sync = Refold(API_KEY, base_url=emu.url)
    with tracer.start_as_current_span("sync request") as request:
        sync.api.list_webhooks()
        sync.for_linked_account("acct-1").api.list_persistent_tables()
    found = ours(spans)
    token_calls = named(found, "refold.get_token_for_linked_account")
    assert sorted(str((s.attributes or {})["refold.cache.outcome"]) for s in token_calls) == [
        "hit", "miss"]
    webhook_calls = named(found, "refold.list_webhooks")
    table_calls = named(found, "refold.list_persistent_tables")
    assert len(webhook_calls) == 1 + 3 + 1 and len(table_calls) == 2 + 1
    by_parent: Dict[int, int] = {}
    for call in webhook_calls + table_calls:
        assert call.parent is not None
        by_parent[call.parent.span_id] = by_parent.get(call.parent.span_id, 0) + 1
        attempt, = children(found, call)
        assert attempt.name in ("GET /api/v2/public/webhook", "GET /api/v2/public/tables")
    assert by_parent == {outer: 3, inner: 3, request.get_span_context().span_id: 2}
    for call in token_calls:
        assert call.parent is not None and call.parent.span_id == outer
    assert all(sent is not None for sent in traceparents(emu))


def test_metrics_count_the_cache_and_time_each_attempt(
    emu: Emulator, spans: InMemorySpanExporter
) -> None:
    before = points()
    client = Refold(API_KEY, base_url=emu.url, cache=True)
    client.get_token_for_linked_account("acct-1")
    client.get_token_for_linked_account("acct-1")
    client.get_token_for_linked_account("acct-1")
    after = points()
    assert count(after, "refold.session_cache.misses") - count(before, "refold.session_cache.misses") == 1
    assert count(after, "refold.session_cache.hits") - count(before, "refold.session_cache.hits") == 2
    durations = [p for name, p in after if name == "http.client.request.duration"]
    token_points = [p for p in durations if p.attributes.get("url.template") ==
                    "/api/v2/public/session-token" and p.attributes.get("http.response.status_code") == 200]
    assert token_points and token_points[0].count >= 1 and token_points[0].sum > 0
    assert set(token_points[0].attributes) == {
        "http.request.method", "server.address", "server.port", "url.template",
        "http.response.status_code"}


def points() -> List[Tuple[str, Any]]:
    data = _READER.get_metrics_data()
    found: List[Tuple[str, Any]] = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            if scope.scope.name != "refold-session":
                continue
            for metric in scope.metrics:
                if metric.name == "http.client.request.duration":
                    assert metric.unit == "s"
                found += [(metric.name, point) for point in metric.data.data_points]
    return found


def count(found: List[Tuple[str, Any]], name: str) -> int:
    return sum(int(point.value) for found_name, point in found if found_name == name)


def test_telemetry_false_records_nothing_and_sends_no_traceparent(
    emu: Emulator, spans: InMemorySpanExporter
) -> None:
    client = Refold(API_KEY, base_url=emu.url, telemetry=False)
    with trace.get_tracer("test").start_as_current_span("request"):
        client.get_linked_account("acct-1")
    assert ours(spans) == []
    assert traceparents(emu) == [None]


def test_the_linked_account_only_when_asked(emu: Emulator, spans: InMemorySpanExporter) -> None:
    Refold(API_KEY, base_url=emu.url).get_linked_account("acct-1")
    Refold(API_KEY, base_url=emu.url, telemetry_linked_account_id=True).get_linked_account("acct-1")
    first, second = sorted(named(ours(spans), "refold.get_linked_account"),
                           key=lambda s: s.start_time or 0)
    assert "refold.linked_account_id" not in (first.attributes or {})
    assert (second.attributes or {})["refold.linked_account_id"] == "acct-1"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


def test_no_secret_in_any_attribute_or_log_line(emu: Emulator, spans: InMemorySpanExporter) -> None:
    logger = logging.getLogger("refold_session")
    handler = Lines()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        client = Refold(API_KEY, base_url=emu.url, cache=True, telemetry_linked_account_id=True)
        emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "1"},
                     "body": {"message": f"echo {API_KEY}"}}])
        tokens = [client.get_token_for_linked_account("acct-1")]
        tokens.append(client.get_token_for_linked_account("acct-1", fresh=True))
        tokens.append(client.get_token_for_linked_account("acct-1"))
        scoped = client.for_session_token(tokens[-1])
        scoped.api.get_active_linked_account()
        client.get_active_linked_account(tokens[-1])
        client.revoke_session_token(tokens[0])
        with pytest.raises(NotFoundError):
            client.get_linked_account("no-such-account")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    secrets = {API_KEY} | {t.token for t in tokens} | {t.refresh_token for t in tokens if t.refresh_token}
    texts = list(handler.lines)
    for span in ours(spans):
        texts.append(span.name)
        texts += [f"{key}={value}" for key, value in (span.attributes or {}).items()]
        texts += [str(event.attributes) for event in span.events]
        texts.append(str(span.status.description))
    for name, point in points():
        texts.append(f"{name} {dict(point.attributes)}")
    assert len(ours(spans)) >= 7 and any("retrying" in line for line in handler.lines)
    for text in texts:
        for secret in secrets:
            assert secret not in text, text


def test_without_the_sdk_nothing_is_handed_over_and_without_the_api_no_hook(emu: Emulator) -> None:
    # A fresh interpreter: the API installed, no provider registered.
    code = textwrap.dedent(f"""
        from opentelemetry import trace
        from refold_session import Refold, _telemetry
        client = Refold({API_KEY!r}, base_url={emu.url!r})
        bridge = _telemetry.bridge()
        assert bridge is not None
        assert bridge.begin() == (None, False)
        client.get_linked_account("acct-1")
        assert bridge._instruments is None  # nothing recorded
        print("ok")
    """)
    done = run_python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    # The API not importable: no bridge, the client as before.
    code = textwrap.dedent(f"""
        import sys
        sys.modules["opentelemetry"] = None  # import opentelemetry raises ImportError
        from refold_session import Refold, _telemetry
        client = Refold({API_KEY!r}, base_url={emu.url!r})
        assert _telemetry.bridge() is None
        client.get_linked_account("acct-1")
        assert not any(name.startswith("opentelemetry.") for name in sys.modules)
        print("ok")
    """)
    done = run_python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert traceparents(emu) == [None, None]


def test_a_background_refresh_is_recorded_without_a_caller(
    emu: Emulator, spans: InMemorySpanExporter
) -> None:
    # A hit with less than refresh_ahead left (tokens live 90 minutes) starts a refresh.
    emu.config({"token_ttl_s": 90 * 60})
    client = Refold(API_KEY, base_url=emu.url, cache={"refresh_ahead": 2 * 3600})
    with trace.get_tracer("test").start_as_current_span("request"):
        client.get_token_for_linked_account("acct-1")
        client.get_token_for_linked_account("acct-1")
    deadline = time.monotonic() + 20
    refreshes: List[ReadableSpan] = []
    while not refreshes and time.monotonic() < deadline:
        time.sleep(0.02)
        refreshes = [s for s in named(ours(spans), "refold.get_token_for_linked_account")
                     if (s.attributes or {}).get("refold.cache.outcome") == "refresh"]
    refresh, = refreshes
    attempt, = children(ours(spans), refresh)
    assert attempt.name == TOKEN_ROUTE
