"""The host's side of the telemetry bridge (docs/contract.md §18): each call's trace, handed
over by the native module (``src/telemetry.rs``), becomes spans and metrics of the
application's own OpenTelemetry (its tracer and meter providers, sampler and exporters), and
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

    #: (method, route, address, port, status, error, attempt, start_ns, end_ns, budget_wait_s)
    _Attempt = Tuple[str, str, str, int, Optional[int], Optional[str], int, int, int, float]
    #: (name, start_ns, end_ns, error, cache, linked_account_id, parent, attempts)
    _Trace = Tuple[
        str, int, int, Optional[str], Optional[str], Optional[str], Optional[str], List[_Attempt]
    ]
    _Attributes = Dict[str, Union[str, int, float]]

#: The instrumentation scope of our tracer and meter.
SCOPE = "refold-session"

#: Which counter each cache outcome adds to (a store hit is a hit).
_CACHE_COUNTERS = {
    "hit": "refold.session_cache.hits",
    "store_hit": "refold.session_cache.hits",
    "miss": "refold.session_cache.misses",
    "coalesced": "refold.session_cache.coalesced",
    "refresh": "refold.session_cache.refreshes",
    "store_error": "refold.session_cache.store_errors",
}

_COUNTER_DESCRIPTIONS = {
    "refold.session_cache.hits": "Session-token calls answered from the cache or the fleet store",
    "refold.session_cache.misses": "Session-token calls that minted a token",
    "refold.session_cache.coalesced": "Session-token calls that waited for another call's mint",
    "refold.session_cache.refreshes": "Background refreshes of a cached session token",
    "refold.session_cache.store_errors": "Session-token calls that minted because the store failed",
}


class Bridge:
    """What the native hook calls: :meth:`begin` at each call's start (on the caller's
    thread), :meth:`record` with each finished call's trace."""

    __slots__ = (
        "_trace", "_metrics", "_context", "_quiet_tracers", "_quiet_meters", "_empty",
        "_instruments", "_tracer_provider", "_meter_provider", "_registered",
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
        self._instruments: Optional[Tuple[Any, Any, Dict[str, Any]]] = None

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

    def record(self, call: _Trace) -> None:
        """The call's span (under the span it was made in), a CLIENT span per attempt, the
        duration histogram and the cache counters, with the times the core measured."""
        name, start, end, error, cache, linked_account_id, parent, attempts = call
        tracer, duration, counters = self._tools()
        trace = self._trace
        attributes: _Attributes = {}
        if cache is not None:
            attributes["refold.cache.outcome"] = cache
            counter = counters.get(_CACHE_COUNTERS.get(cache, ""))
            if counter is not None:
                counter.add(1)
        if error is not None:
            attributes["error.type"] = error
        if linked_account_id is not None:
            attributes["refold.linked_account_id"] = linked_account_id
        span = tracer.start_span(
            f"refold.{name}",
            context=self._parent(parent),
            kind=trace.SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start,
        )
        if error is not None:
            span.set_status(trace.Status(trace.StatusCode.ERROR))
        within = trace.set_span_in_context(span, self._empty)
        for method, route, address, port, status, failed, number, began, ended, waited in attempts:
            common: _Attributes = {
                "http.request.method": method,
                "server.address": address,
                "server.port": port,
                "url.template": route,
            }
            if status is not None:
                common["http.response.status_code"] = status
            if failed is not None:
                common["error.type"] = failed
            duration.record((ended - began) / 1e9, common)
            attempt: _Attributes = dict(common)
            if number > 1:
                attempt["http.request.resend_count"] = number - 1
            if waited > 0:
                attempt["refold.budget_wait"] = waited
            child = tracer.start_span(
                f"{method} {route}",
                context=within,
                kind=trace.SpanKind.CLIENT,
                attributes=attempt,
                start_time=began,
            )
            if failed is not None:
                child.set_status(trace.Status(trace.StatusCode.ERROR))
            child.end(end_time=ended)
        span.end(end_time=end)

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

    def _tools(self) -> Tuple[Any, Any, Dict[str, Any]]:
        """Our tracer, histogram and counters, made on the first trace (a provider is
        registered by then; the API's proxies follow one registered later)."""
        if self._instruments is None:
            version = _native.VERSION
            tracer = self._trace.get_tracer(SCOPE, version)
            meter = self._metrics.get_meter(SCOPE, version)
            duration = meter.create_histogram(
                "http.client.request.duration",
                unit="s",
                description="Duration of HTTP client requests.",
            )
            counters = {
                name: meter.create_counter(name, unit="{call}", description=description)
                for name, description in _COUNTER_DESCRIPTIONS.items()
            }
            self._instruments = (tracer, duration, counters)
        return self._instruments


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
