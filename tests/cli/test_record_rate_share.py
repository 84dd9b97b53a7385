"""``groq-vcr record --rate-share``: a recording stays within its share of the organisation's limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from groq_vcr import load_cassette
from groq_vcr.testing import FakeGroqConfig, FakeGroqServer, serve_fake_groq

Invoke = Callable[..., Result]
SPEC = "".join(f"- url: https://api.groq.com/openai/v1/models/llama-3.3-70b-versatile?n={n}\n" for n in range(6))


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGroqServer]:
    """A server answering 4 requests per half-second window; a budget folder of this test's own."""
    monkeypatch.setenv("GROQ_VCR_RATE_BUDGET_DIR", str(tmp_path / "budget"))
    with serve_fake_groq(FakeGroqConfig(request_limit=4, limit_window=0.5)) as server:
        yield server


def _remaining(path: Path) -> list[int]:
    """What the server said was left of the window after each recorded call."""
    interactions = load_cassette(path).interactions
    return [int(i.response.headers["X-Ratelimit-Remaining-Requests"][0]) for i in interactions]


def test_half_the_limits_leaves_the_other_half(invoke_cli: Invoke, limited: FakeGroqServer, tmp_path: Path) -> None:
    (tmp_path / "calls.yaml").write_text(SPEC)
    args = ("record", "--request", "calls.yaml", "--base-url", limited.base_url)
    done = invoke_cli(*args, "--rate-share", "1/2", "-o", "shared.yaml", api_key=limited.api_key)
    assert done.exit_code == 0, done.stderr
    # 2 of every window's 4 requests at most: the server always had 2 left for the other machine.
    assert min(_remaining(tmp_path / "shared.yaml")) >= 2
    assert limited.config.rate_limited == 0
    alone = invoke_cli(*args, "-o", "alone.yaml", api_key=limited.api_key)
    assert alone.exit_code == 0, alone.stderr
    # 6 calls in at most 2 windows: one window had 3 or more of them.
    assert min(_remaining(tmp_path / "alone.yaml")) < 2


def test_a_share_must_be_a_fraction(invoke_cli: Invoke, limited: FakeGroqServer, tmp_path: Path) -> None:
    (tmp_path / "calls.yaml").write_text(SPEC)
    done = invoke_cli("record", "--request", "calls.yaml", "--rate-share", "2", "-o", "c.yaml")
    assert done.exit_code == 2
    assert done.stderr.startswith("error: --rate-share '2' is not a share of the rate limits")
    assert limited.config.count() == 0
