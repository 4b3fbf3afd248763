"""OpenTelemetry's cost per call, in process (bench/README.md, "OpenTelemetry's cost"): the host
SDK's own floor against our bridge replaying one plan, and ``Bridge.begin()`` with only the API
installed. No I/O and no emulator: whole-run req/s on a shared machine is too noisy for a
difference of tens of microseconds.

    bindings-python/.venv/bin/python bench/python/otel_cost.py [calls per round, default 20000]

    scripts/with-emulator.sh --any-linked-account -- bindings-python/.venv/bin/python \
        bench/python/otel_cost.py --calls [calls per round, default 3000]

(the venv ``make test-python`` builds: this checkout's wheel and the pinned OpenTelemetry SDK).
``--calls``: whole token calls of ``AsyncRefold`` against the emulator ($REFOLD_BASE_URL), 64
at a time, the process's CPU per call: with only the API (every round of it first: a provider
cannot be unregistered), then, rounds interleaved, with the SDK registered and our replay
skipped (core's trace, its queue and the tuples built for Python), with the SDK's floor in place
of our replay, and with the whole bridge.
The SDK is set up as bench.py's ``ours-async-otel-sdk`` row sets it up.
"""

from __future__ import annotations

import sys
import time

from refold_session import _native, _telemetry

from bench import register_noop_sdk  # the same SDK set-up as bench.py's otel-sdk rows

WHOLE_CALLS = sys.argv[1:2] == ["--calls"]
_COUNT = sys.argv[2:3] if WHOLE_CALLS else sys.argv[1:2]
CALLS = int(_COUNT[0]) if _COUNT else (3000 if WHOLE_CALLS else 20000)
ROUNDS = 7

SCOPE, VERSION, DECLARED = _native.TELEMETRY
DURATION, MISSES = DECLARED[0][0], DECLARED[2][0]


def attempt_attributes() -> dict:
    return {
        "http.request.method": "POST",
        "server.address": "127.0.0.1",
        "server.port": 8080,
        "url.template": "/api/v2/public/session-token",
        "http.response.status_code": 200,
    }


def plan(now: int) -> tuple:
    """What the native module hands over for a miss (src/telemetry.rs ``trace_to_py``): the
    call span, one CLIENT span, the attempt's duration point and the miss counter."""
    end = now + 900_000
    return (
        None,
        [
            ("refold.get_token_for_linked_account", "internal", None, now, end, False,
             {"refold.cache.outcome": "miss"}),
            ("POST /api/v2/public/session-token", "client", 0, now, end, False, attempt_attributes()),
        ],
        [(0, 0.0009, attempt_attributes()), (2, 1.0, {})],
    )


def measure(calls: dict) -> dict:
    """CPU µs per call of each of ``calls`` (label: function of the call's index), their rounds
    interleaved so that the SDK's queues and the machine's load weigh on each alike; the median
    round."""
    rounds: dict = {label: [] for label in calls}
    for _ in range(ROUNDS):
        for label, call in calls.items():
            started = time.process_time_ns()
            for i in range(CALLS):
                call(i)
            rounds[label].append((time.process_time_ns() - started) / CALLS / 1000)
    medians = {}
    for label, per_call in rounds.items():
        per_call.sort()
        medians[label] = per_call[len(per_call) // 2]
        print(f"{label:<44} {medians[label]:7.2f} µs/call (CPU, median of {ROUNDS} × {CALLS})")
    return medians


def sdk_floor():
    """The same two spans, a histogram point and a counter add, straight through the API
    (attribute dicts made once, as an application's own code might)."""
    from opentelemetry import metrics, trace

    tracer = trace.get_tracer(SCOPE, VERSION)
    meter = metrics.get_meter(SCOPE, VERSION)
    histogram = meter.create_histogram(DURATION, unit="s")
    counter = meter.create_counter(MISSES)
    call_attributes = {"refold.cache.outcome": "miss"}
    attempt = attempt_attributes()
    internal, client = trace.SpanKind.INTERNAL, trace.SpanKind.CLIENT

    def floor(i: int) -> None:
        now = time.time_ns()
        span = tracer.start_span(
            "refold.get_token_for_linked_account", kind=internal, attributes=call_attributes, start_time=now
        )
        child = tracer.start_span(
            "POST /api/v2/public/session-token",
            context=trace.set_span_in_context(span),
            kind=client,
            attributes=attempt,
            start_time=now,
        )
        child.end(end_time=now)
        span.end(end_time=now)
        histogram.record(0.0009, attempt)
        counter.add(1, {})

    return floor


async def whole_calls() -> None:
    import asyncio
    import os

    from refold_session import AsyncRefold

    client = AsyncRefold(os.environ["REFOLD_API_KEY"], base_url=os.environ["REFOLD_BASE_URL"])
    replay = _telemetry.Bridge.record
    made = [0]

    async def round_of(label: str, rounds: dict) -> None:
        left = [CALLS]

        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                made[0] += 1
                await client.get_token_for_linked_account(f"cost-{made[0]}")

        started = time.process_time_ns()
        await asyncio.gather(*(worker() for _ in range(64)))
        rounds.setdefault(label, []).append((time.process_time_ns() - started) / CALLS / 1000)

    rounds: dict = {}
    for _ in range(ROUNDS):
        await round_of("API only (no SDK)", rounds)
    register_noop_sdk()
    floor = sdk_floor()
    states = {
        "SDK, replay skipped (trace + crossing)": lambda self, plan: None,
        "SDK, floor instead of our replay": lambda self, plan: floor(0),
        "SDK, whole bridge": replay,
    }
    for _ in range(ROUNDS):
        for label, record in states.items():
            _telemetry.Bridge.record = record  # type: ignore[method-assign]
            await round_of(label, rounds)
    _telemetry.Bridge.record = replay  # type: ignore[method-assign]
    for label, per_call in rounds.items():
        per_call.sort()
        print(f"{label:<44} {per_call[len(per_call) // 2]:7.2f} µs/call (CPU, median of {ROUNDS} × {CALLS})")


def main() -> None:
    bridge = _telemetry.bridge()
    assert bridge is not None, "the opentelemetry API is not importable"
    # (d) Only the API: what the native call asks Python at each call's start.
    measure({"nothing (the loop)": lambda i: None, "API only: Bridge.begin()": lambda i: bridge.begin()})

    register_noop_sdk()
    floor = sdk_floor()
    plans = [plan(time.time_ns() + i) for i in range(256)]
    medians = measure({
        # (a) The floor.
        "SDK floor: 2 spans + record + add": floor,
        # (b) Ours: Bridge.record unpacking and replaying the native module's tuples.
        "ours: Bridge.record(plan)": lambda i: bridge.record(plans[i & 255]),
        "Bridge.begin() with the SDK": lambda i: bridge.begin(),
    })
    ours, low = medians["ours: Bridge.record(plan)"], medians["SDK floor: 2 spans + record + add"]
    print(f"ours over the floor: {ours - low:.2f} µs/call")


if __name__ == "__main__":
    if WHOLE_CALLS:
        import asyncio

        asyncio.run(whole_calls())
    else:
        main()
