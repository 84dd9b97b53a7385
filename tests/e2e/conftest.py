"""Fixtures for end-to-end tests: a fresh local Groq-compatible server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from groq_vcr.testing import FakeGroqConfig, FakeGroqServer, serve_fake_groq


@pytest.fixture
def fake_groq() -> Iterator[FakeGroqServer]:
    """A local Groq-compatible server on 127.0.0.1 with a fresh ``FakeGroqConfig``, stopped after the test.

    Attributes: ``base_url``, ``groq_base_url`` (for ``groq.Groq(base_url=...)``), ``openai_base_url`` (for
    ``openai.OpenAI(base_url=...)``, ends in ``/openai/v1``), ``config`` (queue faults with
    ``config.enqueue(...)``, read ``config.requests``), ``api_key`` (a fake ``gsk_`` key made for this run).
    """
    with serve_fake_groq(FakeGroqConfig()) as server:
        yield server
