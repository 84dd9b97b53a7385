"""Replay cost must not grow with cassette size: counted work per request, not wall time.

A regression to vcrpy-style matching (scan every recorded interaction per request, compare bodies per
candidate) shows up here as counts that grow with N, long before anyone notices a slow suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import groq_vcr
from groq_vcr import Cassette, Interaction, Request, Response
from groq_vcr.cassette import _cache as cache
from groq_vcr.cassette import _identity as matchers
from groq_vcr.cassette._identity import Probe, probe
from groq_vcr.engine import _httpx as transport
from groq_vcr.engine import _mismatch as mismatch
from groq_vcr.engine._player import Player
from groq_vcr.engine._session import CassetteSession

URL = "https://api.groq.com/openai/v1/chat/completions"


def _index(player: Player, request: Probe) -> int | None:
    """Which recorded interaction ``player`` answers ``request`` with (None: none)."""
    played = player.play(request)
    return None if played is None else played.index


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
        "similarity": Counter(mismatch.similarity),
        "explain_difference": Counter(mismatch.explain_difference),
    }
    monkeypatch.setattr(matchers, "canonical_body", counters["canonical_body"])
    monkeypatch.setattr(mismatch, "similarity", counters["similarity"])
    monkeypatch.setattr(mismatch, "explain_difference", counters["explain_difference"])
    return counters


@pytest.mark.parametrize("n", [100, 5_000])
def test_player_work_per_request_is_constant(n: int, counted: dict[str, Counter]) -> None:
    player = Player(_cassette(n))
    requests = [probe("POST", URL, _body(k, stream=k % 4 == 3), {"content-type": "application/json"}) for k in range(n)]
    counted["canonical_body"].calls = 0  # count only what replay does, not building the requests above
    played = [_index(player, request) for request in requests]
    assert played == list(range(n))
    assert player.stats.lookups == n
    # Live bodies byte-identical to the recorded ones are found by their bytes: nothing is parsed at all.
    assert player.stats.bodies_canonicalised == 0
    assert counted["canonical_body"].calls == 0
    assert player.stats.closest_searches == 0
    assert counted["similarity"].calls == 0
    assert counted["explain_difference"].calls == 0
    assert player.unused() == []


def test_repeats_canonicalise_each_recorded_body_at_most_once() -> None:
    player = Player(_cassette(200), allow_repeats=True)
    requests = [probe("POST", URL, _body(k, stream=k % 4 == 3), None) for k in range(200)]
    for request in requests:
        _index(player, request)
    assert player.stats.bodies_canonicalised == 0
    for request in requests:  # used up: repeats look for other recordings of the same canonical form
        assert _index(player, request) is not None
    canonicalised = player.stats.bodies_canonicalised
    assert canonicalised <= 200
    for request in requests:
        assert _index(player, request) is not None
    assert player.stats.bodies_canonicalised == canonicalised
    assert player.stats.lookups == 600


def test_identical_requests_replay_in_recorded_order_without_scanning() -> None:
    body = _body(1)
    player = Player([_interaction(body, "429 first"), _interaction(body, "200 then"), *_cassette(1_000)])
    request = probe("POST", URL, body, None)
    assert [_index(player, request), _index(player, request)] == [0, 1]
    assert player.stats.bodies_canonicalised == 0  # found by its bytes, nothing parsed
    assert player.stats.closest_searches == 0


def test_a_miss_runs_one_closest_search(counted: dict[str, Counter]) -> None:
    player = Player(_cassette(50))
    missing = probe("POST", URL, _body(999), None)
    assert _index(player, missing) is None
    assert player.stats.closest_searches == 0  # play() itself never scans
    assert mismatch.closest(player, missing) is not None
    assert player.stats.closest_searches == 1
    assert counted["similarity"].calls == 50


def _write(path: Path, interactions: list[Interaction]) -> Path:
    path.write_text(groq_vcr.dump_cassette(Cassette(interactions=interactions)), encoding="utf-8")
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
    assert stats.bodies_canonicalised == 0
    assert stats.closest_searches == 0
    # Live bodies identical to a recorded one are matched by their bytes: no body is parsed on either side.
    assert counted["canonical_body"].calls == 0
    assert counted["similarity"].calls == 0


def test_large_body_is_canonicalised_once_per_side(tmp_path: Path, counted: dict[str, Counter]) -> None:
    vision = _body(0, padding=2_000_000)
    session = CassetteSession(_write(tmp_path / "v.yaml", [*_cassette(30), _interaction(vision, "ocr")]))
    with httpx.Client() as client, transport.activate(session):
        response = client.post(URL, content=vision, headers={"content-type": "application/json"})
    assert response.json() == {"answer": "ocr"}
    # The live body is byte-identical to a recording: no 2 MB body is parsed, on either side.
    assert counted["canonical_body"].calls == 0
    assert session.player.stats.closest_searches == 0


def test_a_body_that_differs_only_in_key_order_matches_through_its_canonical_form(
    counted: dict[str, Counter],
) -> None:
    player = Player(_cassette(10))
    reordered = json.dumps(dict(reversed(list(json.loads(_body(2)).items())))).encode()
    assert reordered != _body(2)
    assert _index(player, probe("POST", URL, reordered, {"content-type": "application/json"})) == 2
    assert counted["canonical_body"].calls == 11  # the ten recorded bodies, then this live one


# ---------------------------------------------------------------------------------------------- load memory

_PEAK_CHILD = """
import gc, json, os, resource, sys
from pathlib import Path

