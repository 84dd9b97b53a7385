"""The yaml.v3 emitter and the cassette loader: exact bytes, hostile strings, round trips, error locations."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groq_vcr import Cassette, CassetteFormatError, Interaction, Request, Response
from groq_vcr.cassette import _emit, body_text_or_bytes
from groq_vcr.cassette import _load as yaml_v3
from groq_vcr.cassette._emit import Fields, dump_cassette, dump_document, natural_sort_key
from groq_vcr.cassette._load import load_cassette_text, validate_cassette_text

REFERENCE = Path(__file__).resolve().parents[2] / "cassettes" / "groq_chat_stream.yaml"

VCRPY_V1 = "version: 1\ninteractions:\n- {request: {uri: 'http://x/', method: GET}, response: {status: {code: 200}}}\n"


def _value(text: str | bytes) -> str:
    """How a value is written after ``key:`` at the top level (not last, so no ``...`` end marker)."""
    text_out = dump_document(Fields([("k", text), ("z", 1)]), explicit_start=False)
    assert text_out.endswith("z: 1\n")
    return text_out[: -len("z: 1\n")]


# --- exact bytes -------------------------------------------------------------------------------------------------


def test_reference_cassette_round_trips_byte_for_byte() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    cassette = load_cassette_text(text)
    assert dump_cassette(cassette) == text


def test_reference_cassette_model() -> None:
    cassette = load_cassette_text(REFERENCE.read_text(encoding="utf-8"))
    (it,) = cassette.interactions
    assert it.request.content_length == 236
    assert it.request.headers["User-Agent"] == ["OpenAI/Go 2.3.0"]
    assert it.response.proto == "HTTP/2.0"
    assert it.response.content_length == -1
    assert it.response.duration == 94_900_458
    assert isinstance(it.response.body, str)
    assert it.response.body.endswith("data: [DONE]\n\n")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # plain
        ("hello world", "k: hello world\n"),
        ("200 OK", "k: 200 OK\n"),
        ("94.900458ms", "k: 94.900458ms\n"),
        ("1.5µs", "k: 1.5µs\n"),
        (
            "https://api.groq.com/openai/v1/chat/completions?a=1&b=2",
            "k: https://api.groq.com/openai/v1/chat/completions?a=1&b=2\n",
        ),
        ("it's", "k: it's\n"),
        ("-x", "k: -x\n"),
        ("a:b", "k: a:b\n"),
        ("a#b", "k: a#b\n"),
        ("2001-13-14", "k: 2001-13-14\n"),  # not a valid date for Go, so a string
        ("._5", "k: ._5\n"),
        ("<<", "k: <<\n"),  # resolve.go never looks "<<" up (no hint for "<"), so yaml.v3 leaves it plain
        ("é ü", "k: é ü\n"),
        ("x" * 300, "k: " + "x" * 300 + "\n"),  # no line wrapping
        # double-quoted: resolves to another type in YAML 1.2 or is a YAML 1.1 bool / base-60 number
        ("", 'k: ""\n'),
        ("true", 'k: "true"\n'),
        ("False", 'k: "False"\n'),
        ("null", 'k: "null"\n'),
        ("~", 'k: "~"\n'),
        ("0", 'k: "0"\n'),
        ("-1", 'k: "-1"\n'),
        ("+1", 'k: "+1"\n'),
        ("1_000", 'k: "1_000"\n'),
        ("0x10", 'k: "0x10"\n'),
        ("0o17", 'k: "0o17"\n'),
        ("0b101", 'k: "0b101"\n'),
        ("0b-1", 'k: "0b-1"\n'),
        ("1e5", 'k: "1e5"\n'),
        ("1.", 'k: "1."\n'),
        (".5", 'k: ".5"\n'),
        (".inf", 'k: ".inf"\n'),
        ("2001-12-14", 'k: "2001-12-14"\n'),
        ("2001-12-14T21:59:43.10Z", 'k: "2001-12-14T21:59:43.10Z"\n'),
        ("yes", 'k: "yes"\n'),
        ("Off", 'k: "Off"\n'),
        ("y", 'k: "y"\n'),
        ("1:20", 'k: "1:20"\n'),
        # single-quoted: cannot be plain
        (" lead", "k: ' lead'\n"),
        ("trail ", "k: 'trail '\n"),
        ("a: b", "k: 'a: b'\n"),
        ("a #b", "k: 'a #b'\n"),
        ("#x", "k: '#x'\n"),
        ("'q'", "k: '''q'''\n"),
        ("-", "k: '-'\n"),
        ("- x", "k: '- x'\n"),
        ("? x", "k: '? x'\n"),
        ("---x", "k: '---x'\n"),
        ("...", "k: '...'\n"),
        ("@x", "k: '@x'\n"),
        ("`x", "k: '`x'\n"),
        ("{a}", "k: '{a}'\n"),
        ("*a", "k: '*a'\n"),
        ("%x", "k: '%x'\n"),
        # double-quoted with Go escapes
        ("tab\there", 'k: "tab\\there"\n'),
        ("cr\rx", 'k: "cr\\rx"\n'),
        ("nel\x85x", 'k: "nel\\Nx"\n'),
        ("emoji 😀", 'k: "emoji \\U0001F600"\n'),
        ("bell\x07", 'k: "bell\\a"\n'),
        ("del\x7f", 'k: "del\\x7F"\n'),
        ('say "hi"\t', 'k: "say \\"hi\\"\\t"\n'),
        ("\ufeffbom", 'k: "\\uFEFF\\x62\\x6F\\x6D"\n'),  # Go escapes everything after a leading BOM
        ("x\ny ", 'k: "x\\ny "\n'),  # trailing space forbids a literal block
        ("a \nb", 'k: "a \\nb"\n'),  # space before a break too
        ("a\r\nb", 'k: "a\\r\\nb"\n'),
        # literal blocks
        ("line\n", "k: |\n    line\n"),
        ("line", "k: line\n"),
        ("a\nb", "k: |-\n    a\n    b\n"),
        ("a\n\n", "k: |+\n    a\n\n"),
        ("data: x\n\ndata: [DONE]\n\n", "k: |+\n    data: x\n\n    data: [DONE]\n\n"),
        ("  indented\nx", "k: |4-\n      indented\n    x\n"),
        ("\nlead", "k: |4-\n\n    lead\n"),  # lossless form of a leading break (yaml.v3 3.0.1 drops it)
        ("a\tb\nc", "k: |-\n    a\tb\n    c\n"),  # a tab does not forbid a literal block
        ("\tx\n", "k: |4\n    \tx\n"),  # ...but a leading tab needs the indicator to read back
        ("a\n b", "k: |-\n    a\n     b\n"),
        ("é\n", "k: |\n    é\n"),
        # binary
        (b"\xff\xfe", "k: !!binary //4=\n"),
        (b"\xff" * 60, "k: !!binary |\n    " + "/" * 70 + "\n    " + "/" * 10 + "\n"),
        (b"caf\xc3\xa9", "k: café\n"),  # valid UTF-8 bytes are text, as for a Go string
    ],
)
def test_scalar_styles(value: str | bytes, expected: str) -> None:
    assert _value(value) == expected


def test_merge_word_is_written_plain_and_reads_back_as_text_everywhere() -> None:
    # A header name, a header value, a form value and a body equal to "<<": yaml.v3 writes each plain, and
    # our loader must read each back as the string (PyYAML's default resolver would make it a merge key).
    request = Request(
        body="<<",
        form={"<<": ["<<"]},
        headers={"<<": ["<<"], "Accept": ["<<"]},
        url="https://api.groq.com/openai/v1/models",
        method="POST",
    )
    response = Response(body="<<", headers={"<<": ["<<"]}, status="200 OK", code=200)
    cassette = Cassette(interactions=[Interaction(id=0, request=request, response=response)])
    text = dump_cassette(cassette)
    assert '"<<"' not in text
    assert "            <<:\n                - <<\n" in text
    assert "        body: <<\n" in text
    back = load_cassette_text(text)
    assert back == cassette
    assert dump_cassette(back) == text


def test_open_ended_literal_at_document_end_gets_marker() -> None:
    assert dump_document(Fields([("k", "a\n\n")])) == "---\nk: |+\n    a\n\n...\n"


def test_leading_space_literal_inside_a_sequence_gets_a_relative_indicator() -> None:
    text = dump_document(Fields([("t", [" a\nb"])]), explicit_start=False)
    assert text == "t:\n    - |2-\n       a\n      b\n"
    assert yaml.safe_load(text) == {"t": [" a\nb"]}


def test_indentation_layout_inside_sequences_and_maps() -> None:
    doc = Fields([("list", ["a\nb", {"x": ["1", "y"]}, [], {}])])
    assert dump_document(doc, explicit_start=False) == (
        'list:\n    - |-\n      a\n      b\n    - x:\n        - "1"\n        - "y"\n    - []\n    - {}\n'
    )


def test_long_key_is_written_as_complex_key() -> None:
    key = "X-" + "a" * 130
    text = dump_document({key: ["v"]}, explicit_start=False)
    assert text == f"? {key}\n:   - v\n"
    assert yaml.safe_load(text) == {key: ["v"]}


def test_multiline_key_is_a_complex_literal_key() -> None:
    assert dump_document({"a\nb": "v"}, explicit_start=False) == "? |-\n    a\n    b\n: v\n"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["b", "a", "C"], ["C", "a", "b"]),
        (["a10", "a2", "a1"], ["a1", "a2", "a10"]),
        (["X-Ratelimit-Reset-Tokens", "X-Ratelimit-Limit-Requests", "Content-Type"], None),
        (["a-b", "ab", "a_b"], ["a-b", "a_b", "ab"]),  # a non-letter sorts before a letter
        (["x2y", "x10", "x2"], ["x2", "x2y", "x10"]),
        (["a01", "a1", "a001"], ["a1", "a01", "a001"]),  # equal numbers: the shorter digit run first
    ],
)
def test_natural_key_order(keys: list[str], expected: list[str] | None) -> None:
    ordered = sorted(keys, key=natural_sort_key)
    assert ordered == (expected if expected is not None else sorted(keys))


def _full_cassette() -> Cassette:
    req = Request(
        proto="HTTP/1.1",
        content_length=11,
        transfer_encoding=["chunked"],
        trailer={"X-Trailer": ["t"]},
        host="api.groq.com",
        remote_addr="127.0.0.1:5000",
        request_uri="/openai/v1/models",
        body="hello=world",
        form={"hello": ["world"]},
        headers={"Content-Type": ["application/x-www-form-urlencoded"]},
        url="https://api.groq.com/openai/v1/models",
        method="POST",
    )
    resp = Response(
        proto="HTTP/2.0",
        proto_major=2,
        proto_minor=0,
        transfer_encoding=["chunked"],
        trailer={"Grpc-Status": ["0"]},
        content_length=-1,
        uncompressed=True,
        body=b"\x1f\x8b\x08\x00",
        headers={"X-Ratelimit-Remaining-Tokens": ["5999"], "Content-Encoding": ["gzip"]},
        status="404 Not Found",
        code=404,
        duration=61_001_000_000,
    )
    empty = Interaction(request=Request(url="https://x.test/", method="GET"), response=Response(headers={}, body=""))
    return Cassette(interactions=[Interaction(request=req, response=resp), empty])


FULL_CASSETTE_TEXT = """\
---
version: 2
interactions:
    - id: 0
      request:
        proto: HTTP/1.1
        proto_major: 1
        proto_minor: 1
        content_length: 11
        transfer_encoding:
            - chunked
        trailer:
            X-Trailer:
                - t
        host: api.groq.com
        remote_addr: 127.0.0.1:5000
        request_uri: /openai/v1/models
        body: hello=world
        form:
            hello:
                - world
        headers:
            Content-Type:
                - application/x-www-form-urlencoded
        url: https://api.groq.com/openai/v1/models
        method: POST
      response:
        proto: HTTP/2.0
        proto_major: 2
        proto_minor: 0
        transfer_encoding:
            - chunked
        trailer:
            Grpc-Status:
                - "0"
        content_length: -1
        uncompressed: true
        body: !!binary H4sIAA==
        headers:
            Content-Encoding:
                - gzip
            X-Ratelimit-Remaining-Tokens:
                - "5999"
        status: 404 Not Found
        code: 404
        duration: 1m1.001s
    - id: 1
      request:
        proto: HTTP/1.1
        proto_major: 1
        proto_minor: 1
        content_length: 0
        host: ""
        url: https://x.test/
        method: GET
      response:
        proto: HTTP/1.1
        proto_major: 1
        proto_minor: 1
        content_length: -1
        body: ""
        headers: {}
        status: 200 OK
        code: 200
        duration: 0s
