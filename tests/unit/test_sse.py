"""SSE parsing must agree with the SDKs' own decoders, and splitting must be lossless."""

from __future__ import annotations

from pathlib import Path

import pytest
from groq._streaming import SSEDecoder as GroqDecoder
from hypothesis import given, settings
from hypothesis import strategies as st
from openai._streaming import SSEDecoder as OpenAIDecoder

from groq_vcr.cassette import _sse as sse
from groq_vcr.cassette import reassemble

DATA = Path(__file__).parent.parent / "data" / "responses"
STREAM = (DATA / "chat_stream.sse").read_bytes()


def sdk_events(decoder: GroqDecoder | OpenAIDecoder, chunks: list[bytes]) -> list[tuple[str | None, str, str | None]]:
    return [(e.event, e.data, e.id) for e in decoder.iter_bytes(iter(chunks))]


def ours(body: bytes) -> list[tuple[str | None, str, str | None]]:
    return [(e.event, e.data, e.id) for e in sse.parse_events(body)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"data: a\n\n", [b"data: a\n\n"]),
        (b"data: a\r\n\r\ndata: b\r\n\r\n", [b"data: a\r\n\r\n", b"data: b\r\n\r\n"]),
        (b"data: a\r\rdata: b\r\r", [b"data: a\r\r", b"data: b\r\r"]),
        (b"data: a\n\ndata: b", [b"data: a\n\n", b"data: b"]),
        (b"data: a\n\ndata: b\n", [b"data: a\n\n", b"data: b\n"]),
        (b": keep-alive\n\nevent: error\ndata: {}\n\n", [b": keep-alive\n\n", b"event: error\ndata: {}\n\n"]),
        (b"", []),
    ],
)
def test_split_events_keeps_each_event_with_its_blank_line(body: bytes, expected: list[bytes]) -> None:
    assert sse.split_events(body) == expected
    assert b"".join(sse.split_events(body)) == body


def test_split_events_on_the_reference_stream() -> None:
    chunks = sse.split_events(STREAM)
    assert len(chunks) == 6
    assert all(chunk.endswith(b"\n\n") for chunk in chunks)
    assert chunks[-1] == b"data: [DONE]\n\n"
    assert b"".join(chunks) == STREAM
    assert sse.split_events(STREAM.decode()) == chunks


@pytest.mark.parametrize(
    ("body", "events", "incomplete"),
    [
        (b"data: hello\n\n", [sse.SSEEvent(data="hello")], None),
        (b"data:no-space\n\n", [sse.SSEEvent(data="no-space")], None),
        (b"data: a\ndata: b\n\n", [sse.SSEEvent(data="a\nb")], None),
        (b": comment\ndata: x\n\n", [sse.SSEEvent(data="x")], None),
        (b"event: error\ndata: {}\n\n", [sse.SSEEvent(data="{}", event="error")], None),
        (b"id: 7\nretry: 1500\ndata: x\n\n", [sse.SSEEvent(data="x", id="7", retry=1500)], None),
        (b"retry: soon\ndata: x\n\n", [sse.SSEEvent(data="x")], None),
        (b"unknown: field\ndata: x\n\n", [sse.SSEEvent(data="x")], None),
        (b"data: a\n\ndata: tail", [sse.SSEEvent(data="a")], sse.SSEEvent(data="tail")),
        (b"data: a\n\nevent: error\ndata: {}\n", [sse.SSEEvent(data="a")], sse.SSEEvent(data="{}", event="error")),
        (b"data: a\n\n: trailing comment", [sse.SSEEvent(data="a")], None),
        (b"data: [DONE]\r\n\r\n", [sse.SSEEvent(data="[DONE]")], None),
    ],
)
def test_parse_fields_comments_and_incomplete_tail(
    body: bytes, events: list[sse.SSEEvent], incomplete: sse.SSEEvent | None
) -> None:
    parsed = sse.parse_stream(body)
    assert parsed.events == events
    assert parsed.incomplete == incomplete
    # Exactly what the SDKs dispatch (they drop the incomplete tail silently).
    assert ours(body) == sdk_events(GroqDecoder(), [body]) == sdk_events(OpenAIDecoder(), [body])


def test_event_properties() -> None:
    done, error_frame, error_chunk, plain = (
        sse.SSEEvent(data="[DONE]"),
        sse.SSEEvent(data='{"error": {"message": "boom"}}', event="error"),
        sse.SSEEvent(data='{"error": {"message": "boom"}}'),
        sse.SSEEvent(data='{"error": null, "x": 1}'),
    )
    assert done.is_done
    assert not done.is_error
    assert done.kind == "message"
    assert done.json_or_none() is None
    assert error_frame.is_error
    assert error_frame.kind == "error"
    assert error_chunk.is_error
    assert not plain.is_error
    assert plain.json() == {"error": None, "x": 1}


