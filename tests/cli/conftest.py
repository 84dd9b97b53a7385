"""Fixtures for CLI tests: a local Groq-compatible server, and running ``groq-vcr`` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from groq_vcr.testing import FakeGroqConfig, FakeGroqServer, serve_fake_groq

GROQ_VCR = [sys.executable, "-c", "import sys; from groq_vcr.cli import main; sys.exit(main())"]


@pytest.fixture
def fake_groq() -> Iterator[FakeGroqServer]:
    """A local Groq-compatible server on 127.0.0.1 with a fresh ``FakeGroqConfig``, stopped after the test
    (``base_url``, ``api_key``, ``config.enqueue(...)``, ``config.count(...)``)."""
    with serve_fake_groq(FakeGroqConfig()) as server:
        yield server


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``groq-vcr ARGS`` in a subprocess (cwd ``tmp_path``); ``api_key=`` sets GROQ_API_KEY, else unset."""

    def run(*args: str | Path, api_key: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "GROQ_API_KEY"}
        if api_key is not None:
            env["GROQ_API_KEY"] = api_key
        env["COLUMNS"] = "160"
        return subprocess.run(
            [*GROQ_VCR, *map(str, args)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=tmp_path,
            timeout=timeout,
            check=False,
        )

    return run
