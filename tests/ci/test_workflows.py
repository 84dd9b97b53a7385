"""The CI recipe: both workflow files validate, and the scripts they call run here for real.

CI runs the suite twice: with the versions pinned in uv.lock, and with the newest release of every dependency
(``tools/newest-deps.sh``, from ``.ci/run`` and from the replay workflow's ``newest`` job).

``tools/ci-replay.sh`` is run as a subprocess with ``GROQ_VCR_RUN=""`` (the commands of this virtual environment
instead of ``uv run``); the drift workflow's own command line (``groq-vcr drift``) is run as the workflow writes it,
against the local Groq-compatible server through ``GROQ_VCR_BASE_URL``, once as it is and once with a changed
response schema.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from groq_vcr.testing import FakeGroqConfig, ResponseChange, make_fake_api_key, serve_fake_groq

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
RECIPES = ROOT / "docs" / "workflows"
"""Workflows to copy into a project (docs/sharding.md), validated as the project's own are."""
CASSETTES = ROOT / "cassettes"


def script_env(**extra: str) -> dict[str, str]:
    """The environment the scripts run in: this venv's commands first on PATH, no key, no base URL."""
    drop = {"GROQ_API_KEY", "GROQ_BASE_URL", "GROQ_VCR_BASE_URL", "GITHUB_STEP_SUMMARY", "GROQ_VCR_DRIFT_REPORT"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["GROQ_VCR_RUN"] = ""
    env.update(extra)
    return env


def run_script(
    name: str, *args: str | Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``bash tools/<name> ARGS`` from outside the repository (the script finds its own way there)."""
    return subprocess.run(
        ["bash", str(ROOT / "tools" / name), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def load_workflow(name: str, folder: Path = WORKFLOWS) -> dict[Any, Any]:
    data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with its vendored (offline) GitHub workflow schema."""
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, check=False)


# ------------------------------------------------------------------------------------------------ workflow files


def test_every_workflow_passes_the_github_workflow_schema() -> None:
    files = sorted(WORKFLOWS.glob("*.yml")) + sorted(RECIPES.glob("*.yml"))
    assert {f.name for f in files} >= {"replay.yml", "drift.yml", "sharded.yml", "sharded-drift.yml"}
    result = validate(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_the_validator_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = load_workflow("replay.yml")
    del broken["jobs"]["replay"]["runs-on"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = validate(path)
    assert result.returncode == 1
    assert "runs-on" in result.stdout


def test_replay_workflow_runs_the_replay_script_on_every_push() -> None:
    workflow = load_workflow("replay.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request"}
    steps = workflow["jobs"]["replay"]["steps"]
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == [
        "actions/checkout",
        "actions/setup-python",
        "astral-sh/setup-uv",
    ]
    assert [s["run"] for s in steps if "run" in s] == ["tools/ci-replay.sh"]
    assert "secrets." not in (WORKFLOWS / "replay.yml").read_text(encoding="utf-8"), "replay needs no key"


def test_replay_workflow_runs_again_on_the_newest_releases() -> None:
    jobs = load_workflow("replay.yml")["jobs"]
    assert set(jobs) == {"replay", "newest"}
    locked, newest = jobs["replay"]["steps"], jobs["newest"]["steps"]
    assert [s["uses"] for s in newest if "uses" in s] == [s["uses"] for s in locked if "uses" in s]
    assert [s["run"] for s in newest if "run" in s] == ["tools/newest-deps.sh tools/ci-replay.sh"]


def test_ci_entry_point_runs_the_readme_command_then_the_newest_releases() -> None:
    commands = [
        line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line and line[0] not in "#"
    ]
    assert "\nuv run --extra dev pytest -n auto " in (ROOT / "README.md").read_text(encoding="utf-8")
    assert commands[-3:-1] == ["uv run --extra dev pytest -n auto", "tools/newest-deps.sh pytest -n auto"]
    assert commands[-1].startswith('GROQ_VCR_PINS="vcrpy=='), "then the oldest vcrpy release"
    assert "uv.lock" not in " ".join(commands), "uv.lock is never rewritten"


def test_newest_deps_without_a_command_is_a_usage_error() -> None:
    result = run_script("newest-deps.sh", env=script_env())
    assert result.returncode == 2
    assert result.stderr == "usage: tools/newest-deps.sh COMMAND [ARGS...]\n"


def test_drift_workflow_is_scheduled_with_the_key_from_secrets() -> None:
    workflow = load_workflow("drift.yml")
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}
    steps = workflow["jobs"]["drift"]["steps"]
    (drift,) = [s for s in steps if "run" in s]
    assert drift["run"].startswith("uv run groq-vcr drift cassettes ")
    assert drift["env"]["GROQ_API_KEY"] == "${{ secrets.GROQ_API_KEY }}"
    (keep,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert keep["if"] == "always()"


# ------------------------------------------------------------------------------------------------ sharded runs


def _steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    steps = workflow["jobs"][job]["steps"]
    assert isinstance(steps, list)
    return steps


def _shards_and_verdict(workflow: dict[Any, Any]) -> tuple[str, str]:
    """The shard job's pytest command and the verdict job's merge command; checks what joins them."""
    shard, verdict = workflow["jobs"]["shard"], workflow["jobs"]["verdict"]
    assert shard["strategy"]["matrix"]["group"] == [1, 2, 3]
    assert shard["strategy"]["fail-fast"] is False, "every shard runs to the end and leaves its report"
    (pytest_step,) = [s for s in shard["steps"] if "pytest" in s.get("run", "")]
    command = " ".join(pytest_step["run"].split())
    assert "--splits 3 --group ${{ matrix.group }}" in command
    report = "${{ runner.temp }}/groq-vcr-report-${{ matrix.group }}.json"
    assert f'--groq-vcr-report="{report}"' in command
    (upload,) = [s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["if"] == "always()", "a shard whose tests fail still hands over its report"
    assert (upload["with"]["name"], upload["with"]["path"]) == ("groq-vcr-report-${{ matrix.group }}", report)
    assert (verdict["needs"], verdict["if"]) == ("shard", "always()")
    (download,) = [s for s in verdict["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
    assert download["with"] == {"pattern": "groq-vcr-report-*", "path": "reports", "merge-multiple": True}
    (merge,) = [s["run"] for s in verdict["steps"] if "report merge" in s.get("run", "")]
    assert merge.endswith('--format markdown | tee -a "$GITHUB_STEP_SUMMARY"')
    return command, merge


def test_sharded_replay_merges_three_offline_shards_and_fails_on_unused() -> None:
    workflow = load_workflow("sharded.yml")
    command, merge = _shards_and_verdict(workflow)
    assert "--record-mode=none --block-network" in command
    assert " -n 2 " in command
    assert "reports/*.json --fail-unused" in merge
    assert "secrets." not in (WORKFLOWS / "sharded.yml").read_text(encoding="utf-8"), "replay needs no key"


def test_sharded_drift_is_scheduled_verifies_live_and_shares_the_limits() -> None:
    workflow = load_workflow("sharded-drift.yml", RECIPES)
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}
    command, merge = _shards_and_verdict(workflow)
    assert "--groq-vcr-verify" in command
    assert "--groq-vcr-rate-share" not in command, "--splits 3 gives each shard 1/3 of the limits"
    (verify,) = [s for s in _steps(workflow, "shard") if "pytest" in s.get("run", "")]
    assert verify["env"]["GROQ_API_KEY"] == "${{ secrets.GROQ_API_KEY }}"
    assert "report merge reports/*.json --format markdown" in merge


def test_the_sharded_replay_commands_run_here(tmp_path: Path) -> None:
    """The shard command of sharded.yml, run as 3 shards on the seed cassettes' tests, then the verdict's merge."""
    workflow = load_workflow("sharded.yml")
    command, merge = _shards_and_verdict(workflow)
    env = script_env()
    reports = tmp_path / "reports"
    reports.mkdir()
    for group in (1, 2, 3):
        shard = command.replace("${{ matrix.group }}", str(group)).replace("${{ runner.temp }}", str(reports))
        shard = shard.replace("uv run --extra dev ", "") + " -p no:cacheprovider tests/e2e/test_seed_cassettes.py"
        done = subprocess.run(["bash", "-c", shard], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"sharded run (pytest-split group {group}/3)" in done.stdout
    summary = tmp_path / "summary.md"
    verdict = merge.replace("uv run ", "")
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", verdict], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary.read_text(encoding="utf-8") == done.stdout
    assert done.stdout.startswith("## groq-vcr: OK\n\nMerged from 3 runs (shards 1/3, 2/3, 3/3; 6 xdist workers).")


# ------------------------------------------------------------------------------------------------ ci-replay.sh


def test_ci_replay_checks_scans_and_replays_with_the_network_blocked(tmp_path: Path) -> None:
    probe = tmp_path / "test_blocked_probe.py"
    probe.write_text(
        "import socket\nimport pytest\n\n\n"
        "def test_a_remote_connection_is_refused():\n"
        "    with socket.socket() as sock, pytest.raises(RuntimeError, match='Network is disabled'):\n"
        "        sock.connect(('192.0.2.1', 443))\n",
        encoding="utf-8",
    )
    result = run_script(
        "ci-replay.sh", "tests/e2e/test_seed_cassettes.py", probe, "-p", "no:randomly", env=script_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "::group::groq-vcr check cassettes" in out
    assert "::group::groq-vcr scan cassettes" in out
    assert "created: 2/2 workers" in out
    assert "8 passed" in out
    assert "5 interactions replayed, 0 recorded" in out


def test_ci_replay_stops_on_a_cassette_that_holds_a_secret(tmp_path: Path) -> None:
    leaky = tmp_path / "cassettes"
    leaky.mkdir()
    text = (CASSETTES / "seeds" / "vision_ocr_001.yaml").read_text(encoding="utf-8")
    key = make_fake_api_key()
    marker = "        headers:\n"
    leaked = text.replace(marker, marker + f"            Authorization:\n                - Bearer {key}\n", 1)
    (leaky / "leak.yaml").write_text(leaked, encoding="utf-8")
    result = run_script("ci-replay.sh", env=script_env(GROQ_VCR_CASSETTES=str(leaky)))
    assert result.returncode == 1
    assert "groq-api-key" in result.stdout + result.stderr
    assert key not in result.stdout + result.stderr
    assert "passed" not in result.stdout, "the tests must not run after a failed scan"


# ------------------------------------------------------------------------------------------------ the drift job


def run_drift_step(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The drift workflow's command line as written there, in this venv and from the repository's root."""
    (drift,) = [s for s in load_workflow("drift.yml")["jobs"]["drift"]["steps"] if "run" in s]
    command = drift["run"].replace("$RUNNER_TEMP", str(tmp_path))
    argv = shlex.split(command)
    assert argv[:2] == ["uv", "run"]
    return subprocess.run(
        [str(Path(sys.executable).parent / argv[2]), *argv[3:]],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_the_drift_job_against_an_unchanged_server_reports_no_drift(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in CASSETTES.rglob("*.yaml")}
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier steps\n", encoding="utf-8")
    with serve_fake_groq(FakeGroqConfig()) as server:
        env = script_env(
            GROQ_API_KEY=server.api_key, GROQ_VCR_BASE_URL=server.groq_base_url, GITHUB_STEP_SUMMARY=str(summary)
        )
        result = run_drift_step(tmp_path, env)
        assert server.config.count("/chat/completions") == 4, "every committed chat call was sent again"
    assert result.returncode == 0, result.stdout + result.stderr
    report = (tmp_path / "drift-report.md").read_text(encoding="utf-8")
    assert report.startswith("## Schema drift: OK: 0 breaking, 0 additive, 0 info in 4 interaction(s) of 4 cassette(s)")
    assert "- `cassettes/seeds/audio_translation.yaml` #0 POST" in report  # imported without its audio: not re-sent
    assert (tmp_path / "drift-report.json").is_file()
    assert summary.read_text(encoding="utf-8") == "# earlier steps\n" + report
    assert server.api_key not in result.stdout + result.stderr + report
    assert {p: p.read_bytes() for p in CASSETTES.rglob("*.yaml")} == before, "the drift run must not touch cassettes/"


def test_the_drift_job_fails_on_a_changed_schema_with_a_markdown_summary(tmp_path: Path) -> None:
    change = ResponseChange(remove=("usage.total_tokens",), add={"usage.cost": 0.5})
    summary = tmp_path / "summary.md"
    with serve_fake_groq(FakeGroqConfig(response_change=change)) as server:
        env = script_env(
            GROQ_API_KEY=server.api_key, GROQ_VCR_BASE_URL=server.groq_base_url, GITHUB_STEP_SUMMARY=str(summary)
        )
        result = run_drift_step(tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    report = summary.read_text(encoding="utf-8")
    assert report.startswith("## Schema drift: DRIFT: ")
    assert (
        "- `usage.total_tokens`: removed (int) — 4 interactions: POST /openai/v1/chat/completions in "
        "`cassettes/groq_chat_stream.yaml` #0, " in report
    )
    assert "- `usage.cost`: added (float) — " in report


def test_the_drift_job_without_a_key_exits_2(tmp_path: Path) -> None:
    result = run_drift_step(tmp_path, script_env())
    assert result.returncode == 2
    assert result.stderr.startswith("error: GROQ_API_KEY is not set")


@pytest.mark.parametrize("script", ["ci-replay.sh", "newest-deps.sh"])
def test_scripts_are_strict_bash(script: str) -> None:
    text = (ROOT / "tools" / script).read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(ROOT / "tools" / script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(ROOT / "tools" / script)], check=False).returncode == 0
