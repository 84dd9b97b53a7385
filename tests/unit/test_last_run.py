"""The end-of-run record: every session's stats merged into one entry per cassette, written and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groq_vcr import GroqVcrError
from groq_vcr.engine._last_run import read_last_run, write_last_run
from groq_vcr.engine._session import SessionStats


def test_sessions_sharing_a_cassette_leave_unused_only_what_none_played(tmp_path: Path) -> None:
    shared, other = tmp_path / "shared.yaml", tmp_path / "other.yaml"
    path = write_last_run(
        tmp_path / "last-run.json",
        [
            SessionStats(str(shared), loaded=3, replayed=1, unused=[1, 2]),
            SessionStats(str(shared), loaded=3, replayed=1, unused=[0, 2]),
            SessionStats(str(other), loaded=2, replayed=2),
        ],
    )
    record = read_last_run(path)
    use = record.use_of(shared)
    assert use is not None
    assert (use.interactions, use.opened, use.unused, use.saved) == (3, 2, [2], False)
    assert record.use_of(other) is not None
    assert record.use_of(tmp_path / "never.yaml") is None
    assert record.finished == json.loads(path.read_text(encoding="utf-8"))["finished"]


def test_a_cassette_saved_by_the_run_counts_as_fully_used(tmp_path: Path) -> None:
    cassette = tmp_path / "c.yaml"
    stats = [
        SessionStats(str(cassette), loaded=1, replayed=0, unused=[0]),
        SessionStats(str(cassette), loaded=1, recorded=1, unused=[0], saved=True),
    ]
    use = read_last_run(write_last_run(tmp_path / "last-run.json", stats)).use_of(cassette)
    assert use is not None
    assert (use.saved, use.unused) == (True, [])


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist: run the test suite first"), ("{}", "is not a groq-vcr run report")],
)
def test_an_unreadable_record_says_what_to_do(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "last-run.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(GroqVcrError, match=message):
        read_last_run(path)
