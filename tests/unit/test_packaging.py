"""What ``pip install groq-vcr`` brings, what the ``server`` extra adds, and the error when the extra is missing.

The installed distribution's metadata is read (what pip and uv install from), and the missing-extra errors are
shown by real imports in a child process that hides the package (``sys.modules[name] = None`` makes
``import name`` raise ImportError, as when it is not installed).
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from groq_vcr._extras import DEMO_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = {"uvicorn", "starlette", "python-multipart", "groq"}
HINT = "pip install 'groq-vcr[server]'"


def _requirements(extra: str | None) -> dict[str, Requirement]:
    """The requirements of groq-vcr installed without extras (``None``) or added by ``extra``."""
    found = {}
    for text in importlib.metadata.requires("groq-vcr") or []:
        requirement = Requirement(text)
        marker = requirement.marker
        in_core = marker is None or marker.evaluate({"extra": ""})
        if in_core if extra is None else not in_core and marker is not None and marker.evaluate({"extra": extra}):
            found[requirement.name] = requirement
    return found


def test_the_core_install_has_no_server_package_and_no_rich() -> None:
    core = _requirements(None)
    assert {"vcrpy", "pytest-recording", "pytest", "click"} <= set(core)
    assert not (SERVER_ONLY | {"rich"}) & set(core)


def test_the_server_extra_brings_the_servers_and_the_groq_sdk() -> None:
    server = _requirements("server")
    assert set(server) == SERVER_ONLY
    # What the code checks for is what the extra installs.
    assert set(DEMO_PACKAGES) == SERVER_ONLY
    assert "rich" not in {name for extra in ("server", "sdks", "dev") for name in _requirements(extra)}


def test_the_dev_extra_and_a_clones_uv_run_include_the_server_extra() -> None:
    # pyproject says groq-vcr[server]; the built metadata lists the extra's packages themselves.
    assert set(_requirements("server")) <= set(_requirements("dev"))
    # `uv run groq-vcr demo` in a clone: uv installs the default groups, one of which is the server extra.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    groups = project["dependency-groups"]
    defaults = project["tool"]["uv"]["default-groups"]
    assert "groq-vcr[server]" in [requirement for group in defaults for requirement in groups[group]]


IMPORT = """
import importlib, json, sys

target, *hidden = sys.argv[1:]
for name in hidden:
    sys.modules[name] = None
try:
    importlib.import_module(target)
except ImportError as exc:
    print(json.dumps({"message": str(exc), "name": exc.name}))
else:
    print(json.dumps(None))
"""


def _import_hiding(target: str, *hidden: str) -> dict[str, str] | None:
    child = subprocess.run(
        [sys.executable, "-c", IMPORT, target, *hidden], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, str] | None = json.loads(child.stdout)
    return result


@pytest.mark.parametrize(
    ("target", "hidden", "missing"),
    [
        ("groq_vcr.testing", ["uvicorn"], "uvicorn"),
        ("groq_vcr.testing", ["python_multipart", "multipart"], "python-multipart"),
        ("groq_vcr.servers", ["starlette"], "starlette"),
    ],
)
def test_importing_without_the_extra_names_it(target: str, hidden: list[str], missing: str) -> None:
    error = _import_hiding(target, *hidden)
    assert error == {
        "message": f"{target} needs {missing} (groq-vcr's server extra), which is not installed. "
        f"Install the extra: {HINT}",
        "name": missing,
    }


def test_the_replay_server_does_not_need_python_multipart() -> None:
    assert _import_hiding("groq_vcr.servers", "python_multipart", "multipart") is None
