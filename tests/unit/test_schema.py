"""Schemas of real Groq responses (from the seeds) and the drift classification of their variants."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from groq.types.audio import Translation
from groq.types.chat import ChatCompletion, ChatCompletionChunk

import groq_vcr
from groq_vcr import Cassette, GroqVcrError, Interaction, Request, Response
from groq_vcr.cassette import _sse as sse
from groq_vcr.cassette import reassemble
from groq_vcr.schema._compare import SchemaReport, compare
from groq_vcr.schema._drift import compare_cassettes, interaction_label, pair_interactions
from groq_vcr.schema._infer import Schema, schema_of, schema_of_body, schema_of_chunks, schema_of_json, schema_of_sse
from groq_vcr.schema._verify import verify_live

DATA = Path(__file__).parent.parent / "data" / "responses"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


CHAT = load("chat_gpt_oss_reasoning.json")
AUDIO = load("audio_translation.json")
VISION = load("vision_ocr_001.json")
STREAM = (DATA / "chat_stream.sse").read_text()


def variant(base: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(base)
    edit(changed)
    return changed


def lines(report: SchemaReport) -> list[str]:
    return [str(change) for change in report.changes]


# --- schemas --------------------------------------------------------------------------------------------


def test_schema_of_the_gpt_oss_response_has_types_not_values() -> None:
    schema = schema_of_json(CHAT)
    assert schema.paths["choices[].message.reasoning"] == {"str"}
    assert schema.paths["choices[].logprobs"] == {"null"}
    assert schema.paths["usage_breakdown"] == {"null"}
    assert schema.paths["usage.queue_time"] == {"float"}
    assert schema.paths["usage.prompt_tokens"] == {"int"}
    assert schema.paths["choices"] == {"array"}
    assert schema.paths[""] == {"object"}
    assert "Non" not in schema.to_json()  # no generated text in a schema


def test_list_items_are_the_union_of_their_schemas_and_empty_lists_are_unobserved() -> None:
    schema = schema_of_json({"a": [{"x": 1}, {"x": None, "y": "s"}], "e": [], "odd key": {"k.1": True}})
    assert schema.paths["a[]"] == {"object"}
    assert schema.paths["a[].x"] == {"int", "null"}
    assert schema.paths["a[].y"] == {"str"}
    assert schema.paths["e[]"] == frozenset()
    assert schema.paths['["odd key"]["k.1"]'] == {"bool"}


def test_schema_of_the_reference_stream_is_the_union_of_its_chunks() -> None:
    schema = schema_of_sse(STREAM)
    assert schema.kind == "sse"
    assert schema.paths["choices[].delta.content"] == {"str"}
    assert schema.paths["choices[].delta.role"] == {"str"}
    assert schema.paths["choices[].finish_reason"] == {"str", "null"}
    assert schema.paths["x_groq.usage.total_tokens"] == {"int"}
    assert schema.paths["service_tier"] == {"str"}
    assert schema.stream is not None
    assert schema.stream.event_kinds == {"message"}
    assert schema.stream.terminated_by_done
    assert schema.stream.has_usage_chunk
    assert not schema.stream.incomplete


def test_schema_round_trips_through_json() -> None:
    for schema in (schema_of_json(CHAT), schema_of_sse(STREAM), schema_of_body(b"\x00\xff", "audio/wav")):
        assert Schema.from_dict(json.loads(schema.to_json())) == schema


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (json.dumps(AUDIO), "application/json", "json"),
        (json.dumps(AUDIO).encode(), None, "json"),
        (STREAM, "text/event-stream; charset=utf-8", "sse"),
        (STREAM.encode(), None, "sse"),
        (" OpenAI is very interesting one.\n", "text/plain", "text"),
        (b"RIFF\x00\x00\xff\xfe", "audio/wav", "binary"),
        ("", "application/json", "empty"),
    ],
)
def test_schema_of_body_detects_the_body_kind(body: str | bytes, content_type: str | None, kind: str) -> None:
    assert schema_of_body(body, content_type).kind == kind


def test_gzip_body_is_decompressed() -> None:
    import gzip

    assert schema_of_body(gzip.compress(json.dumps(AUDIO).encode())) == schema_of_body(json.dumps(AUDIO))


def test_pydantic_sdk_objects_have_the_schema_of_the_wire_json() -> None:
    completion = ChatCompletion.model_validate(CHAT)
    assert schema_of(completion) == schema_of_json(CHAT)
    assert schema_of(Translation.model_validate(AUDIO)) == schema_of_json(AUDIO)
    # With every declared field dumped, SDK defaults show up as null fields the server never sent.
    noisy = compare(schema_of_json(CHAT), schema_of(completion, exclude_unset=False))
    assert "choices[].message.tool_calls: added (null)" in lines(noisy)
    assert not noisy.breaking


def test_sdk_stream_chunks_compare_clean_with_the_recorded_stream() -> None:
    chunks = [ChatCompletionChunk.model_validate(e.json()) for e in sse.parse_events(STREAM) if not e.is_done]
    from_sdk = schema_of(chunks)
    assert from_sdk == schema_of_chunks(chunks)
    assert from_sdk.paths == schema_of_sse(STREAM).paths
    assert compare(schema_of_sse(STREAM), from_sdk).changes == ()


def test_httpx_responses_json_and_streamed() -> None:
    response = httpx.Response(200, json=VISION, headers={"content-type": "application/json"})
    schema = schema_of(response)
    assert schema.status == 200
    assert schema.content_type == "application/json"
    assert schema.paths == schema_of_json(VISION).paths

    streamed = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=httpx.ByteStream(STREAM.encode())
    )
    assert schema_of(streamed).paths == schema_of_sse(STREAM).paths

    request = httpx.Request("POST", "https://api.groq.com/openai/v1/chat/completions")
    consumed = httpx.Response(200, stream=httpx.ByteStream(STREAM.encode()), request=request)
    for _ in consumed.iter_raw():
        pass
    with pytest.raises(GroqVcrError, match="already consumed"):
        schema_of(consumed)


def test_interaction_uses_the_request_stream_flag_and_the_status() -> None:
    request = Request(method="POST", url="https://api.groq.com/openai/v1/chat/completions", body='{"stream":true}')
    response = Response(body=STREAM, code=200)  # no Content-Type header recorded
    schema = schema_of(Interaction(request=request, response=response))
    assert schema.kind == "sse"
    assert schema.status == 200
    assert schema_of(response).kind == "sse"  # recognised by its look too


# --- comparisons: the variants the issue lists -------------------------------------------------------------


def _drop_reasoning(d: dict[str, Any]) -> None:
    del d["choices"][0]["message"]["reasoning"]


def _created_as_str(d: dict[str, Any]) -> None:
    d["created"] = str(d["created"])


def _add_annotations(d: dict[str, Any]) -> None:
    d["choices"][0]["message"]["annotations"] = [{"type": "url_citation", "url": "https://x"}]


def _change_values(d: dict[str, Any]) -> None:
    d["id"] = "chatcmpl-other"
    d["created"] += 1000
    d["choices"][0]["message"]["content"] = "something else entirely"
    d["choices"][0]["message"]["reasoning"] = "different thoughts"
    d["usage"]["total_time"] = 1.5
    d["x_groq"]["id"] = "req_other"
    d["system_fingerprint"] = "fp_other"


def _nullable_content(d: dict[str, Any]) -> None:
    second = copy.deepcopy(d["choices"][0])
    second["index"], second["message"]["content"] = 1, None
    d["choices"].append(second)


def _zero_timing(d: dict[str, Any]) -> None:
    d["usage"]["queue_time"] = 0


def _usage_breakdown_filled(d: dict[str, Any]) -> None:
    d["usage_breakdown"] = {"models": [{"model": "m", "usage": {"total_tokens": 1}}]}


def _message_as_string(d: dict[str, Any]) -> None:
    d["choices"][0]["message"] = "flattened"


@pytest.mark.parametrize(
    ("edit", "expected", "ok", "ok_strict"),
    [
        (_drop_reasoning, ["choices[].message.reasoning: removed (str)"], False, False),
        (_created_as_str, ["created: type changed (int -> str)"], False, False),
        (_add_annotations, ["choices[].message.annotations: added (array) (+3 nested paths)"], True, False),
        (_change_values, [], True, True),
        (_nullable_content, ["choices[].message.content: became nullable (str -> str | null)"], False, False),
        (_zero_timing, ["usage.queue_time: number format changed (float -> int)"], True, True),
        (
            _usage_breakdown_filled,
            ["usage_breakdown: now has a value (null -> object; was only seen as null) (+5 nested paths)"],
            True,
            False,
        ),
        (_message_as_string, ["choices[].message: type changed (object -> str) (+3 nested paths)"], False, False),
    ],
    ids=["removed", "type", "added", "values", "nullable", "int-float", "null-typed", "container"],
)
def test_variants_of_the_gpt_oss_response(
    edit: Callable[[dict[str, Any]], None], expected: list[str], ok: bool, ok_strict: bool
) -> None:
    old, new = schema_of_json(CHAT), schema_of_json(variant(CHAT, edit))
    assert lines(compare(old, new)) == expected
    assert compare(old, new).ok is ok
    assert compare(old, new, strict=True).ok is ok_strict


def test_became_nullable_vs_no_longer_nullable_severity() -> None:
    nullable = schema_of_json({"a": [{"v": 1}, {"v": None}]})
    plain = schema_of_json({"a": [{"v": 2}]})
    became = compare(plain, nullable)
    assert [(c.kind, c.severity) for c in became.changes] == [("became_nullable", "breaking")]
    stopped = compare(nullable, plain)
    assert [(c.kind, c.severity) for c in stopped.changes] == [("no_longer_nullable", "info")]
    assert stopped.ok
    always = compare(plain, schema_of_json({"a": [{"v": None}]}))
    assert lines(always) == ["a[].v: now always null (int -> null)"]
    narrowed = compare(schema_of_json({"a": [1, "x"]}), schema_of_json({"a": [2]}))
    assert lines(narrowed) == ["a[]: narrowed (str | int -> int)"]
    assert narrowed.ok


def test_two_real_vision_calls_have_the_same_schema() -> None:
    assert compare(schema_of_json(load("vision_ocr_000.json")), schema_of_json(VISION)).changes == ()


def test_audio_translation_variants() -> None:
    old = schema_of_json(AUDIO)
    assert lines(compare(old, schema_of_json(variant(AUDIO, lambda d: d.pop("text"))))) == ["text: removed (str)"]
    segments = variant(AUDIO, lambda d: d.update(segments=[{"id": 0, "text": "hi", "start": 0.0}]))
    report = compare(old, schema_of_json(segments))
    assert lines(report) == ["segments: added (array) (+4 nested paths)"]
    assert report.ok
    assert not compare(old, schema_of_json(segments), strict=True).ok


def test_empty_list_on_one_side_is_not_a_removal() -> None:
    full = schema_of_json({"tool_calls": [{"id": "a", "function": {"name": "f"}}]})
    empty = schema_of_json({"tool_calls": []})
    report = compare(full, empty)
    assert lines(report) == ["tool_calls[]: items not observed in NEW (the list was empty) (+3 nested paths)"]
    assert report.ok
    assert compare(empty, full).ok


# --- streams ------------------------------------------------------------------------------------------------


def _events(body: str) -> list[str]:
    return [chunk.decode() for chunk in sse.split_events(body)]


def test_extra_stream_chunk_with_a_known_shape_is_silent() -> None:
    events = _events(STREAM)
    longer = "".join([*events[:2], events[1].replace('"Oi"', '" tudo bem?"'), *events[2:]])
    assert reassemble(longer).content == "Oi tudo bem?!"
    assert compare(schema_of_sse(STREAM), schema_of_sse(longer)).changes == ()


def test_extra_stream_chunk_with_a_new_shape_is_additive() -> None:
    events = _events(STREAM)
    reasoning = (
        'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        '"choices":[{"index":0,"delta":{"reasoning":"thinking"},"logprobs":null,"finish_reason":null}]}\n\n'
    )
    longer = schema_of_sse("".join([*events[:2], reasoning, *events[2:]]))
    report = compare(schema_of_sse(STREAM), longer)
    assert lines(report) == ["choices[].delta.reasoning: added (str)"]
    assert report.ok
    assert not compare(schema_of_sse(STREAM), longer, strict=True).ok


def test_stream_facts_lost_are_breaking() -> None:
    events = _events(STREAM)
    no_done = "".join(events[:-1])
    no_usage = "".join([*events[:3], events[3].split(',"x_groq"')[0] + "}\n\n", events[5]])
    with_error = "".join([*events[:2], 'event: error\ndata: {"error":{"message":"x"}}\n\n'])
    base = schema_of_sse(STREAM)
    assert lines(compare(base, schema_of_sse(no_done))) == ["<stream>: no longer ends with [DONE]"]
    assert "<stream>: no longer has a usage chunk" in lines(compare(base, schema_of_sse(no_usage)))
    errored = compare(base, schema_of_sse(with_error))
    assert "<stream>: new 'error' events" in lines(errored)
    assert "error: added (object) (+1 nested path)" in lines(errored)
    assert not errored.ok
    truncated = compare(base, schema_of_sse(STREAM.rstrip("\n")))
    assert "<stream>: last event has no terminating blank line (the SDKs drop it)" in lines(truncated)


def test_body_kind_status_and_content_type_changes() -> None:
    old = Schema.from_dict({**schema_of_json(AUDIO).to_dict(), "status": 200, "content_type": "application/json"})
    new = Schema.from_dict({**schema_of_json({"error": {"message": "x"}}).to_dict(), "status": 429})
    assert lines(compare(old, new))[:1] == ["<status>: status changed (200 -> 429)"]
    assert lines(compare(schema_of_json(AUDIO), schema_of_body("plain", "text/plain"))) == [
        "<body>: body kind changed (json -> text)"
    ]


# --- report formats -----------------------------------------------------------------------------------------


def test_report_text_markdown_and_json() -> None:
    new = variant(CHAT, lambda d: (_drop_reasoning(d), d.update(extra=1), _zero_timing(d)))
    report = compare(schema_of_json(CHAT), schema_of_json(new))
    assert report.to_text() == (
        "1 breaking, 1 additive, 1 info\n"
        "breaking:\n"
        "  choices[].message.reasoning: removed (str)\n"
        "additive:\n"
        "  extra: added (int)\n"
        "info:\n"
        "  usage.queue_time: number format changed (float -> int)"
    )
    assert report.to_markdown().splitlines() == [
        "**1 breaking, 1 additive, 1 info**",
        "",
        "Breaking:",
        "",
        "- `choices[].message.reasoning`: removed (str)",
        "",
        "Additive:",
        "",
        "- `extra`: added (int)",
        "",
        "Info:",
        "",
        "- `usage.queue_time`: number format changed (float -> int)",
    ]
    data = json.loads(report.to_json())
    assert data["ok"] is False
    assert data["breaking"] == [
        {
            "path": "choices[].message.reasoning",
            "kind": "removed",
            "severity": "breaking",
            "message": "removed (str)",
            "old": ["str"],
            "new": [],
            "nested": 0,
        }
    ]
    assert compare(schema_of_json(CHAT), schema_of_json(CHAT)).to_text() == "no schema changes"


# --- pairing interactions ------------------------------------------------------------------------------------


def _interaction(url: str, body: str, response: str, *, method: str = "POST", ident: int = 0) -> Interaction:
    request = Request(method=method, url=url, body=body, headers={"Content-Type": ["application/json"]})
    return Interaction(
        request=request, response=Response(body=response, headers={"Content-Type": ["application/json"]}), id=ident
    )


CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"


# One request identity: what replay matches is exactly what drift and verify pair, except the origin.

FILES_URL = "https://api.groq.com/openai/v1/files"
REAL_KEY = "gsk_" + "Ab3" * 17 + "x"


def _request(
    body: str, *, url: str = CHAT_URL, method: str = "POST", content_type: str = "application/json"
) -> Request:
    return Request(method=method, url=url, body=body, headers={"Content-Type": [content_type]} if body else {})


def _multipart(boundary: str, audio: str = "RIFF....WAVEfmt ") -> Request:
    model = 'Content-Disposition: form-data; name="model"\r\n\r\nwhisper-large-v3'
    file = f'Content-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n{audio}'
    body = f"--{boundary}\r\n{model}\r\n--{boundary}\r\n{file}\r\n--{boundary}--\r\n"
    url = "https://api.groq.com/openai/v1/audio/translations"
    return _request(body, url=url, content_type=f"multipart/form-data; boundary={boundary}")


CHAT_BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": False}
SAME_REQUEST = {
    "JSON keys in another order, other whitespace": (
        _request(json.dumps(CHAT_BODY, separators=(",", ":"))),
        _request(json.dumps(dict(reversed(CHAT_BODY.items())), indent=2)),
    ),
    "multipart with another boundary": (_multipart("aaa111"), _multipart("bbb222")),
    "form fields in another order": (
        _request("purpose=batch&name=a", url=FILES_URL, content_type="application/x-www-form-urlencoded"),
        _request("name=a&purpose=batch", url=FILES_URL, content_type="application/x-www-form-urlencoded"),
    ),
    "query parameters in another order": (
        _request("", url=FILES_URL + "?limit=2&after=f1", method="GET"),
        _request("", url=FILES_URL + "?after=f1&limit=2", method="get"),
    ),
    "a real key where the recording has the placeholder": (
        _request(json.dumps({"model": "m", "user": "gsk_REDACTED"})),
        _request(json.dumps({"model": "m", "user": REAL_KEY})),
    ),
}
OTHER_REQUEST = {
    "another JSON value": (_request(json.dumps(CHAT_BODY)), _request(json.dumps(dict(CHAT_BODY, model="n")))),
    "another file in the multipart body": (_multipart("aaa111"), _multipart("aaa111", audio="RIFF....other ")),
    "another path": (_request("", url=FILES_URL, method="GET"), _request("", url=FILES_URL + "/f1", method="GET")),
    "another method": (_request("", url=FILES_URL, method="GET"), _request("", url=FILES_URL, method="DELETE")),
}


def _answer(request: Request) -> Interaction:
    response = Response(body='{"ok":true}', headers={"Content-Type": ["application/json"]}, code=200)
    return Interaction(request=request, response=response)


def _replays(recorded: Request, live: Request, cassette: Path) -> bool:
    """Whether replaying a cassette that holds ``recorded`` answers ``live`` (sent through httpx)."""
    groq_vcr.save_cassette(cassette, Cassette(interactions=[_answer(recorded)]))
    headers = {name: values[0] for name, values in live.headers.items()}
    with groq_vcr.use_cassette(cassette, record_mode="none"), httpx.Client() as client:
        try:
            reply = client.request(live.method, live.url, content=live.body_bytes, headers=headers)
        except groq_vcr.NoMatchError:
            return False
    assert reply.json() == {"ok": True}
    return True


def _paired(recorded: Request, live: Request) -> tuple[bool, bool]:
    """Whether ``groq-vcr diff`` and verify mode take ``live`` for the same request as ``recorded``."""
    drift = compare_cassettes(Cassette(interactions=[_answer(recorded)]), Cassette(interactions=[_answer(live)]))
    verified = verify_live([_answer(recorded)], [_answer(live)])
    return [e.label for e in drift] == [interaction_label(_answer(recorded))], verified[0].index == 0


@pytest.mark.parametrize(("recorded", "live"), SAME_REQUEST.values(), ids=SAME_REQUEST.keys())
def test_what_replay_matches_drift_and_verify_pair(recorded: Request, live: Request, tmp_path: Path) -> None:
    assert _replays(recorded, live, tmp_path / "cassette.yaml")
    assert _paired(recorded, live) == (True, True)


@pytest.mark.parametrize(("recorded", "live"), OTHER_REQUEST.values(), ids=OTHER_REQUEST.keys())
def test_what_replay_tells_apart_drift_and_verify_tell_apart(recorded: Request, live: Request, tmp_path: Path) -> None:
    assert not _replays(recorded, live, tmp_path / "cassette.yaml")
    assert _paired(recorded, live) == (False, False)


def test_replay_compares_the_origin_and_pairing_ignores_it(tmp_path: Path) -> None:
    """A drift run re-records against the local Groq-compatible server: its requests pair with api.groq.com's."""
    recorded = _request(json.dumps(CHAT_BODY))
    local = _request(json.dumps(CHAT_BODY), url="http://127.0.0.1:8321/openai/v1/chat/completions")
    assert not _replays(recorded, local, tmp_path / "cassette.yaml")
    assert _paired(recorded, local) == (True, True)
    default_port = _request(json.dumps(CHAT_BODY), url="HTTPS://API.groq.com:443/openai/v1/chat/completions")
    assert _replays(recorded, default_port, tmp_path / "cassette.yaml")


