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


def test_a_released_interaction_answers_the_next_identical_request_in_recorded_order() -> None:
    """A fault stopped #0 before the client had all of it: the retry gets #0 again, then #1 as recorded."""
    player = Player([_recorded(A, "429"), _recorded(A, "200")])
    assert _index(player, _ask(A)) == 0
    player.release(0)
    assert [_index(player, _ask(A)), _index(player, _ask(A)), _index(player, _ask(A))] == [0, 1, None]
    assert player.play_counts == [2, 1]  # a faulted delivery still counts as played (it is not "unused")


def test_release_keeps_recorded_order_when_a_later_one_was_played_meanwhile() -> None:
    player = Player([_recorded(A, "first"), _recorded(A, "second"), _recorded(A, "third")])
    assert [_index(player, _ask(A)), _index(player, _ask(A))] == [0, 1]
    player.release(0)
    assert [_index(player, _ask(A)), _index(player, _ask(A)), _index(player, _ask(A))] == [0, 2, None]


def test_release_with_a_custom_matcher() -> None:
    player = Player([_recorded(A, "only")])
    assert player.play_where(lambda index: True) is not None
    assert player.play_where(lambda index: True) is None
    player.release(0)
    played = player.play_where(lambda index: True)
    assert played is not None
    assert played.index == 0
