"""Bad input never crashes: every loader raises only its documented exception, naming the file, line and reason.

Tables per loader (go-vcr cassettes, vcrpy v1 cassettes, curl text, request spec files, SSE bodies), then the
cases the issue names one by one (truncated SSE, invalid UTF-8, a 50 MB body, deeply nested JSON, duplicate keys),
and the rule that a cassette we cannot read is never overwritten in any record mode that reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import groq_vcr
from groq_vcr import Cassette, CassetteFormatError, InputError, Interaction, Request, Response
from groq_vcr.cassette import load_v1, parse_events, parse_stream, reassemble, split_events
from groq_vcr.cli.record import load_request_specs, parse_curl_text
from groq_vcr.testing import FakeGroqServer, serve_fake_groq

VCRPY_V1 = "version: 1\ninteractions:\n- {request: {uri: 'http://x/', method: GET}, response: {status: {code: 200}}}\n"
DEEP = 100_000  # far past the depth at which libyaml's recursive composer overflows the C stack
# Our loaders refuse YAML nested more than 100 levels (MAX_NESTING), well before libyaml 0.2.6's own limit.
TOO_DEEP = "nested more than 100 levels"
VALID = (
    "---\nversion: 2\ninteractions:\n    - id: 0\n      request:\n        url: https://api.groq.com/openai/v1/models\n"
    "        method: GET\n      response:\n        body: '{}'\n        status: 200 OK\n        code: 200\n"
    "        duration: 1ms\n"
)

CASSETTE_CASES: list[tuple[str, str | bytes, str | tuple[str, ...], int | None]] = [
    ("empty", "", "a cassette must be a YAML mapping", None),
    ("not yaml", "version: 2\ninteractions: [\n", "YAML syntax error", 3),
    ("truncated mid-file", VALID[: VALID.index("method")], "has no `method`", None),
    ("truncated mid-quote", VALID[: VALID.index("{}") + 1], "YAML syntax error", None),
    ("invalid utf-8", b"version: 2\ninteractions: []\nx: \xff\xfe\n", "not UTF-8 text (byte 31 is 0xff)", None),
    ("nul byte", "version: 2\x00\n", "a character YAML does not allow", None),
    ("deep flow nesting", "version: 2\ninteractions: " + "[" * DEEP + "]" * DEEP, TOO_DEEP, 2),
    ("deep with anchor", "version: 2\ny: " + "[" * DEEP + "]" * DEEP + "\nx: &a 1\n", TOO_DEEP, 2),
    ("anchor", "x: &a 1\nversion: 2\ny: " + "[" * DEEP + "]" * DEEP, "YAML anchor `&a`", 1),
    ("alias", VALID.replace("code: 200", "code: *c"), "YAML alias `*c`", 11),
    ("duplicate key", VALID + "interactions: []\n", "mapping key 'interactions' is already defined at line 3", 13),
    (
        "vcrpy v1",
        VCRPY_V1,
        "convert it with `groq-vcr convert",
        1,
    ),
    ("version as text", "version: '2'\ninteractions: []\n", "`version` must be the integer 2", 1),
    ("bare duration", VALID.replace("duration: 1ms", "duration: 5"), "go-vcr rejects a bare number", 12),
    ("duration overflow", VALID.replace("1ms", "99999999999999999999h"), "is not a Go duration", 12),
    ("python tag", "!!python/object:os.system x\n", "could not determine a constructor", 1),
    ("bad timestamp", "version: 2\ninteractions: []\nt: !!timestamp 2001-99-99\n", "month must be in 1..12", None),
    ("two documents", "version: 2\ninteractions: []\n---\nversion: 2\n", "found another document", 3),
    ("headers not a map", VALID.replace("body: '{}'", "headers: [a]"), "must be a mapping of names", 9),
]


def says(message: str, problem: str | tuple[str, ...]) -> bool:
    """Whether ``message`` states ``problem`` (or one of its accepted wordings)."""
    return any(wording in message for wording in ((problem,) if isinstance(problem, str) else problem))


@pytest.mark.parametrize(
    ("text", "problem", "line"), [c[1:] for c in CASSETTE_CASES], ids=[c[0] for c in CASSETTE_CASES]
)
def test_cassette_loader_names_file_line_and_reason(
    tmp_path: Path, text: str | bytes, problem: str | tuple[str, ...], line: int | None
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(CassetteFormatError) as caught:
        groq_vcr.load_cassette(path)
    assert caught.value.path == str(path)
    assert says(caught.value.problem, problem), caught.value.problem
    if line is not None:
        assert caught.value.line == line
    assert str(caught.value).startswith(str(path))


V1_CASES: list[tuple[str, str, str | tuple[str, ...]]] = [
    ("not a mapping", "- 1\n", "not a vcrpy cassette"),
    ("go-vcr", "version: 2\ninteractions: []\n", "`version` is 2"),
    (
        "bad status",
        "version: 1\ninteractions:\n- request: {uri: u, method: GET}\n  response: {status: {code: x}}\n",
        "status code must be an integer",
    ),
    ("deep", "version: 1\ninteractions: " + "[" * DEEP + "]" * DEEP, TOO_DEEP),
    ("bad timestamp", "version: 1\ninteractions: []\nt: !!timestamp 2001-99-99\n", "a value cannot be read"),
    ("syntax", "version: 1\ninteractions: {\n", "YAML syntax error"),
]


@pytest.mark.parametrize(("text", "problem"), [c[1:] for c in V1_CASES], ids=[c[0] for c in V1_CASES])
def test_vcrpy_loader_names_file_and_reason(tmp_path: Path, text: str, problem: str | tuple[str, ...]) -> None:
    path = tmp_path / "v1.yaml"
    path.write_text(text)
    with pytest.raises(CassetteFormatError) as caught:
        load_v1(path)
    assert caught.value.path == str(path)
    assert says(str(caught.value), problem), str(caught.value)


CURL_CASES: list[tuple[str, str, str]] = [
    ("no curl", "hello\n", "no curl command found"),
    ("open quote", "curl 'https://api.groq.com/openai/v1/models\n", "never closed"),
    ("no url", "curl -H 'A: b'\n", "has no URL"),
    (
        "bad json",
        "curl https://api.groq.com/x -H 'Content-Type: application/json' -d '{\"a\": }'\n",
        "JSON body is invalid",
    ),
    (
        "deep json",
        "curl https://x.com/v1 -H 'Content-Type: application/json' -d '" + "[" * DEEP + "]" * DEEP + "'",
        "nested too deeply",
    ),
    ("header without colon", "curl https://x.com -H 'nocolon'\n", "has no ':'"),
]


@pytest.mark.parametrize(("text", "problem"), [c[1:] for c in CURL_CASES], ids=[c[0] for c in CURL_CASES])
def test_curl_text_raises_input_error(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        parse_curl_text(text, origin="calls.txt")


SPEC_CASES: list[tuple[str, str, str, str | tuple[str, ...]]] = [
    ("empty list", "spec.yaml", "[]\n", "holds no request"),
    ("no url", "spec.yaml", "method: GET\n", "'url' is missing"),
    ("bad yaml", "spec.yaml", "url: [\n", "spec.yaml:2: the request spec is not valid YAML"),
    ("deep yaml", "spec.yaml", "url: " + "[" * DEEP + "]" * DEEP, TOO_DEEP),
    ("bad timestamp", "spec.yaml", "url: !!timestamp 2001-99-99\n", "a value that cannot be read"),
    ("bad json", "spec.json", '{"url": }', "spec.json:1:9: the request spec is not valid JSON"),
    ("deep json", "spec.json", "[" * DEEP + "]" * DEEP, "JSON nested too deeply"),
    ("invalid utf-8", "spec.yaml", "url: \udcff", "is not UTF-8 text"),
]


@pytest.mark.parametrize(("name", "text", "problem"), [c[1:] for c in SPEC_CASES], ids=[c[0] for c in SPEC_CASES])
def test_request_spec_file_raises_input_error(
    tmp_path: Path, name: str, text: str, problem: str | tuple[str, ...]
) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(InputError) as caught:
        load_request_specs(path)
    assert says(str(caught.value), problem), str(caught.value)


# ---------------------------------------------------------------------------------------------- SSE bodies

CHUNK = 'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"%s"}}]}\n\n'
DONE = "data: [DONE]\n\n"


def test_sse_without_done_is_reported_not_terminated() -> None:
    summary = reassemble(CHUNK % "Hel" + CHUNK % "lo")
    assert summary.content == "Hello"
    assert not summary.terminated_by_done
    assert not summary.incomplete


def test_sse_half_an_event_is_dropped_as_the_sdks_do_and_flagged() -> None:
    body = CHUNK % "Hel" + CHUNK % "lo" + 'data: {"choices":[{"delta":{"content":"!'
    parsed = parse_stream(body)
    assert len(parsed.events) == 2
    assert parsed.incomplete is not None
    summary = reassemble(body)
    assert (summary.content, summary.incomplete) == ("Hello", True)
    assert b"".join(split_events(body)) == body.encode()  # replay still sends every byte


def test_sse_invalid_utf8_is_replaced_like_the_sdks_decode_it() -> None:
    body = b'data: {"choices":[{"delta":{"content":"a\xff"}}]}\n\n' + DONE.encode()
    summary = reassemble(body)
    assert summary.content == "a\ufffd"
    assert summary.terminated_by_done


def test_sse_deeply_nested_json_is_an_unreadable_chunk_not_a_crash() -> None:
    body = "data: " + "[" * DEEP + "]" * DEEP + "\n\n" + CHUNK % "ok" + DONE
    events = parse_events(body)
    assert events[0].json_or_none() is None
    assert not events[0].is_error
    assert reassemble(body).content == "ok"


def test_sse_duplicate_keys_last_one_wins_as_in_json_loads() -> None:
    body = 'data: {"choices":[{"delta":{"content":"first","content":"second"}}]}\n\n' + DONE
    assert reassemble(body).content == "second"


def test_sse_50_mb_body_splits_into_its_events() -> None:
    events = 50 * 1024 * 1024 // len(CHUNK % ("x" * 8))
    body = ((CHUNK % ("x" * 8)) * events + DONE).encode()
    assert len(body) >= 50 * 1024 * 1024 - 4096
    chunks = split_events(body)
    assert len(chunks) == events + 1
    assert chunks[-1] == DONE.encode()
    assert b"".join(chunks) == body


def test_cassette_with_a_50_mb_body_round_trips(tmp_path: Path) -> None:
    body = ("0123456789abcdef" * 64 + "\n") * (50 * 1024 * 1024 // 1025)
    interaction = Interaction(
        Request(url="https://api.groq.com/openai/v1/chat/completions", method="POST"),
        Response(body=body, headers={"Content-Type": ["text/plain"]}, code=200),
    )
    path = tmp_path / "big.yaml"
    groq_vcr.save_cassette(path, Cassette(interactions=[interaction]))
    loaded = groq_vcr.load_cassette(path)
    assert loaded.interactions[0].response.body == body


def test_duplicate_keys_in_a_cassette_are_refused_as_go_vcr_does(tmp_path: Path) -> None:
    """yaml.v3 (go-vcr) refuses a repeated key; so do we, naming both lines (a save would drop one value)."""
    path = tmp_path / "dup.yaml"
    path.write_text(VALID.replace("        code: 200\n", "        code: 500\n        code: 200\n"))
    with pytest.raises(CassetteFormatError) as caught:
        groq_vcr.load_cassette(path)
    assert (caught.value.path, caught.value.line) == (str(path), 12)
    assert "mapping key 'code' is already defined at line 11" in caught.value.problem


# ------------------------------------------------------------------------------------- never overwritten

INNER = """
import os
import httpx
import pytest