def test_pair_interactions_in_order_and_unpaired() -> None:
    body = json.dumps({"model": "m"})
    old = [_interaction(CHAT_URL, body, "{}", ident=0), _interaction(CHAT_URL, body, "{}", ident=1)]
    new = [_interaction(CHAT_URL, body, "{}", ident=0), _interaction(CHAT_URL, '{"model":"n"}', "{}", ident=1)]
    pairs, removed, added = pair_interactions(old, new)
    assert [(o.id, n.id) for o, n in pairs] == [(0, 0)]
    assert [i.id for i in removed] == [1]
    assert [i.id for i in added] == [1]


def test_compare_cassettes_reports_per_interaction() -> None:
    chat_req, audio_url = json.dumps({"model": "openai/gpt-oss-120b"}), "https://api.groq.com/openai/v1/audio/x"
    old = Cassette(
        interactions=[
            _interaction(CHAT_URL, chat_req, json.dumps(CHAT), ident=0),
            _interaction(audio_url, "{}", json.dumps(AUDIO), ident=1),
        ]
    )
    new = Cassette(
        interactions=[
            _interaction(CHAT_URL, chat_req, json.dumps(variant(CHAT, _change_values)), ident=0),
            _interaction(CHAT_URL, '{"model":"x"}', json.dumps(CHAT), ident=1),
        ]
    )
    entries = compare_cassettes(old, new)
    assert [(e.label, lines(e.report)) for e in entries] == [
        ("#0 POST /openai/v1/chat/completions", []),
        ("#1 POST /openai/v1/audio/x", ["<interaction>: missing from NEW (not re-recorded)"]),
        ("#1 POST /openai/v1/chat/completions (new)", ["<interaction>: only in NEW (a new request)"]),
    ]
    assert [e.report.ok for e in entries] == [True, False, True]


def test_a_responses_stream_is_described_event_type_by_event_type() -> None:
    def frame(kind: str, **fields: Any) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n"

    body = (
        frame("response.created", sequence_number=0, response={"id": "resp_1", "usage": None})
        + frame("response.output_text.delta", sequence_number=1, delta="Hi", item_id="msg_1")
        + frame("response.completed", sequence_number=2, response={"id": "resp_1", "usage": {"total_tokens": 3}})
    )
    schema = schema_of_sse(body)
    assert schema.paths['["response.created"].response.usage'] == frozenset({"null"})
    assert schema.paths['["response.completed"].response.usage'] == frozenset({"object"})
    assert schema.paths['["response.output_text.delta"].delta'] == frozenset({"str"})
    assert "delta" not in schema.paths  # no union over events of different shapes
    assert schema.stream is not None
    assert schema.stream.has_usage_chunk is True
    changed = schema_of_sse(body.replace('"delta": "Hi"', '"delta": 1'))
    assert (
        str(compare(schema, changed).breaking[0]) == '["response.output_text.delta"].delta: type changed (str -> int)'
    )
