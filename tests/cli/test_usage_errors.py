"""One error format everywhere: click's own usage errors come out as an ``error:`` line and a ``hint:`` line, like
every other groq-vcr error, from the real console script."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (
            ("diff", "old.yaml", "new.yaml"),
            "error: Invalid value for 'OLD': Path 'old.yaml' does not exist.",
            "hint: usage: groq-vcr diff [OPTIONS] OLD NEW; run 'groq-vcr diff --help' for the details",
        ),
        (
            ("record", "--curl", "curl https://api.groq.com/openai/v1/models"),
            "error: Missing option '-o' / '--output'.",
            "hint: usage: groq-vcr record [OPTIONS]; run 'groq-vcr record --help' for the details",
        ),
        (
            ("nosuch",),
            "error: No such command 'nosuch'.",
            "hint: usage: groq-vcr [OPTIONS] COMMAND [ARGS]...; run 'groq-vcr --help' for the details",
        ),
        (
            ("--bogus",),
            "error: No such option '--bogus'.",
            "hint: usage: groq-vcr [OPTIONS] COMMAND [ARGS]...; run 'groq-vcr --help' for the details",
        ),
        (
            ("convert", "--to", "v2", ".", "--in-place", "-o", "x.yaml"),
            "error: --in-place writes each file where it is: leave out -o/--output.",
            "hint: usage: groq-vcr convert [OPTIONS] SRC...; run 'groq-vcr convert --help' for the details",
        ),
        (
            ("convert", "."),
            "error: Missing option '--to'. Choose from: v2, v1",
            "hint: usage: groq-vcr convert [OPTIONS] SRC...; run 'groq-vcr convert --help' for the details",
        ),
    ],
)
def test_click_usage_errors_are_an_error_line_and_a_hint_line(
    run_cli: Run, args: tuple[str, ...], error: str, hint: str
) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [error, hint]


def test_a_curl_option_that_changes_how_the_call_is_sent_is_refused_before_anything_is_sent(
    run_cli: Run, tmp_path: Path
) -> None:
    result = run_cli("record", "-o", "c.yaml", "--curl", "curl -k https://api.groq.com/openai/v1/models")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'error: curl command 1 (--curl:1) "curl -k https://api.groq.com/openai/v1/models": curl option -k is not '
        "followed: groq-vcr record always verifies TLS certificates; remove it (a local server over http:// needs "
        "no -k)",
        "hint: nothing was sent or written; fix the input (see: groq-vcr record --help)",
    ]
    assert not (tmp_path / "c.yaml").exists()


def test_groq_vcr_alone_still_shows_the_help(run_cli: Run) -> None:
    result = run_cli()
    assert "Commands:" in result.stdout + result.stderr
    assert "error:" not in result.stderr


def test_a_usage_error_of_a_nested_command_has_its_own_usage_line(run_cli: Run) -> None:
    result = run_cli("report", "merge")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: Missing argument")
    assert lines[1].startswith("hint: usage: groq-vcr report merge [OPTIONS] ")