@pytest.mark.vcr
def test_call():
    with httpx.Client(base_url=os.environ["FAKE_GROQ_BASE"] + "/openai/v1",
                      headers={"Authorization": "Bearer " + os.environ["FAKE_GROQ_KEY"]}) as c:
        c.get("/models").raise_for_status()
"""

BROKEN = "---\nversion: 2\ninteractions:\n    - id: 0\n      request: {url: [unclosed\n"


@pytest.fixture
def fake_groq() -> Iterator[FakeGroqServer]:
    """A local Groq-compatible server on 127.0.0.1."""
    with serve_fake_groq() as server:
        yield server


def test_unreadable_cassette_is_never_overwritten_until_rewrite(
    pytester: pytest.Pytester, fake_groq: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=INNER)
    monkeypatch.setenv("FAKE_GROQ_BASE", fake_groq.base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", fake_groq.api_key)
    cassette = pytester.path / "cassettes" / "test_inner" / "test_call.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text(BROKEN)
    for mode in ("once", "new_episodes", "all", "none"):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--record-mode={mode}")
        assert result.ret == 1, (mode, result.stdout.str())
        out = result.stdout.str()
        assert "test_call.yaml:6" in out, (mode, out)
        assert "YAML syntax error" in out, (mode, out)
        assert cassette.read_text() == BROKEN, mode
    assert fake_groq.config.count() == 0  # nothing was even sent
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--record-mode=rewrite")
    assert result.ret == 0, result.stdout.str()
    assert groq_vcr.load_cassette(cassette).interactions[0].response.code == 200
    assert json.loads(groq_vcr.load_cassette(cassette).interactions[0].response.body)["data"]
