"""Install from a built wheel and sdist (their metadata checked by twine), and the documented pre-commit
configuration, run by pre-commit itself on a clone of a project (``repo: local``: no network)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from tests.docs._blocks import DOCS, ROOT, blocks

from groq_vcr.testing import make_fake_api_key

BIN = Path(sys.executable).parent


def _run(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    environment.update(env)
    return subprocess.run(argv, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False)


def test_the_built_wheel_and_sdist_pass_twine_check(tmp_path: Path) -> None:
    (build,) = [b for b in blocks(DOCS / "install.md") if b.language == "bash"]
    assert build.text.startswith("uv build ")
    uv = shutil.which("uv")
    assert uv is not None
    # --offline: the build backend (hatchling) is in uv's cache since uv built this checkout; no network.
    built = _run([uv, "build", "--offline", "--out-dir", str(tmp_path), str(ROOT)], ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("groq_vcr-*-py3-none-any.whl")
    (sdist,) = tmp_path.glob("groq_vcr-*.tar.gz")
    assert wheel.name in build.text  # the names the page shows
    assert sdist.name in build.text
    checked = _run([str(BIN / "twine"), "check", "--strict", str(wheel), str(sdist)], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
        entry_points = archive.read(name.replace("METADATA", "entry_points.txt")).decode("utf-8")
    assert metadata["Name"] == "groq-vcr"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "uv run --extra dev pytest -n auto" in metadata.get_payload()
    assert "groq_vcr = groq_vcr.pytest_plugin" in entry_points
    assert "groq-vcr = groq_vcr.cli:main" in entry_points


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A clone of a small project whose .pre-commit-config.yaml is the one install.md shows."""
    (config,) = [b for b in blocks(DOCS / "install.md") if b.language == "yaml"]
    origin = tmp_path / "origin"
    (origin / "tests" / "cassettes").mkdir(parents=True)
    (origin / ".pre-commit-config.yaml").write_text(config.text, encoding="utf-8")
    (origin / "tests" / "cassettes" / "clean.yaml").write_text("version: 2\ninteractions: []\n", encoding="utf-8")
    git = ["git", "-c", "user.email=dev@example.invalid", "-c", "user.name=dev"]
    for argv in (["git", "init", "-q"], ["git", "add", "."], [*git, "commit", "-qm", "start"]):
        assert _run(argv, origin).returncode == 0
    clone = tmp_path / "clone"
    assert _run(["git", "clone", "-q", str(origin), str(clone)], tmp_path).returncode == 0
    return clone


def test_the_documented_pre_commit_hook_refuses_a_key(project: Path, tmp_path: Path) -> None:
    home = str(tmp_path / "pre-commit-home")
    clean = _run([str(BIN / "pre-commit"), "run", "--all-files"], project, PRE_COMMIT_HOME=home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "groq-vcr scan" in clean.stdout
    assert "Passed" in clean.stdout

    leaked = project / "tests" / "cassettes" / "leaked.yaml"
    key = make_fake_api_key()
    leaked.write_text(f"note: 'Authorization: Bearer {key}'\n", encoding="utf-8")
    assert _run(["git", "add", str(leaked)], project).returncode == 0
    found = _run([str(BIN / "pre-commit"), "run"], project, PRE_COMMIT_HOME=home)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "Failed" in found.stdout
    assert "leaked.yaml" in found.stdout
    assert key not in found.stdout  # scan prints secrets masked
