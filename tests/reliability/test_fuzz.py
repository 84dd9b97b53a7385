"""Fuzz every loader with hypothesis (and atheris through ``tools/fuzz.py``), within a bounded budget.

A loader may raise only its documented exception: :class:`CassetteFormatError` for go-vcr and vcrpy cassettes,
:class:`InputError` for curl text and request spec files; SSE parsing never raises. Anything else fails the test
with the input that caused it. The whole file runs in well under a minute.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import groq_vcr
from groq_vcr import Cassette, CassetteFormatError, InputError, Interaction, Request, Response
from groq_vcr.cassette import load_v1, parse_stream, reassemble, split_events
from groq_vcr.cli.record import load_request_specs, parse_curl_text

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = Path(tempfile.mkdtemp(prefix="groq-vcr-fuzz-"))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEED_CASSETTE = groq_vcr.dump_cassette(
    Cassette(
        interactions=[
            Interaction(
                Request(
                    body='{"model":"llama-3.3-70b-versatile","stream":true}',
                    content_length=49,
                    headers={"Content-Type": ["application/json"]},
                    url="https://api.groq.com/openai/v1/chat/completions",
                    method="POST",
                ),
                Response(
                    body='data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n',
                    headers={"Content-Type": ["text/event-stream"], "X-Ratelimit-Limit-Tokens": ["12000"]},
                    status="200 OK",
                    code=200,
                    duration=94_900_458,
                ),
            )
        ]
    )
)

# Text that looks like YAML: indentation, indicators, tags, anchors, quotes, numbers, unicode and control bytes.
YAML_CHARS = " \n\t-:?[]{},#&*!|>'\"%@`0123456789.+~abcdefghijklmnopqrstuvwxyzNY\\\x00\x85\u2028\ufeff€😀"
YAML_WORDS = [
    "version",
    "interactions",
    "request",
    "response",
    "body",
    "headers",
    "code",
    "duration",
    "!!binary",
    "---",
]
yaml_alphabet = st.sampled_from([*YAML_CHARS, *YAML_WORDS])
yamlish = st.lists(yaml_alphabet, max_size=200).map("".join)


@st.composite
def mutated(draw: st.DrawFn, base: str) -> str:
    """``base`` with a few characters replaced, inserted or deleted, or cut short."""
    text = base
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        piece = draw(yaml_alphabet)
        if action == "replace":
            text = text[:at] + piece + text[at + 1 :]
        elif action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at]
    return text


def _write(name: str, data: str | bytes) -> Path:
    path = SCRATCH / name
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    return path


def _load_or_format_error(text: str | bytes) -> Cassette | None:
    """The cassette, or None when the loader refused it with a located CassetteFormatError."""
    error: CassetteFormatError | None = None
    try:
        return groq_vcr.load_cassette(_write("c.yaml", text))
    except CassetteFormatError as exc:
        error = exc
    assert error.path == str(SCRATCH / "c.yaml")
    assert error.problem
    return None


@FUZZ
@given(st.one_of(yamlish, st.binary(max_size=300), mutated(SEED_CASSETTE)))
def test_cassette_loader_raises_only_cassette_format_error(data: str | bytes) -> None:
    cassette = _load_or_format_error(data)
    if cassette is not None:  # whatever loads also saves and reloads to the same model
        assert (
            groq_vcr.parse_cassette(groq_vcr.dump_cassette(cassette)).interactions == _renumbered(cassette).interactions
        )


def _renumbered(cassette: Cassette) -> Cassette:
    for index, interaction in enumerate(cassette.interactions):
        interaction.id = index
    return cassette


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(json_values)
def test_cassette_loader_on_any_yaml_document(value: object) -> None:
    _load_or_format_error(yaml.safe_dump(value))
    _load_or_format_error(yaml.safe_dump({"version": 2, "interactions": [value]}))


@FUZZ
@given(st.one_of(yamlish, st.binary(max_size=300), json_values.map(lambda v: yaml.safe_dump({"version": 1, "x": v}))))
def test_vcrpy_loader_raises_only_cassette_format_error(data: str | bytes) -> None:
    with contextlib.suppress(CassetteFormatError):
        load_v1(_write("v1.yaml", data))


curl_words = st.sampled_from(
    ["curl", "https://api.groq.com/openai/v1/chat/completions", "-H", "-d", "--data-binary", "-F", "-X", "POST",
     "'", '"', "\\\n", "\n", " ", "Content-Type: application/json", '{"a": [1', "}", "@", "=", "file=@a.wav",
     "--json", "-u", "user:pw", "--url", "-b", "$'", "#", "http://", "ftp://x"]
)  # fmt: skip
curl_text = st.lists(st.one_of(curl_words, st.text(max_size=8)), max_size=25).map(" ".join)


@FUZZ
@given(curl_text)
def test_curl_parser_raises_only_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_curl_text(text, origin="calls.txt", base_dir=SCRATCH)


spec_values = st.dictionaries(
    st.sampled_from(["url", "method", "headers", "json", "body", "form", "files", "name", "other"]),
    json_values,
    max_size=5,
)


@FUZZ
@given(st.one_of(spec_values, st.lists(spec_values, max_size=3), json_values), st.sampled_from([".yaml", ".json"]))
def test_request_spec_loader_raises_only_input_error(value: object, suffix: str) -> None:
    text = json.dumps(value) if suffix == ".json" else yaml.safe_dump(value)
    with contextlib.suppress(InputError):
        load_request_specs(_write("spec" + suffix, text))


@FUZZ
@given(st.one_of(yamlish.map(str.encode), mutated(SEED_CASSETTE).map(str.encode)))
def test_request_spec_loader_on_broken_text(data: bytes) -> None:
    for suffix in (".yaml", ".json"):
        with contextlib.suppress(InputError):
            load_request_specs(_write("spec" + suffix, data))


sse_pieces = st.sampled_from(
    ["data: ", "event: error\n", "id: 1\n", "retry: x\n", ": comment\n", "\n", "\r\n", "\r", "[DONE]", '{"error":',
     '{"choices":[{"index":0,"delta":{"content":"a","tool_calls":[{"index":0,"function":{"name":"f"}}]}}]}',
     '{"x_groq":{"usage":{"total_tokens":3}}}', "\xff", "\u2028"]
)  # fmt: skip
sse_bodies = st.one_of(st.binary(max_size=400), st.lists(sse_pieces, max_size=30).map(lambda p: "".join(p).encode()))


@FUZZ
@given(sse_bodies)
def test_sse_parsing_never_raises_and_replays_every_byte(body: bytes) -> None:
    chunks = split_events(body)
    assert b"".join(chunks) == body
    parsed = parse_stream(body)
    summary = reassemble(body)
    assert summary.incomplete == (parsed.incomplete is not None)
    # Fed event by event (as replay does), the events are those of the whole body.
    assert parse_stream(b"".join(chunks)).events == parsed.events


ATHERIS_RUNS = 6000


def test_atheris_finds_no_unexpected_exception() -> None:
    """Coverage-guided: every loader, chosen by the first byte, for a bounded number of runs."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "fuzz.py"), "all", f"-runs={ATHERIS_RUNS}", "-timeout=10"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=SCRATCH,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"Done {ATHERIS_RUNS} runs" in result.stderr
