"""Shared fixtures: one real emulator (`refold emulator`) per test session, over loopback.

Nothing is mocked: every test talks HTTP to the emulator binary built by `make build`
(`target/debug/refold`, or $REFOLD_BIN).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import conformance_cases

ROOT = Path(__file__).resolve().parents[2]
BINDING = ROOT / "bindings-python"
#: conformance/cases.json, checked against its schema, with the schema's defaults filled in.
CASES = conformance_cases.load(ROOT / "conformance" / "cases.json")
REFOLD_BIN = Path(os.environ.get("REFOLD_BIN", ROOT / "target" / "debug" / "refold"))

#: The distinctive key every test client uses; it must never show up in any text we produce.
API_KEY: str = CASES["defaults"]["api_key"]

# The core reads these when an option is not given; tests pass everything explicitly.
ENV_VARS = ("REFOLD_API_KEY", "COBALT_API_KEY", "REFOLD_ENVIRONMENT", "REFOLD_BASE_URL",
            "REFOLD_CACHE_REDIS_URL", "REFOLD_CACHE_ENCRYPTION_KEY")
for _name in ENV_VARS:
    os.environ.pop(_name, None)


class Emulator:
    """A running `refold emulator` and its control plane."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self._call("POST", "/__emulator/reset", {})

    def faults(self, faults: List[Dict[str, Any]]) -> None:
        self._call("POST", "/__emulator/faults", faults)

    def config(self, settings: Dict[str, Any]) -> None:
        """`POST /__emulator/config` (e.g. `{"token_ttl_s": 6}`; the next reset undoes it)."""
        self._call("POST", "/__emulator/config", settings)

    def requests(self) -> Dict[str, Any]:
        return self._call("GET", "/__emulator/requests")  # type: ignore[no-any-return]

    def count(self) -> int:
        return int(self.requests()["count"])


def start_emulator(api_keys: List[str], linked_accounts: List[str], legacy: bool = False,
                   any_linked_account: bool = False) -> Emulator:
    """An emulator; `legacy`: answering session tokens as Refold's older guide did (the
    `legacy` generation of conformance/cases.json); `any_linked_account`: every id exists."""
    if not REFOLD_BIN.exists():
        pytest.fail(f"{REFOLD_BIN} is missing: run `make build` first")
    # Refold's rate limit (on by default in the emulator) is not what these tests test.
    args = [str(REFOLD_BIN), "emulator", "--addr", "127.0.0.1:0", "--rate-limit", "off"]
    for key in api_keys:
        args += ["--api-key", key]
    for account in linked_accounts:
        args += ["--linked-account", account]
    if legacy:
        args += ["--legacy-session-token"]
    if any_linked_account:
        args += ["--any-linked-account"]
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8"
    )
    assert process.stdout is not None
    first: List[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=30)
    line = first[0].strip() if first else ""
    if not line.startswith("listening on "):
        process.kill()
        pytest.fail(f"emulator did not start (first line {line!r})")
    # Keep draining stdout so the emulator can never block on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    return Emulator(process, line[len("listening on ") :])


def stop(emu: Emulator) -> None:
    emu.process.terminate()
    try:
        emu.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emu.process.kill()
        emu.process.wait()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    config = CASES["emulator"]
    emu = start_emulator(config["api_keys"], config["linked_accounts"])
    try:
        yield emu
    finally:
        stop(emu)


@pytest.fixture(scope="session")
def legacy_emulator() -> Iterator[Emulator]:
    config = CASES["emulator"]
    emu = start_emulator(config["api_keys"], config["linked_accounts"], legacy=True)
    try:
        yield emu
    finally:
        stop(emu)


@pytest.fixture
def legacy_emu(legacy_emulator: Emulator) -> Emulator:
    """The emulator of the legacy generation, reset for this test."""
    legacy_emulator.reset()
    return legacy_emulator


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    """The shared emulator, reset (no faults, zero counters) for this test."""
    emulator.reset()
    return emulator


def run_python(code: str, timeout: float = 60, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter of this venv (with refold_session installed)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
    )
