"""The run report: built from a run's session stats, written and read back, merged across shards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groq_vcr import GroqVcrError
from groq_vcr.engine import SessionStats
from groq_vcr.engine._last_run import read_last_run, write_last_run
from groq_vcr.report import (
    RunInfo,
    RunReport,
    merge_reports,
    read_report,
    render_markdown,
    render_text,
    report_from_stats,
    verdict_of,
)

DRIFTED = {"label": "#0 POST /openai/v1/chat/completions", "ok": False, "summary": "1 breaking, 0 additive, 0 info"}
DRIFTED |= {"text": "1 breaking, 0 additive, 0 info\nbreaking:\n  usage.total_tokens: removed (int)", "index": 0}
MISS = {"request": "POST https://api.groq.com/openai/v1/chat/completions", "message": "No recorded interaction ..."}


def _shard(root: Path, number: int, *stats: SessionStats) -> RunReport:
    run = RunInfo(finished=f"2026-01-0{number}T00:00:00+00:00", shard=f"{number}/3", sharding="pytest-split")
    return report_from_stats(stats, rootdir=root, run=run)


def test_paths_are_relative_to_the_rootdir_so_machines_agree(tmp_path: Path) -> None:
    inside = tmp_path / "project" / "tests" / "cassettes" / "a.yaml"
    outside = tmp_path / "elsewhere" / "b.yaml"
    (tmp_path / "project").mkdir()
    report = report_from_stats(
        [SessionStats(str(inside), loaded=2, unused=[1]), SessionStats(str(outside), loaded=1)],
        rootdir=tmp_path / "project",
        run=RunInfo(finished="2026-01-01T00:00:00+00:00"),
    )
    assert sorted(report.cassettes) == [str(outside.resolve()), "tests/cassettes/a.yaml"]
    document = json.loads(report.to_json())
    assert (document["format"], document["version"], document["finished"]) == (
        "groq-vcr run report",
        2,
        "2026-01-01T00:00:00+00:00",
    )
    # Read back from another folder: relative paths resolve against the rootdir when it exists here.
    copy = tmp_path / "copy.json"
    copy.write_text(report.to_json())
    again = read_report(copy)
    assert again.use_of(inside) == report.cassettes["tests/cassettes/a.yaml"]
    assert again.use_of(outside) is not None
    assert again.use_of(tmp_path / "project" / "never.yaml") is None


def test_an_interaction_is_unused_only_when_no_shard_played_it(tmp_path: Path) -> None:
    a, b, c = (str(tmp_path / "cassettes" / f"{name}.yaml") for name in "abc")
    one = _shard(tmp_path, 1, SessionStats(a, loaded=3, replayed=1, unused=[1, 2]), SessionStats(b, loaded=1))
    two = _shard(tmp_path, 2, SessionStats(a, loaded=3, replayed=2, unused=[0, 2]))
    three = _shard(tmp_path, 3, SessionStats(c, loaded=2, recorded=2, unused=[0, 1], saved=True))
    assert one.unused == [("cassettes/a.yaml", 1), ("cassettes/a.yaml", 2)]  # what shard 1 alone would say
    merged = merge_reports([one, two, three])
    assert merged.unused == [("cassettes/a.yaml", 2)]
    use = merged.cassettes["cassettes/a.yaml"]
    assert (use.opened, use.replayed, use.interactions) == (2, 3, 3)
    assert merged.cassettes["cassettes/c.yaml"].unused == [], "a cassette a shard saved holds what it recorded"
    assert [run.shard for run in merged.runs] == ["1/3", "2/3", "3/3"]
    assert merged.finished == "2026-01-03T00:00:00+00:00"
    # Merging is associative: a merged report merges again to the same result.
    assert merge_reports([merge_reports([one, two]), three]).to_dict() == merged.to_dict()


def test_drift_and_misses_are_listed_once_each(tmp_path: Path) -> None:
    path = str(tmp_path / "a.yaml")
    one = _shard(tmp_path, 1, SessionStats(path, loaded=1, verified=[DRIFTED], misses=[MISS], test="t.py::test_a"))
    two = _shard(tmp_path, 2, SessionStats(path, loaded=1, verified=[DRIFTED], test="t.py::test_b"))
    merged = merge_reports([one, two])
    assert [(f.cassette, f.index, f.ok) for f in merged.drift] == [("a.yaml", 0, False)]
    assert [(m.test, m.request) for m in merged.misses] == [("t.py::test_a", MISS["request"])]
    assert verdict_of(merged, fail_unused=False).describe() == "FAIL: 1 drifted response, 1 replay miss"


def test_the_verdict_fails_on_unused_only_when_asked(tmp_path: Path) -> None:
    report = _shard(tmp_path, 1, SessionStats(str(tmp_path / "a.yaml"), loaded=2, replayed=1, unused=[1]))
    assert not verdict_of(report, fail_unused=False).failed
    text = render_text(report, fail_unused=False)
    assert "unused: a.yaml #1 never played" in text
    assert text.endswith("verdict: OK\n")
    assert render_text(report, fail_unused=True).endswith("verdict: FAIL: 1 unused interaction\n")
    markdown = render_markdown(report, fail_unused=True, label=lambda path, index: f"#{index} GET /x")
    assert markdown.startswith("## groq-vcr: FAIL: 1 unused interaction\n")
    assert "| 1 | 1 | 0 | 1 | 0 | 0 |" in markdown
    assert "- `a.yaml` #1 GET /x" in markdown


def test_a_version_1_record_is_still_read(tmp_path: Path) -> None:
    cassette = tmp_path / "a.yaml"
    path = tmp_path / "last-run.json"
    entry = {"path": str(cassette), "interactions": 2, "opened": 1, "unused": [1], "saved": False}
    path.write_text(json.dumps({"version": 1, "finished": "2025-05-05T00:00:00+00:00", "cassettes": [entry]}))
    record = read_last_run(path)
    assert record.finished == "2025-05-05T00:00:00+00:00"
    use = record.use_of(cassette)
    assert use is not None
    assert use.unused == [1]


def test_the_plugin_record_and_the_merge_input_are_one_format(tmp_path: Path) -> None:
    stats = [SessionStats(str(tmp_path / "a.yaml"), loaded=2, replayed=1, unused=[1])]
    run = RunInfo(finished="2026-01-01T00:00:00+00:00", shard="1/2", sharding="pytest-split", sharded=True)
    written = write_last_run(tmp_path / "r.json", stats, rootdir=tmp_path, run=run)
    assert read_report(written).to_dict() == read_last_run(written).to_dict()
    assert read_report(written).sharded


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"version": 7}', "is not a groq-vcr run report"),
        ('{"version": 2, "cassettes": [{"interactions": 1}]}', "is a damaged groq-vcr run report"),
        ("not json", "cannot read the run report"),
    ],
)
def test_an_unreadable_report_names_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(GroqVcrError, match=message):
        read_report(path)
