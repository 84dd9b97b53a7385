"""Every code block of the README and the manual is run or checked here, or by the test named for its page.

* ``python`` blocks whose first line is ``# tests/test_<name>.py`` are test files: saved into one project and
  run twice, recording against the local Groq-compatible server (``GROQ_BASE_URL`` and ``GROQ_VCR_STAND_IN``),
  then replaying with the server stopped, the network blocked and no base URL. Both runs must pass every test.
* Other ``python`` blocks are scripts, run the same two ways.
* ``toml`` blocks are read as groq-vcr's settings, ``yaml`` blocks as YAML (a cassette by groq-vcr's loader),
  ``json`` as JSON. ``text`` blocks are output shown to the reader, not code.
* ``bash`` and ``console`` blocks run in the tests named in :data:`RUN_ELSEWHERE`; the few that need a real
  Groq key or files of the reader's are listed in :data:`NOT_RUN`, with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from tests.docs._blocks import DOCS, Block, blocks, pages

from groq_vcr import parse_cassette
from groq_vcr._settings import parse_settings
from groq_vcr.testing import FakeGroqConfig, make_fake_api_key, serve_fake_groq

# Pages whose code blocks another test runs, and which.
RUN_ELSEWHERE = {
    "faults.md": "tests/e2e/test_docs_examples.py (record and replay)",
    "drift.md": "tests/e2e/test_docs_examples.py (the commands, the report, the workflow)",
    "tutorial.md": "tests/docs/test_tutorial.py (step by step)",
    "README.md": "tests/docs/test_manual.py (the tutorial's test and commands; .ci/run runs the quick start)",
    "index.md": "tests/docs/test_manual.py (the README's text)",
    "install.md": "tests/docs/test_install.py (uv build, twine check, the pre-commit configuration)",
}
# Shell blocks not run by the suite (first line -> why).
NOT_RUN = {
    "uv run --extra dev python tools/bench.py          # full run (3-6 min), also writes tools/bench-results.md": (
        "the benchmark takes minutes; tests/unit/test_scaling.py guards what it measures"
    ),
    "uv run --extra dev pytest                 # the whole suite (what .ci/run runs)": "the suite itself",
    'export GROQ_API_KEY="$YOUR_GROQ_KEY"            # else the key in the command is used (never written)': (
        "records from the real API with the reader's notes; tests/cli/test_record_* drive each form"
    ),
    "groq-vcr show cassettes/groq_chat_stream.yaml": "tests/cli/test_record_show.py runs show on these files",
    "groq-vcr check cassettes/            # validate; every problem as file:line:column: message": (
        "the reader's files (old_vcrpy.yaml); tests/cli/test_format_commands.py runs each command"
    ),
    "pytest -n 2 --splits 3 --group 1 --groq-vcr-report=report-1.json   # on each machine: groups 1, 2, 3": (
        "tests/e2e/test_sharded_suite.py runs a sharded suite and the merge"
    ),
    "groq-vcr check tests/cassettes/ && groq-vcr scan tests/cassettes/   # format + secrets": (
        "tools/ci-replay.sh runs these in CI"
    ),
    "pytest --record-mode=once tests/test_usage.py                        # record, with GROQ_API_KEY set "
    "(writes tests/cassettes/…)": "test_the_test_files_pass_recording_and_replaying runs these two modes",
    '$ pytest -n 2 --splits 3 --group 1 --groq-vcr-report="$RUNNER_TEMP/groq-vcr-report-1.json"': (
        "tests/e2e/test_sharded_suite.py runs sharded suites and their reports"
    ),
    "$ groq-vcr report merge reports/*.json --fail-unused": "tests/cli/test_report_merge.py checks its output",
    "$ pytest --record-mode=once --splits 4 --group 2           # 1/4 of the limits, from --splits": (
        "tests/cli/test_record_rate_share.py and the pacing tests count the shares"
    ),
    '$ groq-vcr report merge reports/*.json --fail-unused --format markdown | tee -a "$GITHUB_STEP_SUMMARY"': (
        "tests/ci/test_workflows.py checks the workflow that runs it"
    ),
    "$ groq-vcr serve cassettes/groq_chat_stream.yaml --port 8750": "tests/cli/test_serve_proxy.py",
    "$ groq-vcr proxy --cassette cassettes/curl_chat.yaml --port 8751     # --upstream https://api.groq.com": (
        "tests/cli/test_serve_proxy.py; the real upstream needs a key"
    ),
}


def _all_blocks() -> list[Block]:
    return [b for page in pages() for b in blocks(page)]


def _mine(language: str) -> list[Block]:
    return [b for b in _all_blocks() if b.language == language and b.path.name not in RUN_ELSEWHERE]


def _env(**extra: str) -> dict[str, str]:
    drop = ("GROQ_", "OPENAI_", "PYTEST_", "GITHUB_STEP_SUMMARY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_every_block_says_what_it_is() -> None:
    unlabelled = [b.where for b in _all_blocks() if not b.language]
    assert not unlabelled, f"label these blocks (text for output): {unlabelled}"


def test_every_shell_block_is_run_or_accounted_for() -> None:
    shell = [b for b in _all_blocks() if b.language in ("bash", "console") and b.path.name not in RUN_ELSEWHERE]
    firsts = {b.text.split("\n", 1)[0] for b in shell}
    assert firsts == set(NOT_RUN), "a shell block to run here, or NOT_RUN is stale"
    placeholders = [b.where for b in _all_blocks() if b.language in ("python", "bash") and "gsk_..." in b.text]
    assert not placeholders


def test_the_test_files_pass_recording_and_replaying(tmp_path: Path) -> None:
    files = [b for b in _mine("python") if b.file_name]
    assert {b.file_name for b in files} >= {"tests/test_usage.py", "tests/test_schema.py"}
    count = sum(b.text.count("\ndef test_") for b in files)
    (tmp_path / "tests").mkdir()
    for block in files:
        (tmp_path / block.file_name).write_text(block.text, encoding="utf-8")  # type: ignore[operator]
    pytest_argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "tests"]
    with serve_fake_groq(FakeGroqConfig()) as server:
        env = _env(GROQ_API_KEY=server.api_key, GROQ_BASE_URL=server.base_url, GROQ_VCR_STAND_IN=server.base_url)
        recording = _run([*pytest_argv, "--record-mode=once"], tmp_path, env)
        assert recording.returncode == 0, recording.stdout + recording.stderr
        assert f"{count} passed" in recording.stdout
        assert server.config.count("/chat/completions") >= count
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.yaml")}
    assert len(before) == count

    replay = _run([*pytest_argv, "--record-mode=none", "--block-network"], tmp_path, _env(GROQ_API_KEY="any value"))
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"{count} passed" in replay.stdout
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.yaml")} == before


def test_the_scripts_run_live_and_on_replay(tmp_path: Path) -> None:
    scripts = [b for b in _mine("python") if not b.file_name]
    assert len(scripts) >= 3
    with serve_fake_groq(FakeGroqConfig()) as server:
        env = _env(GROQ_API_KEY=server.api_key, GROQ_BASE_URL=server.base_url, GROQ_VCR_STAND_IN=server.base_url)
        for block in scripts:
            done = _run([sys.executable, "-c", block.text], tmp_path, env)
            assert done.returncode == 0, (block.where, done.stderr)
    for block in scripts:  # the server is gone: what recorded a cassette replays it
        done = _run([sys.executable, "-c", block.text], tmp_path, _env(GROQ_API_KEY=make_fake_api_key()))
        assert done.returncode == 0, (block.where, done.stderr)
    assert (tmp_path / "cassettes" / "script.yaml").is_file()


@pytest.mark.parametrize("block", _mine("toml"), ids=lambda b: b.where)
def test_toml_blocks_are_valid_settings(block: Block) -> None:
    table = tomllib.loads(block.text)["tool"]["groq-vcr"]
    parse_settings(table, source=block.path)


@pytest.mark.parametrize("block", _mine("yaml"), ids=lambda b: b.where)
def test_yaml_blocks_parse(block: Block) -> None:
    document = yaml.safe_load(block.text)
    if "interactions" in document:
        cassette = parse_cassette(block.text)
        assert len(cassette.interactions) == len(document["interactions"])


@pytest.mark.parametrize("block", [b for b in _all_blocks() if b.language == "json"], ids=lambda b: b.where)
def test_json_blocks_parse(block: Block) -> None:
    assert json.loads(block.text)


def test_pages_are_all_in_the_manual() -> None:
    assert (DOCS / "index.md").is_file()
