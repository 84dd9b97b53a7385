"""A suite split across machines: 3 shard processes (pytest-split, each in a folder of its own, one of them with
2 pytest-xdist workers) whose reports merge into the verdict one unsharded run of the same suite gives.

The suite is recorded once against the local Groq-compatible server, then copied into a folder per "machine".
Two interactions of one cassette are played by tests that land in different shards; a third is played by none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from groq_vcr import load_cassette
from groq_vcr.cli import cli
from groq_vcr.report import read_report
from groq_vcr.testing import FakeGroqServer, ResponseChange, serve_fake_groq

SUITE = r"""
import os

import httpx
import pytest

RECORDING = os.environ.get("SUITE_RECORDING") == "1"


def chat(text):
    base = os.environ["FAKE_GROQ_BASE"] + "/openai/v1"
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer " + os.environ["FAKE_GROQ_KEY"]}) as client:
        response = client.post(
            "/chat/completions",
            json={"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": text}]},
        )
        response.raise_for_status()
        return response.json()["choices"][0]["message"]["content"]


@pytest.mark.default_cassette("shared")
@pytest.mark.vcr
def test_a_first():
    assert chat("a")
    if RECORDING:  # the shared cassette holds a, b and c; test_z_last plays b, no test plays c
        assert chat("b") and chat("c")


@pytest.mark.vcr
def test_fill_1():
    assert chat("fill 1")


@pytest.mark.vcr
def test_partial():
    assert chat("p1")
    if RECORDING:
        assert chat("p2")


@pytest.mark.vcr
def test_fill_2():
    assert chat("fill 2")


@pytest.mark.vcr
def test_miss():
    assert chat("m" if RECORDING else "m, changed since")


@pytest.mark.vcr
def test_full():
    assert chat("f1") and chat("f2")


@pytest.mark.vcr
def test_fill_3():
    assert chat("fill 3")


@pytest.mark.default_cassette("shared")
@pytest.mark.vcr
def test_z_last():
    assert chat("b")
"""

INI = "[pytest]\nfilterwarnings =\n    default\n"
# Plugins of this environment the suite does not use (fewer imports per process).
UNUSED_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:asyncio")
UNUSED_PLUGINS += ("-p", "no:httpbin", "-p", "no:pytest_mock")
SHARED = "cassettes/test_suite/shared.yaml"


def _start(folder: Path, server: FakeGroqServer, *args: str, recording: bool = False) -> subprocess.Popen[str]:
    """Start ``python -m pytest ARGS`` in ``folder``, as a CI machine runs its part of the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GROQ_"))}
    env |= {"FAKE_GROQ_BASE": server.base_url, "FAKE_GROQ_KEY": server.api_key}
    env["SUITE_RECORDING"] = "1" if recording else ""
    command = [sys.executable, "-m", "pytest", *UNUSED_PLUGINS, *args]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen[str]) -> str:
    """The output of a pytest process, once it has ended."""
    output, _ = process.communicate(timeout=300)
    return output


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGroqServer]:
    with serve_fake_groq() as running:
        yield running


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, server: FakeGroqServer) -> Path:
    """The suite with its cassettes, recorded once."""
    origin = tmp_path_factory.mktemp("origin")
    (origin / "test_suite.py").write_text(SUITE, encoding="utf-8")
    (origin / "pytest.ini").write_text(INI, encoding="utf-8")
    process = _start(origin, server, "--record-mode=once", recording=True)
    output = _finish(process)
    assert process.returncode == 0, output
    assert len(load_cassette(origin / SHARED).interactions) == 3
    return origin


def _machines(origin: Path, root: Path) -> list[Path]:
    """The unsharded machine and 3 shard machines: a copy of the checkout each."""
    folders = []
    for name in ("unsharded", "shard-1", "shard-2", "shard-3"):
        shutil.copytree(origin, root / name)
        folders.append(root / name)
    return folders


def _merge(cwd: Path, *args: str | Path) -> Result:
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["report", "merge", *map(str, args)], catch_exceptions=False)
    finally:
        os.chdir(previous)


