"""The example's traces, exported when OTEL_TRACES_EXPORTER asks for it: `console` prints each
span as JSON, `otlp` sends them over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the exporter
reads the standard OTEL_EXPORTER_OTLP_* variables itself), unset or `none` exports nothing.
FastAPI's instrumentation makes a server span per request; refold-session records its calls
under it (a span per call, a CLIENT span per HTTP attempt), with nothing to configure."""

import os

from fastapi import FastAPI


def export_traces(app: FastAPI) -> None:
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name in ("", "none"):
        return
    from opentelemetry import trace
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    processor: SpanProcessor
    if exporter_name == "console":
        processor = SimpleSpanProcessor(ConsoleSpanExporter())
    elif exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    else:
        raise SystemExit(f"OTEL_TRACES_EXPORTER={exporter_name!r}: use console, otlp or none")
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over this default.
    resource = Resource.create(
        {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "refold-example-fastapi"}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app)