"""


def test_every_field_and_omit_when_empty_rules() -> None:
    assert dump_cassette(_full_cassette()) == FULL_CASSETTE_TEXT
    loaded = load_cassette_text(FULL_CASSETTE_TEXT)
    expected = _full_cassette()
    expected.interactions[1].id = 1
    assert loaded == expected


def test_empty_cassette() -> None:
    assert dump_cassette(Cassette()) == "---\nversion: 2\ninteractions: []\n"
    assert load_cassette_text("version: 2\ninteractions: []\n") == Cassette()


def test_interactions_are_renumbered_on_save() -> None:
    c = _full_cassette()
    c.interactions[0].id, c.interactions[1].id = 7, 7
    assert "    - id: 0\n" in dump_cassette(c)
    assert "    - id: 1\n" in dump_cassette(c)


# --- loading other layouts ---------------------------------------------------------------------------------------

COMPACT = """\
version: 2
interactions:
- id: 0
  request:
    body: '{"a":1}'
    headers:
      content-type: [application/json]
    url: https://api.groq.com/openai/v1/chat/completions
    method: POST
    future_field: ignored
  response:
    body: !!binary |
      /wAB
    headers: {Content-Type: [application/octet-stream]}
    status: 200 OK
    code: 200
  extra_in_interaction: 1
