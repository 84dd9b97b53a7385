"""``groq-vcr check --max-age`` (stale cassettes) and ``--unused`` (what the last pytest run never played)."""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from groq_vcr import Cassette, Interaction, Request, Response, save_cassette

Invoke = Callable[..., Result]
NOW = datetime.now(UTC)


def _cassette(path: Path, *dates: datetime | None, texts: tuple[str, ...] = ()) -> Path:
    """A cassette with one chat interaction per date (None: a response without a Date header)."""
    interactions = []
    for index, date in enumerate(dates):
        text = texts[index] if index < len(texts) else f"hello {index}"
        body = json.dumps({"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": text}]})
        headers = {"Content-Type": ["application/json"]}
        if date is not None:
            headers["Date"] = [email.utils.format_datetime(date, usegmt=True)]
        interactions.append(
            Interaction(
                Request(
                    body=body,
                    content_length=len(body),
                    headers={"Content-Type": ["application/json"]},
                    url="https://api.groq.com/openai/v1/chat/completions",
                    method="POST",
                ),
                Response(body='{"id":"x"}', headers=headers, content_length=10),
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    save_cassette(path, Cassette(interactions=interactions))
    return path


# --- --max-age ---------------------------------------------------------------------------------------------


def test_max_age_lists_stale_cassettes_and_notes_undated_ones(tmp_path: Path, invoke_cli: Invoke) -> None:
    _cassette(tmp_path / "cassettes" / "fresh.yaml", NOW - timedelta(days=2))
    # The newest Date counts: one old response in a cassette re-recorded since does not make it stale.
    _cassette(tmp_path / "cassettes" / "mixed.yaml", NOW - timedelta(days=90), NOW - timedelta(days=1))
    _cassette(tmp_path / "cassettes" / "old.yaml", NOW - timedelta(days=45, hours=1), None)
    _cassette(tmp_path / "cassettes" / "undated.yaml", None)
    done = invoke_cli("check", "--max-age", "30d", "cassettes")
    assert done.exit_code == 1, done.stderr
    old_date = (NOW - timedelta(days=45, hours=1)).strftime("%Y-%m-%d %H:%M")
    assert done.stdout.splitlines() == [
        f"cassettes/old.yaml: stale: recorded {old_date} UTC (45d ago), older than the maximum age of 30d",
        "cassettes/undated.yaml: note: age unknown (no response has a Date header); --max-age cannot judge it",
    ]
    assert done.stderr == "1 problem(s) in 1 of 4 cassette(s)\n"


def test_max_age_passes_when_everything_is_recent(tmp_path: Path, invoke_cli: Invoke) -> None:
    _cassette(tmp_path / "a.yaml", NOW - timedelta(hours=3))
    done = invoke_cli("check", "--max-age", "1d", "a.yaml")
    assert (done.exit_code, done.stdout, done.stderr) == (0, "", "1 cassette(s) OK\n")
    done = invoke_cli("check", "--max-age", "2h", "a.yaml")
    assert done.exit_code == 1
    assert "a.yaml: stale: recorded " in done.stdout
    assert re.search(r"\(3h(\d+m)? ago\), older than the maximum age of 2h$", done.stdout.strip())


@pytest.mark.parametrize("value", ["30 days", "off", "-3d"])
def test_max_age_must_be_an_age(tmp_path: Path, invoke_cli: Invoke, value: str) -> None:
    _cassette(tmp_path / "a.yaml", NOW)
    done = invoke_cli("check", "--max-age", value, "a.yaml")
    assert done.exit_code == 2
    assert "--max-age" in done.stderr
    assert "Traceback" not in done.stderr


def test_format_problems_still_come_first(tmp_path: Path, invoke_cli: Invoke) -> None:
    (tmp_path / "broken.yaml").write_text("---\nversion: 3\ninteractions: []\n")
    done = invoke_cli("check", "--max-age", "30d", "broken.yaml")
    assert done.exit_code == 1
    assert done.stdout.startswith("broken.yaml:2")
    assert "stale" not in done.stdout


# --- --unused ----------------------------------------------------------------------------------------------


FINISHED = "2026-01-02T03:04:05+00:00"
RECORD = Path(".pytest_cache") / "d" / "groq-vcr" / "last-run.json"
"""Where the pytest plugin writes the record: its folder in pytest's cache (relative to the rootdir)."""


def _last_run(path: Path, *uses: tuple[Path, int, list[int]], saved: tuple[Path, ...] = ()) -> Path:
    """Write the end-of-run record the pytest plugin leaves in pytest's cache (version 1): for each
    cassette the run opened, how many interactions it held and which of them no test played."""
    cassettes = [
        {"path": str(cassette.resolve()), "interactions": held, "opened": 1, "unused": unused, "saved": False}
        for cassette, held, unused in uses
    ]
    cassettes += [
        {"path": str(cassette.resolve()), "interactions": 1, "opened": 1, "unused": [], "saved": True}
        for cassette in saved
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "finished": FINISHED, "cassettes": cassettes}), encoding="utf-8")
    return path


