"""The vcrpy bridge uses vcrpy internals (see ``groq_vcr.pytest_plugin._vcr``): pin the releases it was checked on.

CI runs the suite on uv.lock's vcrpy, on the newest release (``tools/newest-deps.sh``) and on the oldest
supported one (``.ci/run``). A vcrpy release outside the checked range fails here first: check the bridge's
internals against it (the module docstring lists them), run the plugin tests, then widen ``CHECKED_VCRPY``.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from packaging.version import Version

from groq_vcr.pytest_plugin._vcr import CHECKED_VCRPY

ROOT = Path(__file__).resolve().parents[2]


def test_installed_vcrpy_is_a_checked_release() -> None:
    installed = Version(importlib.metadata.version("vcrpy"))
    oldest, newest = (Version(v) for v in CHECKED_VCRPY)
    assert oldest <= installed <= newest, (
        f"vcrpy {installed} was not checked against groq_vcr.pytest_plugin._vcr (checked: {oldest} to {newest})"
    )


def test_the_oldest_checked_release_is_the_declared_minimum_and_ci_runs_it() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (declared,) = [d for d in dependencies if re.match(r"vcrpy\b", d)]
    assert declared == f"vcrpy>={CHECKED_VCRPY[0]}"
    assert f'GROQ_VCR_PINS="vcrpy=={CHECKED_VCRPY[0]}"' in (ROOT / ".ci" / "run").read_text()