note: kept
"""


def test_loads_compact_two_space_layout_without_document_marker() -> None:
    c = load_cassette_text(COMPACT)
    (it,) = c.interactions
    assert it.request.body == '{"a":1}'
    assert it.request.headers == {"content-type": ["application/json"]}
    assert it.request.proto == ""
    assert it.request.content_length == 0
    assert it.response.body == b"\xff\x00\x01"
    assert it.response.duration == 0
    assert it.response.content_length == 0
    assert c.extra == {"note": "kept"}
    # unknown top-level keys survive a save; unknown nested keys are dropped like go-vcr does
    out = dump_cassette(c)
    assert out.endswith("        duration: 0s\nnote: kept\n")
    assert "future_field" not in out


def test_plain_scalars_keep_their_go_text() -> None:
    text = (
        "version: 2\ninteractions:\n- request: {url: u, method: GET, host: 1_000, body: 0x10, "
        "headers: {A: [yes, 1.5, 2001-12-14, ~, true, 7]}}\n"
        "  response: {code: 200, status: 200, uncompressed: yes}\n"
    )
    (it,) = load_cassette_text(text).interactions
    assert it.request.host == "1_000"
    assert it.request.body == "0x10"
    assert it.request.headers["A"] == ["yes", "1.5", "2001-12-14", "", "true", "7"]
    assert it.response.status == "200"
    assert it.response.uncompressed is True


def test_binary_that_is_utf8_becomes_text() -> None:
    text = "version: 2\ninteractions:\n- request: {url: u, method: GET}\n  response: {code: 200, body: !!binary aGk=}\n"
    assert load_cassette_text(text).interactions[0].response.body == "hi"


# --- errors ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("version: 2\ninteractions: [\n", 3, 1, "YAML syntax error"),
        ("version: 2\n  bad: indent\n", 2, 6, "YAML syntax error"),
        ("- a\n- b\n", 1, 1, "must be a YAML mapping"),
        ("", None, None, "must be a YAML mapping"),
        ("interactions: []\n", 1, 1, "`version` is missing"),
        ('version: "2"\ninteractions: []\n', 1, 10, "must be the integer 2, found the text '2'"),
        (
            VCRPY_V1,
            1,
            10,
            "groq-vcr convert --to v2",
        ),
        ("version: 2\n", 1, 1, "`interactions` is missing"),
        ("version: 2\ninteractions: {}\n", 2, 15, "`interactions` must be a list"),
        ("version: 2\ninteractions:\n- 5\n", 3, 3, "interaction 0 must be a mapping"),
        # a missing `response` loads (go-vcr's zero response: tests/unit/test_foreign_cassettes.py); a wrong one fails
        (
            "version: 2\ninteractions:\n- request: {url: u, method: GET}\n  response: 5\n",
            4,
            13,
            "`interactions[0].response` must be a mapping",
        ),
        (
            "version: 2\ninteractions:\n- request: {method: GET}\n  response: {code: 200}\n",
            3,
            12,
            "`interactions[0].request` has no `url`",
        ),
        (
            "version: 2\ninteractions:\n- request: {url: u, method: GET}\n  response:\n    code: '200'\n",
            5,
            11,
            "`interactions[0].response.code` must be an integer, found the text '200'",
        ),
        (
            "version: 2\ninteractions:\n- request: {url: u, method: GET}\n  response: {code: 200, duration: 5}\n",
            4,
            35,
            "must be Go duration text",
        ),
        (
            "version: 2\ninteractions:\n- request: {url: u, method: GET}\n  response: {code: 200, duration: 5 sec}\n",
            4,
            35,
            "is not a Go duration",
        ),
        (
            "version: 2\ninteractions:\n- request: {url: u, method: GET, headers: {A: b}}\n  response: {code: 200}\n",
            3,
            47,
            "`interactions[0].request.headers.A` must be a list",
        ),
        (
            "version: 2\ninteractions:\n- request: {url: [u], method: GET}\n  response: {code: 200}\n",
            3,
            18,
            "`interactions[0].request.url` must be text, found a list",
        ),
        ("version: 2\ninteractions: []\nx: !!int 'abc'\n", None, None, "cannot be read"),
        ("version: 2\ninteractions: []\nx: !custom 1\n", 3, 4, "YAML syntax error"),
        ("version: 2\ninteractions: []\n---\nversion: 2\n", 3, 1, "YAML syntax error"),
        ("version: 2\x00\n", None, None, "character YAML does not allow"),
    ],
)
def test_errors_name_line_column_and_problem(text: str, line: int | None, column: int | None, fragment: str) -> None:
    with pytest.raises(CassetteFormatError) as info:
        load_cassette_text(text)
    err = info.value
    assert fragment in err.problem
    assert (err.line, err.column) == (line, column)


def test_validate_collects_every_problem() -> None:
    text = (
        "version: 2\ninteractions:\n"
        "- request: {url: u, method: GET}\n  response: {code: x, duration: 5}\n"
        "- request: {method: [GET]}\n  response: {code: 200}\n"
    )
    problems = validate_cassette_text(text)
    assert [(p.line, p.problem.split(" ")[0]) for p in problems] == [
        (4, "`interactions[0].response.code`"),
        (4, "`interactions[0].response.duration`"),
        (5, "`interactions[1].request.method`"),
        (5, "`interactions[1].request`"),
    ]
    assert validate_cassette_text(REFERENCE.read_text(encoding="utf-8")) == []


# --- property-based round trips ----------------------------------------------------------------------------------

HOSTILE_WORDS = [
    "",
    " ",
    "true",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "0",
    "-1",
    "0x1F",
    "1e3",
    "1:20",
    "2001-12-14",
    "2001-12-14 21:59:43.10",
    ".inf",
    "<<",
    "-",
    "- x",
    ": x",
    "? x",
    "#",
    "a #b",
    "a: b",
    "'",
    '"',
    "|",
    ">",
    "&a",
    "*a",
    "!t",
    "%",
    "@",
    "`",
    "{}",
    "[]",
    "---",
    "...",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\n\n",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\x00",
    "\x1b",
    "\xa0",
    "😀",
    "é",
    "data: {}\n\n",
    "x" * 200,
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.text(alphabet=st.sampled_from(list(" \t\n\r:#-?'\"!|>{}[],&*%@`~.0123456789abcyYnN\x85\u2028é😀")), max_size=12),
    st.text(max_size=20),
    st.lists(st.sampled_from(HOSTILE_WORDS), max_size=5).map("".join),
)
header_name = st.one_of(
    st.sampled_from(["Content-Type", "X-Ratelimit-Limit-Tokens", "a10", "a2", "A", "_"]), hostile_text
)
headers = st.dictionaries(header_name, st.lists(hostile_text, max_size=3), max_size=4)
bodies = st.one_of(hostile_text, st.binary(max_size=120).map(body_text_or_bytes))
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@st.composite
def cassettes(draw: st.DrawFn) -> Cassette:
    interactions = []
    for i in range(draw(st.integers(0, 3))):
        req = Request(
            proto=draw(hostile_text),
            proto_major=draw(ints),
            proto_minor=draw(st.integers(0, 9)),
            content_length=draw(ints),
            transfer_encoding=draw(st.lists(hostile_text, max_size=2)),
            trailer=draw(headers),
            host=draw(hostile_text),
            remote_addr=draw(hostile_text),
            request_uri=draw(hostile_text),
            body=draw(bodies),
            form=draw(headers),
            headers=draw(headers),
            url=draw(hostile_text),
            method=draw(hostile_text),
        )
        resp = Response(
            proto=draw(hostile_text),
            proto_major=draw(st.integers(0, 3)),
            proto_minor=draw(st.integers(0, 3)),
            transfer_encoding=draw(st.lists(hostile_text, max_size=2)),
            trailer=draw(headers),
            content_length=draw(ints),
            uncompressed=draw(st.booleans()),
            body=draw(bodies),
            headers=draw(headers),
            status=draw(hostile_text),
            code=draw(ints),
            # -(2**63) itself is excluded: durations.parse_go_duration rejects Go's minimum (reported upstream)
            duration=draw(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)),
        )
        interactions.append(Interaction(request=req, response=resp, id=i))
    extra = draw(st.dictionaries(st.sampled_from(["note", "x-meta", "z"]), hostile_text, max_size=2))
    return Cassette(interactions=interactions, extra=extra)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cassettes())
def test_load_of_dump_is_identity_and_dump_is_stable(cassette: Cassette) -> None:
    text = dump_cassette(cassette)
    loaded = load_cassette_text(text)
    assert loaded == cassette
    assert dump_cassette(loaded) == text


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(hostile_text, st.one_of(hostile_text, st.lists(hostile_text, max_size=3)), max_size=4))
def test_any_string_map_reads_back_with_plain_pyyaml(doc: dict[str, str | list[str]]) -> None:
    """Our output is standard YAML: the pure-Python SafeLoader reads back the same strings."""
    text = dump_document(doc)
    assert yaml.load(text, Loader=_PyStringLoader) == doc


class _PyStringLoader(yaml.SafeLoader):
    """Pure-Python loader where every plain scalar stays text (no YAML 1.1 implicit types)."""

    yaml_implicit_resolvers: dict[str, list[object]] = {}  # noqa: RUF012


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(string.ascii_letters + string.digits + "-_.")), max_size=8))
def test_natural_order_is_a_total_order_on_header_like_names(name: str) -> None:
    names = sorted({name, name + "1", name + "10", name + "2", "a" + name, "_" + name}, key=natural_sort_key)
    assert sorted(names, key=natural_sort_key) == names
    assert sorted(reversed(names), key=natural_sort_key) == names


def _loaded_the_standard_way(text: str) -> object:
    return yaml.load(text, Loader=yaml_v3._CassetteLoader)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.one_of(hostile_text, st.binary(max_size=20), st.integers(), st.booleans(), st.none()),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
        max_leaves=12,
    )
)
def test_event_builder_matches_pyyaml_construction(doc: object) -> None:
    text = yaml.safe_dump({"doc": doc}, allow_unicode=True) + "other: [a, {b: ~}, !!str 1, '', \"x\"]\n"
    assert yaml_v3._parse(text) == _loaded_the_standard_way(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: !!binary aGk=\nb: !!str 12\nc: !!int '7'\n",
        "? [complex]\n: key\n",
        "",
        "--- plain\n",
        "a: !!set {x}\n",
    ],
)
def test_unusual_documents_load_like_pyyaml(text: str) -> None:
    try:
        expected = _loaded_the_standard_way(text)
    except yaml.YAMLError:
        with pytest.raises(CassetteFormatError):
            yaml_v3._parse(text)
        return
    assert yaml_v3._parse(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abAB-", max_size=5), unique=True, max_size=6))
def test_code_point_shortcut_agrees_with_natural_order(keys: list[str]) -> None:
    assert _emit._sorted_keys(tuple(keys)) == sorted(keys, key=natural_sort_key)


def test_big_cassette_round_trip_stays_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """5,000 interactions: loading goes through libyaml events, not PyYAML's node graph (a regression guard,
    counted: composing that graph would build a node per scalar, hundreds of thousands here)."""
    nodes = 0
    real_init = yaml.ScalarNode.__init__

    def counting_init(self: yaml.ScalarNode, *args: object, **kwargs: object) -> None:
        nonlocal nodes
        nodes += 1
        real_init(self, *args, **kwargs)

    base = load_cassette_text(REFERENCE.read_text(encoding="utf-8")).interactions[0]
    interactions = [Interaction(request=base.request, response=base.response, id=i) for i in range(5000)]
    text = dump_cassette(Cassette(interactions=interactions))
    monkeypatch.setattr(yaml.ScalarNode, "__init__", counting_init)
    loaded = load_cassette_text(text)
    assert len(loaded.interactions) == 5000
    assert nodes == 0
    assert dump_cassette(loaded) == text
