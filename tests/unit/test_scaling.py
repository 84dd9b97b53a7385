"""Replay cost must not grow with cassette size: counted work per request, not wall time.

A regression to vcrpy-style matching (scan every recorded interaction per request, compare bodies per
candidate) shows up here as counts that grow with N, long before anyone notices a slow suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from groq_vcr import matchers, replay, storage, transport
from groq_vcr.cassette import Cassette, Interaction, Request, Response
from groq_vcr.matchers import probe
from groq_vcr.replay import Player
from groq_vcr.session import CassetteSession

URL = "https://api.groq.com/openai/v1/chat/completions"


def _body(k: int, *, stream: bool = False, padding: int = 0) -> bytes:
    payload: dict[str, Any] = {"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": f"q{k}"}]}
    if stream:
        payload["stream"] = True
    if padding:
        payload["image"] = "A" * padding
    return json.dumps(payload).encode()


def _interaction(body: bytes, answer: str, *, stream: bool = False) -> Interaction:
    content_type = "text/event-stream" if stream else "application/json"
    text = f"data: {json.dumps({'answer': answer})}\n\ndata: [DONE]\n\n" if stream else json.dumps({"answer": answer})
    return Interaction(
        Request(body=body.decode(), headers={"Content-Type": ["application/json"]}, url=URL, method="POST"),
        Response(body=text, headers={"Content-Type": [content_type]}, status="200 OK", code=200),
    )


def _cassette(n: int) -> list[Interaction]:
    return [_interaction(_body(k, stream=k % 4 == 3), f"a{k}", stream=k % 4 == 3) for k in range(n)]


class Counter:
    """Wraps a function and counts its calls; behaviour is unchanged."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.function(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counter]:
    """Counters on the expensive matching steps: canonicalising a body, scoring a candidate, explaining a miss."""
    counters = {
        "canonical_body": Counter(matchers.canonical_body),
        "similarity": Counter(replay.similarity),
        "explain_difference": Counter(replay.explain_difference),
    }
    monkeypatch.setattr(matchers, "canonical_body", counters["canonical_body"])
    monkeypatch.setattr(replay, "similarity", counters["similarity"])
    monkeypatch.setattr(replay, "explain_difference", counters["explain_difference"])
    return counters


@pytest.mark.parametrize("n", [100, 5_000])
def test_player_work_per_request_is_constant(n: int, counted: dict[str, Counter]) -> None:
    player = Player(_cassette(n))
    requests = [probe("POST", URL, _body(k, stream=k % 4 == 3), {"content-type": "application/json"}) for k in range(n)]
    counted["canonical_body"].calls = 0  # count only what replay does, not building the requests above
    played = [player.play(request) for request in requests]
    assert played == list(range(n))
    assert player.stats.lookups == n
    assert player.stats.bodies_canonicalised == n  # each recorded body once, however many requests
    assert counted["canonical_body"].calls == n
    assert player.stats.closest_searches == 0
    assert counted["similarity"].calls == 0
    assert counted["explain_difference"].calls == 0
    assert player.unused() == []


def test_a_second_pass_canonicalises_nothing_again() -> None:
    player = Player(_cassette(200), allow_repeats=True)
    requests = [probe("POST", URL, _body(k, stream=k % 4 == 3), None) for k in range(200)]
    for request in requests:
        player.play(request)
    canonicalised = player.stats.bodies_canonicalised
    for request in requests:
        assert player.play(request) is not None
    assert player.stats.bodies_canonicalised == canonicalised
    assert player.stats.lookups == 400


def test_identical_requests_replay_in_recorded_order_without_scanning() -> None:
    body = _body(1)
    player = Player([_interaction(body, "429 first"), _interaction(body, "200 then"), *_cassette(1_000)])
    request = probe("POST", URL, body, None)
    assert [player.play(request), player.play(request)] == [0, 1]
    # Only the requested bucket's bodies are canonicalised: here every interaction shares one URL.
    assert player.stats.bodies_canonicalised == 1_002
    assert player.stats.closest_searches == 0


def test_a_miss_runs_one_closest_search(counted: dict[str, Counter]) -> None:
    player = Player(_cassette(50))
    missing = probe("POST", URL, _body(999), None)
    assert player.play(missing) is None
    assert player.stats.closest_searches == 0  # play() itself never scans
    assert player.closest(missing) is not None
    assert player.stats.closest_searches == 1
    assert counted["similarity"].calls == 50


def _write(path: Path, interactions: list[Interaction]) -> Path:
    path.write_text(storage.dumps(Cassette(interactions=interactions)), encoding="utf-8")
    return path


@pytest.mark.parametrize("n", [20, 400])
def test_httpx_replay_through_the_transport_scales_flat(n: int, tmp_path: Path, counted: dict[str, Counter]) -> None:
    session = CassetteSession(_write(tmp_path / "c.yaml", _cassette(n)))
    with httpx.Client() as client, transport.activate(session):
        for k in range(n):
            stream = k % 4 == 3
            if stream:
                with client.stream(
                    "POST", URL, content=_body(k, stream=True), headers={"content-type": "application/json"}
                ) as r:
                    lines = [line for line in r.iter_lines() if line]
                assert lines[-1] == "data: [DONE]"
            else:
                r = client.post(URL, content=_body(k), headers={"content-type": "application/json"})
                assert r.json() == {"answer": f"a{k}"}
    stats = session.player.stats
    assert stats.lookups == n
    assert stats.bodies_canonicalised == n
    assert stats.closest_searches == 0
    assert counted["canonical_body"].calls == 2 * n  # each live body once, each recorded body once
    assert counted["similarity"].calls == 0


def test_large_body_is_canonicalised_once_per_side(tmp_path: Path, counted: dict[str, Counter]) -> None:
    vision = _body(0, padding=2_000_000)
    session = CassetteSession(_write(tmp_path / "v.yaml", [*_cassette(30), _interaction(vision, "ocr")]))
    with httpx.Client() as client, transport.activate(session):
        response = client.post(URL, content=vision, headers={"content-type": "application/json"})
    assert response.json() == {"answer": "ocr"}
    assert counted["canonical_body"].calls == 31 + 1  # the bucket's recorded bodies once, the live one once
    assert session.player.stats.closest_searches == 0
