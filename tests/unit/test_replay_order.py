"""Replay order when the same request was recorded with different bytes (SDKs order JSON keys differently)."""

from __future__ import annotations

import json

from groq_vcr.cassette._identity import Probe, probe
from groq_vcr.cassette._model import Interaction, Request, Response
from groq_vcr.engine._player import Player

URL = "https://api.groq.com/openai/v1/chat/completions"
A = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
B = json.dumps({"messages": [{"content": "hi", "role": "user"}], "model": "m"}, indent=1).encode()  # same JSON


def _index(player: Player, request: Probe) -> int | None:
    """Which recorded interaction ``player`` answers ``request`` with (None: none)."""
    played = player.play(request)
    return None if played is None else played.index


def _recorded(body: bytes, answer: str) -> Interaction:
    return Interaction(
        Request(body=body.decode(), headers={"Content-Type": ["application/json"]}, url=URL, method="POST"),
        Response(body=answer),
    )


def _ask(body: bytes) -> Probe:
    return probe("POST", URL, body, {"content-type": "application/json"})


def test_a_body_recorded_with_other_bytes_is_still_answered_oldest_first() -> None:
    player = Player([_recorded(A, "429"), _recorded(B, "200")])
    assert [_index(player, _ask(A)), _index(player, _ask(A))] == [0, 1]  # A's own recording, then B's (same JSON)
    assert _index(player, _ask(A)) is None


def test_byte_identical_recordings_are_preferred_then_the_same_form() -> None:
    player = Player([_recorded(A, "first"), _recorded(B, "second"), _recorded(A, "third")])
    assert [_index(player, _ask(B)), _index(player, _ask(B)), _index(player, _ask(B))] == [1, 0, 2]


def test_repeats_replay_the_last_match_of_the_same_form() -> None:
    player = Player([_recorded(A, "only")], allow_repeats=True)
    assert [_index(player, _ask(B)), _index(player, _ask(A)), _index(player, _ask(B))] == [0, 0, 0]
    assert player.play_counts == [3]


def test_used_up_is_reported_by_canonical_form() -> None:
    player = Player([_recorded(A, "only")])
    request = _ask(B)
    assert _index(player, request) == 0
    assert _index(player, request) is None
    assert player.was_used_up(request.key)