def _run_all(machines: list[Path], server: FakeGroqServer, *args: str) -> list[str]:
    """Run the whole suite on the first machine and one shard on each other one, all at once; their outputs."""
    unsharded, *shards = machines
    processes = [_start(unsharded, server, *args, "--groq-vcr-report=report.json")]
    for group, folder in enumerate(shards, start=1):
        xdist = ("-n", "2") if group == 2 else ()
        split = ("--splits", "3", "--group", str(group), "--groq-vcr-fail-unused", *xdist)
        processes.append(_start(folder, server, *args, *split, "--groq-vcr-report=report.json"))
    return [_finish(process) for process in processes]


def _verdict_lines(result: Result) -> list[str]:
    """The merge's output without its first line (which runs it merged)."""
    return result.stdout.splitlines()[1:]


def test_replay_shards_merge_to_the_unsharded_verdict(tmp_path: Path, recorded: Path, server: FakeGroqServer) -> None:
    machines = _machines(recorded, tmp_path)
    runs = _run_all(machines, server, "--record-mode=none", "--block-network")
    unsharded, *shards = (read_report(folder / "report.json") for folder in machines)
    assert "1 failed, 7 passed" in runs[0], runs[0]
    # test_miss fails in whichever shard it landed in; every other test passes.
    assert sorted(" failed" in run.splitlines()[-1] for run in runs[1:]) == [False, False, True], runs
    assert [(r.runs[0].shard, r.runs[0].workers, r.sharded) for r in shards] == [
        ("1/3", 0, True),
        ("2/3", 2, True),
        ("3/3", 0, True),
    ]
    # Alone, shard 1 and shard 3 each call an interaction of the shared cassette unused that the other played.
    assert shards[0].cassettes[SHARED].unused == [1, 2]
    assert shards[2].cassettes[SHARED].unused == [0, 2]
    # --groq-vcr-fail-unused failed no shard's test: the verdict is the merge's.
    assert all("never played" not in run for run in runs[1:])

    reports = [folder / "report.json" for folder in machines[1:]]
    merged = _merge(recorded, "--fail-unused", *reports)
    single = _merge(recorded, "--fail-unused", machines[0] / "report.json")
    assert (merged.exit_code, single.exit_code) == (1, 1)
    assert _verdict_lines(merged) == _verdict_lines(single)
    assert _verdict_lines(merged) == [
        "7 cassettes used: 8 interactions replayed, 0 recorded, 3 unused",
        f"unused: {SHARED} #2 POST /openai/v1/chat/completions never played",
        "unused: cassettes/test_suite/test_miss.yaml #0 POST /openai/v1/chat/completions never played",
        "unused: cassettes/test_suite/test_partial.yaml #1 POST /openai/v1/chat/completions never played",
        "miss: test_suite.py::test_miss: POST "
        + server.base_url
        + "/openai/v1/chat/completions (cassette cassettes/test_suite/test_miss.yaml)",
        "verdict: FAIL: 3 unused interactions, 1 replay miss",
    ]
    assert merged.stdout.splitlines()[0] == "groq-vcr report: 3 runs (shards 1/3, 2/3, 3/3; 2 xdist workers)"
    # The merged JSON is the unsharded run's report, as 'groq-vcr check --unused' reads it.
    as_json = json.loads(_merge(recorded, "--format", "json", *reports).stdout)
    assert as_json["cassettes"] == json.loads(unsharded.to_json())["cassettes"]
    assert as_json["misses"] == json.loads(unsharded.to_json())["misses"]


def test_drift_shards_merge_to_the_unsharded_verdict(tmp_path: Path, recorded: Path, server: FakeGroqServer) -> None:
    machines = _machines(recorded, tmp_path)
    server.config.response_change = ResponseChange(remove=("usage.total_tokens",))
    try:
        _run_all(machines, server, "--groq-vcr-verify")
    finally:
        server.config.response_change = None
    reports = [folder / "report.json" for folder in machines[1:]]
    merged = _merge(recorded, "--fail-unused", "--format", "markdown", *reports)
    single = _merge(recorded, "--fail-unused", "--format", "markdown", machines[0] / "report.json")
    assert merged.exit_code == single.exit_code == 1
    drop_source = [line for line in merged.stdout.splitlines() if not line.startswith("Merged from")]
    assert drop_source == [line for line in single.stdout.splitlines() if not line.startswith("Merged from")]
    assert drop_source[0] == "## groq-vcr: FAIL: 3 unused interactions, 8 drifted responses"
    assert "- `cassettes/test_suite/shared.yaml` #2 POST /openai/v1/chat/completions" in drop_source
    assert "  usage.total_tokens: removed (int)" in drop_source
