"""Shared by the plugin's tests: one local Groq-compatible server per module (a test that changes its config
resets what it changed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from groq_vcr.testing import FakeGroqServer, serve_fake_groq


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGroqServer]:
    with serve_fake_groq() as running:
        yield running
