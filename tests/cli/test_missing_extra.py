"""Commands that need the ``server`` extra say which extra to install when it is missing (and exit 2).

Each run is a real process whose interpreter hides packages of the extra (``sys.modules[name] = None``
makes ``import name`` fail as when it is not installed) before running the CLI's entry point.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI_HIDING = """
import sys

hidden, *args = sys.argv[1:]
for name in hidden.split(","):
    sys.modules[name] = None
from groq_vcr.cli import main

sys.exit(main(args))
"""

EVERYTHING = "uvicorn,starlette,python_multipart,multipart,groq"


def run_hiding(tmp_path: Path, hidden: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI_HIDING, hidden, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("hidden", "args", "problem"),
    [
        ("groq", ["demo", "--out", "out"], "groq-vcr demo needs groq"),
        (EVERYTHING, ["demo", "--out", "out"], "groq-vcr demo needs uvicorn, starlette, python-multipart and groq"),
        ("uvicorn", ["serve", "cassettes"], "groq-vcr serve needs uvicorn"),
        ("starlette", ["proxy", "--cassette", "out/c.yaml"], "groq-vcr proxy needs starlette"),
    ],
)
def test_a_command_without_the_server_extra_names_it_and_exits_2(
    tmp_path: Path, hidden: str, args: list[str], problem: str
) -> None:
    result = run_hiding(tmp_path, hidden, *args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error.startswith(f"error: {problem} (groq-vcr's server extra), which ")
    assert error.endswith(" not installed.")
    assert hint == "hint: pip install 'groq-vcr[server]'"
    assert not (tmp_path / "out").exists(), "nothing ran"


def test_help_and_the_other_commands_work_without_the_extra(tmp_path: Path) -> None:
    listing = run_hiding(tmp_path, EVERYTHING, "--help")
    assert listing.returncode == 0, listing.stderr
    listed = {line.split()[0] for line in listing.stdout.partition("Commands:")[2].splitlines() if line.strip()}
    assert {"demo", "serve", "proxy", "record", "check"} <= listed
    assert run_hiding(tmp_path, EVERYTHING, "serve", "--help").returncode == 0
    (tmp_path / "c.yaml").write_text("---\nversion: 2\ninteractions: []\n", encoding="utf-8")
    check = run_hiding(tmp_path, EVERYTHING, "check", "c.yaml")
    assert check.returncode == 0, check.stderr
