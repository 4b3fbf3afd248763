"""Packaging as users get it: the wheel in a fresh venv with no Rust on PATH, and the
README's `pip install ./bindings-python`, run as written in a fresh venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from conftest import API_KEY, BINDING, Emulator

MINT = """
import shutil, sys
import refold_session
from refold_session import Refold, AsyncRefold
assert shutil.which("cargo") is None and shutil.which("rustc") is None, "Rust is on PATH"
assert refold_session.__file__.startswith(sys.prefix), refold_session.__file__
token = Refold({key!r}, base_url={url!r}).get_token_for_linked_account("acct-1")
assert token.linked_account_id == "acct-1" and token.expires_at.tzinfo is not None
print("minted", token)
"""


def the_wheel() -> Path:
    wheels = sorted((BINDING / "dist").glob("refold_session-*.whl"))
    if len(wheels) != 1:
        pytest.fail(f"expected exactly one wheel in {BINDING / 'dist'} (built by make test-python), found {wheels}")
    return wheels[0]


def fresh_venv(where: Path, interpreter: str = sys.executable) -> Path:
    """A new, empty venv (no pip: installs go through `pip --python`, which is much faster)."""
    subprocess.run([interpreter, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    return where / "bin" / "python"


def pip_install(python: Path, *args: str, env: Dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check", *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


def without_rust(venv: Path) -> Dict[str, str]:
    """The environment of a machine without Rust: only the venv on PATH (this machine's own
    dirs may hold a system `cargo`, e.g. /usr/bin/cargo from a distribution package, and
    installing or running a wheel needs nothing from PATH)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO", "RUSTUP", "RUST"))}
    env["PATH"] = str(venv / "bin")
    env.pop("PYTHONPATH", None)
    return env


def test_wheel_is_one_abi3_wheel_with_types() -> None:
    wheel = the_wheel()
    assert "-cp39-abi3-" in wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("refold_session/__init__.py", "refold_session/errors.py",
                     "refold_session/_native.pyi", "refold_session/py.typed"):
        assert expected in names, names
    assert any(n.startswith("refold_session/_native") and n.endswith(".so") for n in names), names


def test_wheel_installs_into_a_fresh_venv_and_mints_without_rust(tmp_path: Path, emu: Emulator) -> None:
    venv = tmp_path / "venv"
    python = fresh_venv(venv)
    env = without_rust(venv)
    for tool in ("cargo", "rustc"):
        assert shutil.which(tool, path=env["PATH"]) is None, f"{tool} is reachable on {env['PATH']}"
    installed = pip_install(python, "--no-index", "--no-deps", str(the_wheel()), env=env)
    assert installed.returncode == 0, installed.stderr
    result = subprocess.run([str(python), "-c", MINT.format(key=API_KEY, url=emu.url)],
                            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "minted SessionToken(" in result.stdout and API_KEY not in result.stdout
    assert emu.count() == 1

    # The extension links neither OpenSSL nor libpython (abi3 extension module).
    [native] = list((venv / "lib").glob("python3*/site-packages/refold_session/_native*.so"))
    ldd = subprocess.run(["ldd", str(native)], capture_output=True, text=True, timeout=30)
    if ldd.returncode == 0:
        assert "libssl" not in ldd.stdout and "libcrypto" not in ldd.stdout, ldd.stdout
        assert "libpython" not in ldd.stdout, ldd.stdout


def other_interpreters() -> List[Path]:
    """Other CPython >= 3.9 installed beside this one (e.g. pyenv's versions/ folder)."""
    found = []
    for python in sorted(Path(sys.base_prefix).parent.glob("3.*/bin/python3")):
        parts = python.parent.parent.name.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= 9 and python.resolve() != Path(sys._base_executable).resolve():  # type: ignore[attr-defined]
            found.append(python)
    return found


def test_one_abi3_wheel_serves_every_cpython_found(tmp_path: Path, emu: Emulator) -> None:
    interpreters = other_interpreters()
    if not interpreters:
        pytest.skip(f"no other CPython >= 3.9 beside {sys.base_prefix} to install the wheel into")
    for index, interpreter in enumerate(interpreters):
        venv = tmp_path / f"venv{index}"
        python = fresh_venv(venv, str(interpreter))
        env = without_rust(venv)
        installed = pip_install(python, "--no-index", "--no-deps", str(the_wheel()), env=env)
        assert installed.returncode == 0, (interpreter, installed.stderr)
        result = subprocess.run([str(python), "-c", MINT.format(key=API_KEY, url=emu.url)],
                                capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
        assert result.returncode == 0, (interpreter, result.stderr)
    assert emu.count() == len(interpreters)
    print("checked with", [str(i) for i in interpreters])


def readme_install_lines() -> List[str]:
    """The README's install commands that work from a checkout today (run from the repo root)."""
    text = (BINDING / "README.md").read_text(encoding="utf-8")
    block = text.split("## Install", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [command for command in commands if command.startswith("pip install ./")]


def test_the_readme_install_line_works_in_a_fresh_venv(tmp_path: Path, emu: Emulator) -> None:
    lines = readme_install_lines()
    assert lines == ["pip install ./bindings-python"], lines
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env["PATH"]])  # as after `activate`
    env["VIRTUAL_ENV"] = str(venv)
    env.pop("PYTHONPATH", None)
    # Debug profile: the same code as a release build, without ~5 more minutes of compiling
    # on 2 cores; artifacts are shared with `make build` through CARGO_TARGET_DIR.
    env["MATURIN_PEP517_ARGS"] = "--profile dev"
    env.setdefault("CARGO_TARGET_DIR", str(BINDING.parent / "target"))
    for line in lines:
        result = subprocess.run(["bash", "-c", line], cwd=BINDING.parent, env=env,
                                capture_output=True, text=True, timeout=1500)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    python = venv / "bin" / "python"
    result = subprocess.run([str(python), "-c", MINT.format(key=API_KEY, url=emu.url)],
                            capture_output=True, text=True, timeout=60, env=without_rust(venv), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert emu.count() == 1
