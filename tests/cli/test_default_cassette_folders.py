"""``groq-vcr check`` / ``scan`` with no path look where the pytest plugin writes cassettes; finding none (or an
empty folder) is an error, never "0 cassette(s) OK"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from groq_vcr.cli import cli
from groq_vcr.testing import FakeGroqServer, serve_fake_groq

INNER = r"""
import os

import httpx
import pytest


@pytest.mark.vcr
def test_chat():
    with httpx.Client(base_url=os.environ["FAKE_GROQ_BASE"] + "/openai/v1") as client:
        response = client.post(
            "/chat/completions",
            headers={"Authorization": "Bearer " + os.environ["FAKE_GROQ_KEY"]},
            json={"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]},
        )
    response.raise_for_status()
"""
REFERENCE = Path(__file__).parents[2] / "cassettes" / "groq_chat_stream.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGroqServer]:
    with serve_fake_groq() as running:
        yield running


def _groq_vcr(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.chdir(project)
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_check_and_scan_find_what_the_plugin_recorded(
    pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\nasyncio_default_fixture_loop_scope = "function"\n'
    )
    (pytester.mkdir("tests") / "test_chat.py").write_text(INNER)
    monkeypatch.setenv("FAKE_GROQ_BASE", server.base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
    pytester.runpytest("-p", "no:randomly", "--record-mode=once").assert_outcomes(passed=1)
    assert (pytester.path / "tests" / "cassettes" / "test_chat" / "test_chat.yaml").is_file()

    checked = _groq_vcr(pytester.path, monkeypatch, "check")
    assert checked.exit_code == 0, checked.stderr
    assert checked.stderr.splitlines() == [
        f"no path given: check tests/cassettes (cassettes/ folders under tests (testpaths in "
        f"{pytester.path / 'pyproject.toml'}))",
        "1 cassette(s) OK",
    ]
    scanned = _groq_vcr(pytester.path, monkeypatch, "scan")
    assert scanned.exit_code == 0, scanned.stderr
    assert scanned.stderr.splitlines()[-1] == "No secrets found in 1 file."

    # A broken cassette there is found too: the default is not a pass by default.
    (pytester.path / "tests" / "cassettes" / "test_chat" / "broken.yaml").write_text("version: [oops\n")
    assert _groq_vcr(pytester.path, monkeypatch, "check").exit_code == 1


def test_no_cassette_folder_is_an_error_naming_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (tmp_path / "tests").mkdir()
    for command in ("check", "scan"):
        result = _groq_vcr(tmp_path, monkeypatch, command)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"error: no cassette folder found: looked for cassettes/ folders under tests (testpaths in "
            f"{tmp_path / 'pyproject.toml'}), where the pytest plugin writes them (<test dir>/cassettes/<module>/)",
            f"hint: pass the folder that holds your cassettes (groq-vcr {command} PATH), or name it once in "
            'pyproject.toml: [tool.groq-vcr] cassettes = ["tests/cassettes"]',
        ]


@pytest.mark.parametrize("command", ["check", "scan"])
def test_an_empty_folder_is_an_error_not_zero_ok(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    (tmp_path / "tests" / "cassettes").mkdir(parents=True)
    given = _groq_vcr(tmp_path, monkeypatch, command, "tests/cassettes")
    assert given.exit_code == 2
    assert "found in tests/cassettes" in given.stderr
    assert "OK" not in given.stderr
    found = _groq_vcr(tmp_path, monkeypatch, command)  # the default folder exists but is empty
    assert found.exit_code == 2
    assert "found in tests/cassettes" in found.stderr


def test_folders_named_in_pyproject_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.groq-vcr]\ncassettes = ["recordings"]\n')
    missing = _groq_vcr(tmp_path, monkeypatch, "check")
    assert missing.exit_code == 2
    assert "[tool.groq-vcr] cassettes names" in missing.stderr
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "chat.yaml").write_bytes(REFERENCE.read_bytes())
    (tmp_path / "cassettes").mkdir()
    (tmp_path / "cassettes" / "broken.yaml").write_text("version: [oops\n")  # not named: not checked
    result = _groq_vcr(tmp_path, monkeypatch, "check")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0].startswith("no path given: check recordings (cassettes in [tool.groq-vcr]")
