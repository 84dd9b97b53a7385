"""``groq-vcr report merge``: the reports of every shard of a suite merged into one verdict."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from groq_vcr import Cassette, Interaction, Request, Response, save_cassette
from groq_vcr.engine import SessionStats
from groq_vcr.report import RunInfo, report_from_stats

Invoke = Callable[..., Result]
DOCS = Path(__file__).resolve().parents[2] / "docs"
DRIFTED = {
    "label": "#0 POST /openai/v1/chat/completions",
    "ok": False,
    "summary": "1 breaking, 0 additive, 0 info",
    "text": "1 breaking, 0 additive, 0 info\nbreaking:\n  usage.total_tokens: removed (int)",
    "index": 0,
}


def _cassette(path: Path, *texts: str) -> Path:
    interactions = []
    for text in texts:
        body = json.dumps({"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": text}]})
        request = Request(
            body=body,
            content_length=len(body),
            headers={"Content-Type": ["application/json"]},
            url="https://api.groq.com/openai/v1/chat/completions",
            method="POST",
        )
        interactions.append(Interaction(request, Response(body='{"id":"x"}', content_length=10)))
    path.parent.mkdir(parents=True, exist_ok=True)
    save_cassette(path, Cassette(interactions=interactions))
    return path


def _report(root: Path, name: str, shard: str, *stats: SessionStats) -> Path:
    run = RunInfo(finished="2026-01-02T03:04:05+00:00", shard=shard, sharding="pytest-split", workers=2, sharded=True)
    path = root / "reports" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_from_stats(stats, rootdir=root, run=run).to_json())
    return path


def _two_shards(root: Path) -> tuple[Path, Path]:
    shared = str(_cassette(root / "cassettes" / "shared.yaml", "a", "b", "c"))
    one = _report(root, "1.json", "1/2", SessionStats(shared, loaded=3, replayed=1, unused=[1, 2]))
    two = _report(root, "2.json", "2/2", SessionStats(shared, loaded=3, replayed=1, unused=[0, 2]))
    return one, two


def test_only_what_no_shard_played_is_unused(tmp_path: Path, invoke_cli: Invoke) -> None:
    one, two = _two_shards(tmp_path)
    alone = invoke_cli("report", "merge", "--fail-unused", one)
    assert alone.exit_code == 1
    assert "unused: cassettes/shared.yaml #1 POST /openai/v1/chat/completions never played" in alone.stdout
    done = invoke_cli("report", "merge", one, two)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "groq-vcr report: 2 runs (shards 1/2, 2/2; 4 xdist workers)",
        "1 cassette used: 2 interactions replayed, 0 recorded, 1 unused",
        "unused: cassettes/shared.yaml #2 POST /openai/v1/chat/completions never played",
        "(unused interactions do not fail without --fail-unused)",
        "verdict: OK",
    ]
    failed = invoke_cli("report", "merge", "--fail-unused", one, two)
    assert failed.exit_code == 1
    assert failed.stdout.endswith("verdict: FAIL: 1 unused interaction\n")
    assert failed.stdout == _documented("$ groq-vcr report merge reports/*.json --fail-unused"), "docs/sharding.md"


def _documented(command: str) -> str:
    """The output docs/sharding.md shows under ``command`` in a console block."""
    text = (DOCS / "sharding.md").read_text(encoding="utf-8")
    block = text.split(command + "\n", 1)[1].split("```", 1)[0]
    return block


def test_markdown_is_a_job_summary_and_drift_fails(tmp_path: Path, invoke_cli: Invoke) -> None:
    one, _ = _two_shards(tmp_path)
    drifted = _report(
        tmp_path, "3.json", "1/1", SessionStats(str(tmp_path / "cassettes" / "shared.yaml"), verified=[DRIFTED])
    )
    done = invoke_cli("report", "merge", "--format", "markdown", one, drifted)
    assert done.exit_code == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "## groq-vcr: FAIL: 1 drifted response"
    heading = "#### `cassettes/shared.yaml` #0 POST /openai/v1/chat/completions: 1 breaking, 0 additive, 0 info"
    assert f"{heading} (fails)" in lines
    assert "  usage.total_tokens: removed (int)" in lines


def test_the_merged_report_feeds_check_unused(tmp_path: Path, invoke_cli: Invoke) -> None:
    one, two = _two_shards(tmp_path)
    _cassette(tmp_path / "cassettes" / "dead.yaml", "z")
    done = invoke_cli("report", "merge", "--format", "json", "-o", "merged.json", one, two)
    assert done.exit_code == 0
    document = json.loads(done.stdout)
    assert document == json.loads((tmp_path / "merged.json").read_text())
    assert [(c["path"], c["unused"]) for c in document["cassettes"]] == [("cassettes/shared.yaml", [2])]
    check = invoke_cli("check", "--unused", "--last-run", "merged.json", "cassettes")
    assert check.exit_code == 1
    assert [line.split(" in the last run")[0] for line in check.stdout.splitlines()] == [
        "cassettes/dead.yaml: unused: no test opened this cassette",
        "cassettes/shared.yaml: unused: #2 POST /openai/v1/chat/completions never played",
    ]


def test_a_missing_or_foreign_report_is_a_usage_error(tmp_path: Path, invoke_cli: Invoke) -> None:
    one, _ = _two_shards(tmp_path)
    done = invoke_cli("report", "merge", one, "reports/missing.json")
    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        "error: reports/missing.json does not exist",
        "hint: pass the JSON files the pytest plugin wrote (--groq-vcr-report FILE in each shard)",
    ]
    (tmp_path / "other.json").write_text('{"tool": "something else"}')
    done = invoke_cli("report", "merge", "other.json")
    assert done.exit_code == 2
    assert done.stderr.startswith("error: other.json is not a groq-vcr run report")