def peak():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

import groq_vcr
from groq_vcr.cassette import cached_load
gc.collect()
baseline = peak()
if sys.argv[2] == "cached":
    cassette = cached_load(Path(sys.argv[1]), groq_vcr.load_cassette)
else:
    cassette = groq_vcr.load_cassette(Path(sys.argv[1]))
print(json.dumps({"peak": peak() - baseline, "interactions": len(cassette.interactions)}))
"""


def _recorded_like_groq(k: int) -> Interaction:
    """A chat completion as the SDK records it: ~35 headers, most of them the same in every interaction."""
    stream = k % 4 == 3
    body = _body(k, stream=stream).decode()
    words = " ".join(f"w{(k * 7 + i) % 97}" for i in range(60))
    if stream:
        text = "".join(
            f"data: {json.dumps({'id': f'c{k}', 'delta': words[i : i + 20]})}\n\n" for i in range(0, 200, 20)
        )
    else:
        text = json.dumps({"id": f"chatcmpl-{k:024d}", "choices": [{"message": {"content": words}}]})
    sdk = {f"X-Stainless-{name}": [value] for name, value in (("Arch", "x64"), ("Lang", "python"), ("Os", "Linux"))}
    request_headers = {
        "Accept": ["application/json"],
        "Content-Length": [str(len(body))],
        "Content-Type": ["application/json"],
        "User-Agent": ["Groq/Python 1.7.0"],
        **sdk,
    }
    response_headers = {
        "Cache-Control": ["private, max-age=0, no-store, no-cache, must-revalidate"],
        "Cf-Ray": [f"{k:016x}-SJC"],
        "Content-Type": ["text/event-stream" if stream else "application/json"],
        "Date": ["Mon, 12 May 2025 10:00:00 GMT"],
        "Set-Cookie": ["__cf_bm=REDACTED; path=/; expires=Mon, 12-May-25 10:30:00 GMT; domain=.groq.com; HttpOnly"],
        "X-Ratelimit-Remaining-Requests": [str(14399 - k)],
        "X-Request-Id": [f"req_{k:026d}"],
    }
    return Interaction(
        Request(body=body, headers=request_headers, url=URL, method="POST", content_length=len(body)),
        Response(proto="HTTP/2.0", proto_major=2, proto_minor=0, body=text, headers=response_headers, duration=10**8),
    )


def _peak_while_loading(path: Path, how: str, cache_dir: Path) -> int:
    env = {**os.environ, "GROQ_VCR_CACHE_DIR": str(cache_dir), "GROQ_VCR_CACHE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_CHILD, str(path), how], capture_output=True, text=True, env=env, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["interactions"] == 2_000
    peak: int = result["peak"]
    return peak


def test_loading_a_big_cassette_peaks_below_three_times_its_size(tmp_path: Path) -> None:
    """The issue's memory target: peak ≤ 3× the file above baseline, first load including the cache store.

    The loader streams the file through libyaml and builds each interaction as it is read: the file's text, a
    tree of plain mappings and the model never exist at once (that was 5-6× the file). A pickle small enough
    for the cache's in-process layer stays in memory by design; it is not counted.
    """
    path = _write(tmp_path / "big.yaml", [_recorded_like_groq(k) for k in range(2_000)])
    size = path.stat().st_size
    loader_peak = _peak_while_loading(path, "loader", tmp_path / "unused-cache")
    cold_peak = _peak_while_loading(path, "cached", tmp_path / "cache")
    (pickle_file,) = (tmp_path / "cache").glob("*/*.pickle")
    kept = pickle_file.stat().st_size if pickle_file.stat().st_size <= cache.MEMORY_ENTRY_MAX_BYTES else 0
    assert loader_peak <= 2 * size, f"groq_vcr.load_cassette peaked at {loader_peak / size:.2f}× the file"
    assert cold_peak - kept <= 3 * size, f"a first cached_load peaked at {(cold_peak - kept) / size:.2f}× the file"


def test_a_body_nested_deeper_than_json_parses_still_matches_byte_for_byte() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    player = Player([_interaction(deep, "deep")])
    assert _index(player, probe("POST", URL, deep, {"content-type": "application/json"})) == 0
    assert _index(player, probe("POST", URL, deep + b" ", {"content-type": "application/json"})) is None
