"""The manual's examples run as users run them.

``docs/faults.md``: every ```python block that starts with ``# test_<name>.py`` is written to a project as that
file and run twice: recording against the local Groq-compatible server (``GROQ_BASE_URL``; the ``openai`` example's
``https://api.groq.com`` is pointed at the same server), then replaying with the server stopped and the network
blocked. Both runs must pass every test.

``docs/drift.md``: its ``groq-vcr drift`` command lines run against the local server on a copy of this repository's
cassettes, its example report is what the command writes for the change it describes, and the workflow it shows
is the repository's own.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from groq_vcr.testing import FakeGroqConfig, ResponseChange, make_fake_api_key, serve_fake_groq

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GROQ_VCR = str(Path(sys.executable).parent / "groq-vcr")
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(page: str, language: str) -> list[str]:
    """The code blocks of ``docs/<page>`` in ``language``, in order."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [body for lang, body in _BLOCK.findall(text) if lang == language]


def example_files() -> dict[str, str]:
    """``docs/faults.md``'s test files: name -> source."""
    found = {}
    for body in blocks("faults.md", "python"):
        first, _, rest = body.partition("\n")
        match = re.fullmatch(r"# (test_\w+\.py)", first)
        if match:
            found[match.group(1)] = rest
    return found


def _pytest(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q", *args],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=600,
        check=False,
    )


def _env(**extra: str) -> dict[str, str]:
    drop = ("GROQ_", "OPENAI_", "PYTEST_", "GITHUB_STEP_SUMMARY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def test_the_fault_examples_pass_when_recording_and_when_replaying(tmp_path: Path) -> None:
    files = example_files()
    assert set(files) >= {"test_groq_faults.py", "test_recovery.py", "test_concurrent.py", "test_per_client.py"}
    count = sum(source.count("\ndef test_") for source in files.values())
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    with serve_fake_groq(FakeGroqConfig()) as server:
        for name, source in files.items():
            (tmp_path / name).write_text(source.replace("https://api.groq.com", server.base_url), encoding="utf-8")
        env = _env(GROQ_API_KEY=server.api_key, GROQ_BASE_URL=server.groq_base_url)
        recording = _pytest(tmp_path, env, "--record-mode=once")
        assert recording.returncode == 0, recording.stdout + recording.stderr
        assert f"{count} passed" in recording.stdout
        assert server.config.count("/chat/completions") > 0
    cassettes = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.yaml"))
    assert "cassettes/test_groq_faults/test_stream_failure_is_reported.yaml" in cassettes
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.yaml")}

    env = _env(GROQ_API_KEY=make_fake_api_key(), GROQ_BASE_URL=env["GROQ_BASE_URL"])
    replay = _pytest(tmp_path, env, "--record-mode=none", "--block-network")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"{count} passed" in replay.stdout
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.yaml")} == before


# ------------------------------------------------------------------------------------------------ drift


def _drift_lines() -> list[list[str]]:
    """Every ``groq-vcr drift ...`` command of the manual's shell blocks, as argv (environment prefixes dropped)."""
    commands = []
    for body in blocks("drift.md", "bash"):
        for line in body.splitlines():
            words = shlex.split(line, comments=True)
            while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                words.pop(0)
            if words[:2] == ["groq-vcr", "drift"]:
                commands.append(words[2:])
    return commands


def _run_drift(project: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GROQ_VCR, "drift", *args], capture_output=True, text=True, cwd=project, env=env, timeout=300, check=False
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "cassettes", tmp_path / "cassettes")
    shutil.copytree(ROOT / "cassettes", tmp_path / "tests" / "cassettes")
    return tmp_path


def test_the_drift_commands_of_the_manual_run(project: Path) -> None:
    commands = _drift_lines()
    assert len(commands) >= 3
    with serve_fake_groq(FakeGroqConfig()) as server:
        env = _env(GROQ_API_KEY=server.api_key, GROQ_VCR_BASE_URL=server.groq_base_url)
        for args in commands:
            result = _run_drift(project, args, env)
            assert result.returncode == 0, (args, result.stdout + result.stderr)


def test_the_manual_report_is_what_drift_writes(project: Path) -> None:
    (shown,) = blocks("drift.md", "markdown")
    change = ResponseChange(remove=("usage.total_tokens",), add={"usage.cost": 0.5})
    with serve_fake_groq(FakeGroqConfig(response_change=change)) as server:
        env = _env(GROQ_API_KEY=server.api_key, GROQ_VCR_BASE_URL=server.groq_base_url)
        result = _run_drift(project, ["cassettes", "--format", "markdown"], env)
    assert result.returncode == 1, result.stderr
    assert result.stdout.replace(server.groq_base_url, "https://api.groq.com") == shown


def test_the_manual_workflow_is_the_repositorys() -> None:
    (workflow,) = [body for body in blocks("drift.md", "yaml") if "groq-vcr drift" in body]
    assert workflow == (ROOT / ".github" / "workflows" / "drift.yml").read_text(encoding="utf-8")


def test_the_readme_points_to_the_fault_manual_whose_examples_run_here() -> None:
    """The README's fault section moved to docs/faults.md (the examples this module runs); the README links it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "[Fault injection](docs/faults.md)" in readme
    assert "test_groq_faults.py" in example_files()
