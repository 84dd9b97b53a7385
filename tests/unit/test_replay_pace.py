"""The replay server's ``pace``: an answer waits its interaction's recorded duration first, and only when asked.

The wait is observed as the value handed to ``anyio.sleep`` (nothing really sleeps), not as time on a clock.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from groq_vcr import Cassette, Interaction, Request, Response, save_cassette
from groq_vcr.servers import ReplayOptions, create_replay_app

MODELS = "https://api.groq.com/openai/v1/models"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every ``anyio.sleep`` asked for while the test runs, in seconds; each returns at once."""
    asked: list[float] = []
    real_sleep = anyio.sleep

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(anyio, "sleep", sleep)
    return asked


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    """Two recordings of GET /models: one took 600 ms to its head, one 0 s."""
    path = tmp_path / "paced.yaml"
    headers = {"Content-Type": ["application/json"]}
    save_cassette(
        path,
        Cassette(
            [
                Interaction(
                    Request(url=MODELS, method="GET"), Response(body='{"n":1}', headers=headers, duration=600_000_000)
                ),
                Interaction(Request(url=MODELS, method="GET"), Response(body='{"n":2}', headers=headers, duration=0)),
            ]
        ),
    )
    return path


async def answers(app: object) -> list[str]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://replay.test") as client:
        return [(await client.get("/openai/v1/models")).text for _ in range(2)]


async def test_pace_waits_each_recorded_duration_before_answering(cassette: Path, sleeps: list[float]) -> None:
    assert await answers(create_replay_app(cassette, ReplayOptions(pace=True))) == ['{"n":1}', '{"n":2}']
    assert sleeps == [0.6], "600 ms before the first answer; nothing for a recording that took 0 s"


async def test_without_pace_nothing_waits(cassette: Path, sleeps: list[float]) -> None:
    assert await answers(create_replay_app(cassette)) == ['{"n":1}', '{"n":2}']
    assert sleeps == []