def test_unused_lists_unplayed_interactions_and_unopened_cassettes(tmp_path: Path, invoke_cli: Invoke) -> None:
    used = _cassette(tmp_path / "cassettes" / "used.yaml", NOW, NOW, texts=("first", "second"))
    partly = _cassette(tmp_path / "cassettes" / "partly.yaml", NOW, NOW, NOW, texts=("a", "b", "c"))
    _cassette(tmp_path / "cassettes" / "dead.yaml", NOW)
    # A cassette the run saved holds what it recorded: all used.
    rewritten = _cassette(tmp_path / "cassettes" / "rewritten.yaml", NOW)
    _last_run(tmp_path / RECORD, (used, 2, []), (partly, 3, [2]), saved=(rewritten,))
    done = invoke_cli("check", "--unused", "cassettes")
    assert done.exit_code == 1, done.stderr
    assert done.stdout.splitlines() == [
        f"cassettes/dead.yaml: unused: no test opened this cassette in the last run ({FINISHED})",
        f"cassettes/partly.yaml: unused: #2 POST /openai/v1/chat/completions never played in the last run ({FINISHED})",
    ]
    assert done.stderr == "2 problem(s) in 2 of 4 cassette(s)\n"


def test_unused_finds_the_record_in_a_parent_folder_or_takes_a_path(tmp_path: Path, invoke_cli: Invoke) -> None:
    cassette = _cassette(tmp_path / "cassettes" / "a.yaml", NOW)
    _last_run(tmp_path / RECORD, (cassette, 1, []))
    assert invoke_cli("check", "--unused", "cassettes").exit_code == 0
    # Older versions wrote .groq-vcr/last-run.json: still read, but pytest's cache comes first in each folder.
    _last_run(tmp_path / ".groq-vcr" / "last-run.json", (cassette, 1, [0]))
    assert invoke_cli("check", "--unused", "cassettes").exit_code == 0
    (tmp_path / RECORD).unlink()
    assert invoke_cli("check", "--unused", "cassettes").exit_code == 1
    elsewhere = _last_run(tmp_path / "other.json", (cassette, 1, [0]))
    done = invoke_cli("check", "--unused", "--last-run", elsewhere, "cassettes")
    assert done.exit_code == 1
    assert "cassettes/a.yaml: unused: #0 POST /openai/v1/chat/completions never played" in done.stdout


def test_unused_notes_a_cassette_that_changed_since_the_run(tmp_path: Path, invoke_cli: Invoke) -> None:
    cassette = _cassette(tmp_path / "a.yaml", NOW, NOW, texts=("x", "y"))
    _last_run(tmp_path / RECORD, (cassette, 3, [1, 2]))
    done = invoke_cli("check", "--unused", "a.yaml")
    assert done.exit_code == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("a.yaml: unused: #1 POST /openai/v1/chat/completions never played")
    assert lines[1].startswith("a.yaml: unused: interaction #2 never played")
    assert lines[2].startswith("a.yaml: note: it held 3 interaction(s) in the last run")


def test_unused_without_a_record_says_how_to_make_one(tmp_path: Path, invoke_cli: Invoke) -> None:
    _cassette(tmp_path / "a.yaml", NOW)
    done = invoke_cli("check", "--unused", "a.yaml")
    assert done.exit_code == 2
    assert "last-run.json does not exist: run the test suite first" in done.stderr
    (tmp_path / "bad.json").write_text("{}")
    done = invoke_cli("check", "--unused", "--last-run", "bad.json", "a.yaml")
    assert done.exit_code == 2
    assert "bad.json is not a groq-vcr run report" in done.stderr
