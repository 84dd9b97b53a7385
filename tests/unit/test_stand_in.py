"""GROQ_VCR_STAND_IN: requests to a local stand-in for Groq are matched and recorded as sent to Groq."""

from __future__ import annotations

import pytest

from groq_vcr.engine import SessionOptions
from groq_vcr.errors import GroqVcrError


def test_a_stand_ins_origin_becomes_groqs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_VCR_STAND_IN", "http://127.0.0.1:8765/, http://localhost:9000")
    options = SessionOptions()
    assert options.stand_ins == ("http://127.0.0.1:8765", "http://localhost:9000")
    assert (
        options.recorded_url("http://127.0.0.1:8765/openai/v1/models?a=1")
        == "https://api.groq.com/openai/v1/models?a=1"
    )
    assert options.recorded_url("http://localhost:9000/x") == "https://api.groq.com/x"
    # Another port, or a host that only starts the same, is left alone.
    assert options.recorded_url("http://127.0.0.1:87650/x") == "http://127.0.0.1:87650/x"
    assert options.recorded_url("http://127.0.0.1:8766/x") == "http://127.0.0.1:8766/x"


def test_without_the_variable_urls_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_VCR_STAND_IN", raising=False)
    assert SessionOptions().recorded_url("http://127.0.0.1:8765/x") == "http://127.0.0.1:8765/x"


@pytest.mark.parametrize("value", ["127.0.0.1:8765", "http://127.0.0.1:8765/openai/v1", "ftp://host"])
def test_a_value_that_is_not_an_origin_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GROQ_VCR_STAND_IN", value)
    with pytest.raises(GroqVcrError, match=r"GROQ_VCR_STAND_IN=.* is not an origin"):
        SessionOptions()