_LINE = st.sampled_from(
    ['data: {"a": 1}', "data: [DONE]", "data:", "event: error", "event:", "id: 3", "retry: 10", ": hi", "x: y", ""]
)
_EOL = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_LINE, _EOL), max_size=12), st.data())
def test_split_and_parse_agree_with_both_sdks(lines: list[tuple[str, str]], data: st.DataObject) -> None:
    body = "".join(line + eol for line, eol in lines).encode()
    if data.draw(st.booleans()) and body:
        body = body[: data.draw(st.integers(0, len(body)))]
    chunks = sse.split_events(body)
    assert b"".join(chunks) == body
    expected = sdk_events(GroqDecoder(), [body])
    assert ours(body) == expected == sdk_events(OpenAIDecoder(), [body])
    # The replay engine yields one chunk per read: the SDKs must see the same events.
    assert sdk_events(GroqDecoder(), chunks) == expected
    assert sdk_events(OpenAIDecoder(), chunks) == expected


def test_reassemble_reference_stream() -> None:
    summary = reassemble(STREAM)
    assert summary.content == "Oi!"
    assert summary.finish_reason == "stop"
    assert summary.model == "moonshotai/kimi-k2-instruct-0905"
    assert summary.id == "chatcmpl-2248ca44-9f78-497c-8610-e131b33a4928"
    assert summary.x_groq_id == "req_01k603zbfcf8dsp979qsgatzpy"
    assert summary.usage is not None
    assert summary.usage["total_tokens"] == 23
    assert summary.terminated_by_done
    assert not summary.incomplete
    assert summary.error is None
    assert summary.chunks == 5
    assert summary.to_message() == {"role": "assistant", "content": "Oi!"}
    assert reassemble(sse.parse_events(STREAM)) == summary


def _stream(*chunks: str, done: bool = True) -> str:
    body = "".join(f"data: {chunk}\n\n" for chunk in chunks)
    return body + ("data: [DONE]\n\n" if done else "")


def test_reassemble_reasoning_usage_from_x_groq_and_merged_tool_calls() -> None:
    body = _stream(
        '{"id":"c1","model":"openai/gpt-oss-20b",'
        '"choices":[{"index":0,"delta":{"role":"assistant","reasoning":"Let "}}]}',
        '{"choices":[{"index":0,"delta":{"reasoning":"me think."}}]}',
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",'
        '"function":{"name":"get_","arguments":"{\\"city\\""}}]}}]}',
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"weather","arguments":":1}"}},'
        '{"index":1,"id":"call_2","type":"function","function":{"name":"now","arguments":"{}"}}]}}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"x_groq":{"id":"req_1","usage":{"total_tokens":9}}}',
    )
    summary = reassemble(body)
    assert summary.reasoning == "Let me think."
    assert summary.content == ""
    assert summary.finish_reason == "tool_calls"
    assert summary.usage == {"total_tokens": 9}
    assert [(c.index, c.id, c.name, c.arguments) for c in summary.tool_calls] == [
        (0, "call_1", "get_weather", '{"city":1}'),
        (1, "call_2", "now", "{}"),
    ]
    assert summary.to_message()["tool_calls"][0] == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":1}'},
    }
    assert summary.to_message()["reasoning"] == "Let me think."


def test_reassemble_stops_at_an_error_event_without_done() -> None:
    body = (
        _stream('{"choices":[{"index":0,"delta":{"content":"Hel"}}]}', done=False)
        + 'event: error\ndata: {"error":{"message":"Service Unavailable","type":"internal_server_error"}}\n\n'
    )
    summary = reassemble(body)
    assert summary.content == "Hel"
    assert summary.error == {"message": "Service Unavailable", "type": "internal_server_error"}
    assert not summary.terminated_by_done


def test_reassemble_reports_missing_done_and_incomplete_tail() -> None:
    body = _stream('{"choices":[{"index":0,"delta":{"content":"a"}}]}', done=False) + 'data: {"choices":[]}'
    summary = reassemble(body)
    assert summary.content == "a"
    assert summary.incomplete
    assert not summary.terminated_by_done
    assert summary.chunks == 1


def test_reassemble_top_level_usage_wins_over_earlier_x_groq_usage() -> None:
    body = _stream(
        '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"usage":{"total_tokens":1}}}',
        '{"choices":[],"usage":{"total_tokens":2}}',
    )
    assert reassemble(body).usage == {"total_tokens": 2}
