"""One request's trace in Python: an application span (what a web framework's instrumentation
would make), a minted token whose first attempt fails once and is retried, then a cache hit; the
spans refold-session recorded through the application's own OpenTelemetry SDK, printed as a tree.
Run it against the emulator (`make demo-traces`, or under scripts/with-emulator.sh)."""

import asyncio
import json
import os
import urllib.request
from typing import Any, List, Optional

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from refold_session import AsyncRefold

BASE_URL = os.environ["REFOLD_BASE_URL"]
# What the tree shows of each span besides its name and kind.
SHOWN = ["refold.cache.outcome", "http.response.status_code", "error.type",
         "http.request.resend_count"]


def emulator(method: str, route: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE_URL}/__emulator/{route}", data=data, method=method,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


async def main() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    emulator("POST", "reset")
    # Refold answers the first attempt with a 503: the call retries.
    emulator("POST", "faults", [{"kind": "status", "status": 503}])

    client = AsyncRefold(os.environ["REFOLD_API_KEY"], base_url=BASE_URL, cache=True)
    with trace.get_tracer("example").start_as_current_span("GET /session",
                                                         kind=SpanKind.SERVER) as request:
        await client.get_token_for_linked_account("trace-tree-user")
        await client.get_token_for_linked_account("trace-tree-user")

    spans = exporter.get_finished_spans()

    def children(parent: Optional[int]) -> List[ReadableSpan]:
        found = [s for s in spans if s.parent is not None and s.parent.span_id == parent]
        return sorted(found, key=lambda s: s.start_time or 0)

    def show(span: ReadableSpan, depth: int) -> None:
        attributes = span.attributes or {}
        shown = [key + "=" + str(attributes[key]) for key in SHOWN if key in attributes]
        ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        print("  " * depth + "  ".join([span.name, span.kind.name, *shown, f"({ms:.1f} ms)"]))
        for child in children(span.context.span_id if span.context else None):
            show(child, depth + 1)

    context = request.get_span_context()
    print(f"Python (opentelemetry-sdk): trace {context.trace_id:032x}")
    root = next(s for s in spans if s.context and s.context.span_id == context.span_id)
    show(root, 1)
    sent = [r["headers"].get("traceparent") for r in emulator("GET", "requests")["requests"]]
    for traceparent in dict.fromkeys(sent):
        span_id = int(traceparent.split("-")[2], 16) if traceparent else None
        name = next((s.name for s in spans if s.context and s.context.span_id == span_id), None)
        print(f"  the emulator saw traceparent {traceparent} on {sent.count(traceparent)}"
              f' request(s): span "{name}"')


asyncio.run(main())
