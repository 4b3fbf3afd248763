"""The host's side of the telemetry bridge (docs/contract.md §18): each call's trace plan,
decided by core and handed over by the native module (``src/telemetry.rs``), is replayed as
spans and metrics of the application's own OpenTelemetry (its tracer and meter providers, sampler and exporters), and
each call carries the ``traceparent`` of the span current when it began.

Only when the ``opentelemetry`` API is importable (the extra ``refold-session[otel]``); it is
imported on the first client built, never by ``import refold_session``. Attributes hold codes,
routes (templates), addresses and times: never the API key, a token, a body or a raw path.
"""

from __future__ import annotations

from . import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple, Union

    _Attributes = Dict[str, Union[str, int, float]]
    #: (name, kind, parent index, start_ns, end_ns, error, attributes)
    _Span = Tuple[str, str, Optional[int], int, int, bool, _Attributes]
    #: (instrument index, value, attributes)
    _Point = Tuple[int, float, _Attributes]
    #: (parent traceparent, spans, points): core's plan of one call's trace.
    _Plan = Tuple[Optional[str], List[_Span], List[_Point]]


class Bridge:
    """What the native hook calls: :meth:`begin` at each call's start (on the caller's
    thread), :meth:`record` with each finished call's trace."""

    __slots__ = (
        "_trace", "_metrics", "_context", "_quiet_tracers", "_quiet_meters", "_empty",
        "_instruments", "_tracer_provider", "_meter_provider", "_registered", "_kinds",
    )

    def __init__(self, trace: Any, metrics: Any, context: Any, metrics_internal: Any):
        self._trace = trace
        self._metrics = metrics
        self._context = context
        self._quiet_tracers = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
        quiet_meters: Tuple[type, ...] = (metrics.NoOpMeterProvider,)
        # The API's stand-in until a meter provider is registered (not public).
        proxy = getattr(metrics_internal, "_ProxyMeterProvider", None)
        if isinstance(proxy, type):
            quiet_meters += (proxy,)
        self._quiet_meters = quiet_meters
        # Once, so that providers named by OTEL_PYTHON_*_PROVIDER are loaded now.
        trace.get_tracer_provider()
        metrics.get_meter_provider()
        # The registered providers as the API keeps them (None until one is): the public
        # getters read os.environ on every call until then, a few microseconds per call.
        self._tracer_provider: Any = trace.get_tracer_provider
        if hasattr(trace, "_TRACER_PROVIDER"):
            self._tracer_provider = lambda: trace._TRACER_PROVIDER
        self._meter_provider: Any = metrics.get_meter_provider
        if hasattr(metrics_internal, "_METER_PROVIDER"):
            self._meter_provider = lambda: metrics_internal._METER_PROVIDER
        # Providers cannot be replaced once registered: true stays true.
        self._registered = False
        # The context of a call made outside any span: its span is a root, whatever is
        # current when its trace is recorded.
        self._empty = context.Context()
        self._instruments: Optional[Tuple[Any, List[Any]]] = None
        # Looked up once: record() runs per call.
        self._kinds = {"client": trace.SpanKind.CLIENT, "internal": trace.SpanKind.INTERNAL}

    def begin(self) -> Tuple[Optional[str], bool]:
        """The W3C ``traceparent`` of the current span (``None`` without a valid one), and
        whether a tracer or meter provider is registered (no SDK: no trace is handed over)."""
        span = self._trace.get_current_span().get_span_context()
        traceparent = None
        if span.is_valid:
            traceparent = f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"
        if not self._registered:
            tracer_provider = self._tracer_provider()
            meter_provider = self._meter_provider()
            self._registered = (
                tracer_provider is not None
                and not isinstance(tracer_provider, self._quiet_tracers)
            ) or (
                meter_provider is not None
                and not isinstance(meter_provider, self._quiet_meters)
            )
        return traceparent, self._registered

    def record(self, plan: _Plan) -> None:
        """Replays core's plan of one call: its spans (with the times core measured, under the
        span the call was made in) and its metric points."""
        parent, spans, points = plan
        tracer, instruments = self._tools()
        start_span = tracer.start_span
        empty = self._empty
        root = empty if parent is None else self._parent(parent)
        kinds = self._kinds
        internal = kinds["internal"]
        made: List[Any] = []
        contexts: Dict[int, Any] = {}
        for name, kind, under, start, _, error, attributes in spans:
            if under is None:
                context = root
            else:
                context = contexts.get(under)
                if context is None:
                    context = contexts[under] = self._trace.set_span_in_context(made[under], empty)
            span = start_span(
                name,
                context=context,
                kind=kinds.get(kind, internal),
                attributes=attributes,
                start_time=start,
            )
            if error:
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))
            made.append(span)
        # Children end before their parents, as they did.
        for index in range(len(made) - 1, -1, -1):
            made[index].end(end_time=spans[index][4])
        for index, value, attributes in points:
            instruments[index](value, attributes)

    def _parent(self, parent: Optional[str]) -> Any:
        """The context of the span a call was made in (its ``traceparent``), else none."""
        if parent is None:
            return self._empty
        trace = self._trace
        _, trace_id, span_id, flags = parent.split("-")
        span_context = trace.SpanContext(
            int(trace_id, 16),
            int(span_id, 16),
            is_remote=False,
            trace_flags=trace.TraceFlags(int(flags, 16)),
        )
        return trace.set_span_in_context(trace.NonRecordingSpan(span_context), self._empty)

    def _tools(self) -> Tuple[Any, List[Any]]:
        """Our tracer and, per instrument core declares, the function that adds a point to it;
        made on the first trace (a provider is registered by then; the API's proxies follow one
        registered later)."""
        if self._instruments is None:
            scope, version, declared = _native.TELEMETRY
            tracer = self._trace.get_tracer(scope, version)
            meter = self._metrics.get_meter(scope, version)
            instruments: List[Any] = []
            for name, kind, unit, description, buckets in declared:
                if kind == "histogram":
                    instruments.append(_histogram(meter, name, unit, description, buckets).record)
                else:
                    counter = meter.create_counter(name, unit=unit, description=description)
                    instruments.append(_whole(counter.add))
            self._instruments = (tracer, instruments)
        return self._instruments


def _whole(add: Any) -> Any:
    """A counter's ``add`` taking core's values (whole numbers as floats) as integers."""
    return lambda value, attributes: add(int(value), attributes)


def _histogram(meter: Any, name: str, unit: str, description: str, buckets: List[float]) -> Any:
    """A histogram with core's advised buckets, where the API takes advice."""
    if buckets:
        try:
            return meter.create_histogram(
                name,
                unit=unit,
                description=description,
                explicit_bucket_boundaries_advisory=buckets,
            )
        except TypeError:
            pass
    return meter.create_histogram(name, unit=unit, description=description)


_UNSET = object()
_bridge: object = _UNSET


def bridge() -> Optional[Bridge]:
    """The bridge, or ``None`` when the ``opentelemetry`` API is not installed (imported
    once, on the first client)."""
    global _bridge
    if _bridge is _UNSET:
        from importlib import import_module

        try:
            trace = import_module("opentelemetry.trace")
            metrics = import_module("opentelemetry.metrics")
            context = import_module("opentelemetry.context")
        except ImportError:
            _bridge = None
        else:
            internal = import_module("opentelemetry.metrics._internal")
            _bridge = Bridge(trace, metrics, context, internal)
    return _bridge if isinstance(_bridge, Bridge) else None
