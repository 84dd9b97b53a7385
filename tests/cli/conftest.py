"""Fixtures for CLI tests: ``groq-vcr`` run in this process through click's ``CliRunner``, the console script run
as a real process where the process itself is under test, and a local Groq-compatible server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from groq_vcr.cli import cli
from groq_vcr.testing import FakeGroqConfig, FakeGroqServer, serve_fake_groq

GROQ_VCR = str(Path(sys.executable).parent / "groq-vcr")
"""The installed console script: the real entry point, as users run it."""

Invoke = Callable[..., Result]
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def fake_groq() -> Iterator[FakeGroqServer]:
    """A local Groq-compatible server on 127.0.0.1 with a fresh ``FakeGroqConfig``, stopped after the test
    (``base_url``, ``api_key``, ``config.enqueue(...)``, ``config.count(...)``)."""
    with serve_fake_groq(FakeGroqConfig()) as server:
        yield server


@pytest.fixture
def invoke_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run ``groq-vcr ARGS`` in this process with click's ``CliRunner``, in ``tmp_path`` as the working directory.

    ``api_key=`` sets GROQ_API_KEY for the call, else it is unset. The result has ``exit_code``, ``stdout`` and
    ``stderr`` (kept apart); an exception the command does not handle fails the test with its traceback.
    """
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str | Path, api_key: str | None = None) -> Result:
        env = {"GROQ_API_KEY": api_key, "COLUMNS": "160"}
        return CliRunner().invoke(cli, [str(arg) for arg in args], env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def run_cli(tmp_path: Path) -> Run:
    """Run the ``groq-vcr`` console script as a real process (cwd ``tmp_path``), for what only a process shows:
    the entry point's exit codes, stdout apart from stderr, cassettes used by another process, several
    commands at once.

    ``api_key=`` sets GROQ_API_KEY, else it is unset.
    """

    def run(*args: str | Path, api_key: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "GROQ_API_KEY"}
        if api_key is not None:
            env["GROQ_API_KEY"] = api_key
        env["COLUMNS"] = "160"
        return subprocess.run(
            [GROQ_VCR, *map(str, args)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=tmp_path,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def make_key() -> str:
    """A fresh fake key of Groq's shape (``gsk_`` + 52 letters/digits)."""
    from groq_vcr.testing import make_fake_api_key

    return make_fake_api_key()
