"""The types are real: the package and the examples pass `mypy --strict`, misuse is rejected,
and stubtest finds the stubs equal to the runtime module. (The only place these checks run:
`make test-python` is pytest.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import BINDING


def mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir",
         str(BINDING / ".venv" / "mypy-cache"), *args],
        capture_output=True, text=True, timeout=600, cwd=cwd,
    )


def test_package_and_examples_pass_mypy_strict() -> None:
    result = mypy("python/refold_session", "examples/typed_usage.py", "examples/demo.py",
                  "examples/api_usage.py", "tests/fleet_worker.py", cwd=BINDING)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_rejects_misuse(tmp_path: Path) -> None:
    bad = tmp_path / "bad_usage.py"
    bad.write_text(
        "from refold_session import Refold, AuthenticationError\n"
        "client = Refold(timeout='30')\n"
        "token = client.get_token_for_linked_account(42)\n"
        "days: int = token.expires_at\n"
        "try:\n"
        "    pass\n"
        "except AuthenticationError as e:\n"
        "    e.status.bit_length()\n"
        "Refold(max_idle_connections='3')\n"
        "Refold(max_idle_connections=None)\n"
        "Refold(cache='yes')\n"
        "client.upsert_linked_account('u', udf={'when': object()})\n"
        "client.list_linked_accounts(page='1')\n"
        "stats: int = client.cache_stats().hits\n"
        "from refold_session import AsyncRefold\n"
        "for account in AsyncRefold().iter_linked_accounts(): pass\n"
        "client.get_token_for_linked_account('u', True)\n"
        "name: str = client.get_linked_account('u').name\n"
        "from refold_session import CacheOptions, StoreOptions\n"
        "CacheOptions(store='redis://localhost')\n"
        "StoreOptions(encryption_keys='one-key')\n"
        "StoreOptions(timeout='1')\n"
        "errors: str = client.cache_stats().store_errors\n",
        encoding="utf-8",
    )
    result = mypy(str(bad), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for line in (2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 20, 21, 22, 23):
        assert f"bad_usage.py:{line}: error" in result.stdout, result.stdout


def test_mypy_strict_rejects_misuse_of_the_generated_api(tmp_path: Path) -> None:
    bad = tmp_path / "bad_api_usage.py"
    bad.write_text(
        "from refold_session import Refold\n"
        "client = Refold()\n"
        "client.api.list_persistent_tables(50)\n"
        "client.api.list_persistent_tables(limit='50')\n"
        "client.api.get_persistent_table_records()\n"
        "client.api.list_webhooks(linked_account_id='a')\n"
        "name: int = client.api.list_persistent_tables()['docs'][0]['name']\n"
        "client.api.create_persistent_table(body={'table_nam': 'x'})\n"
        "client.api.trigger_event(body={}, files=[{'field': 'f', 'data': 'text'}])\n"
        "client.for_linked_account('a').api.list_webhooks(timeout='1')\n"
        "client.call_page('listWebhooks')['next_page'].bit_length()\n",
        encoding="utf-8",
    )
    result = mypy(str(bad), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for line in range(3, 12):
        assert f"bad_api_usage.py:{line}: error" in result.stdout, result.stdout


def test_stubs_match_the_runtime_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "refold_session"],
        capture_output=True, text=True, timeout=600, cwd=BINDING,
    )
    assert result.returncode == 0, result.stdout + result.stderr
