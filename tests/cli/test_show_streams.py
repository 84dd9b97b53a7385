"""``groq-vcr show`` reassembles every kind of stream: Responses API, Anthropic messages and Gemini.

The streams are served by a real local server, recorded through ``use_cassette`` with httpx, then shown.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import Result

from groq_vcr import reassemble, use_cassette

Invoke = Callable[..., Result]


def _sse(events: list[tuple[str | None, dict[str, object]]], newline: str = "\n") -> bytes:
    out = []
    for name, data in events:
        head = f"event: {name}{newline}" if name else ""
        out.append(f"{head}data: {json.dumps(data)}{newline}{newline}")
    return "".join(out).encode()


RESPONSES = _sse(
    [
        ("response.created", {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}}),
        (
            "response.output_item.added",
            {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "content": []}},
        ),
        ("response.output_text.delta", {"type": "response.output_text.delta", "output_index": 0, "delta": "Ol"}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "output_index": 0, "delta": "á!"}),
        (
            "response.output_item.added",
            {
                "type": "response.output_item.added",
                "output_index": 1,
                "item": {"type": "function_call", "call_id": "call_7", "name": "lookup", "arguments": ""},
            },
        ),
        ("response.function_call_arguments.delta", {"output_index": 1, "delta": '{"q": '}),
        ("response.function_call_arguments.delta", {"output_index": 1, "delta": '"x"}'}),
        (
            "response.completed",
            {
                "type": "response.completed",
                "response": {
                    "id": "resp_1",
                    "model": "openai/gpt-oss-20b",
                    "status": "completed",
                    "usage": {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
                },
            },
        ),
    ]
)
MESSAGES = _sse(
    [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "role": "assistant",
                    "model": "claude-sonnet-4",
                    "usage": {"input_tokens": 9, "output_tokens": 1},
                },
            },
        ),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hello"}}),
        ("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": " world"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {"index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}},
        ),
        ("content_block_delta", {"index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"city": '}}),
        ("content_block_delta", {"index": 1, "delta": {"type": "input_json_delta", "partial_json": '"Lisbon"}'}}),
        ("message_delta", {"delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 7}}),
        ("message_stop", {"type": "message_stop"}),
    ]
)
GEMINI = _sse(
    [
        (
            None,
            {
                "candidates": [{"content": {"parts": [{"text": "Bom"}], "role": "model"}, "index": 0}],
                "modelVersion": "gemini-2.5-flash",
            },
        ),
        (
            None,
            {
                "candidates": [
                    {"content": {"parts": [{"text": " dia"}], "role": "model"}, "finishReason": "STOP", "index": 0}
                ],
                "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
                "modelVersion": "gemini-2.5-flash",
            },
        ),
    ],
    newline="\r\n",
)
STREAMS = {"/v1/responses": RESPONSES, "/v1/messages": MESSAGES, "/v1beta/models/g:streamGenerateContent": GEMINI}


class _Streams(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = STREAMS[self.path.split("?")[0]]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Streams)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    path = tmp_path_factory.mktemp("streams") / "streams.yaml"
    try:
        with use_cassette(path), httpx.Client() as client:
            for route in STREAMS:
                with client.stream("POST", base + route + "?alt=sse", json={"stream": True}) as response:
                    assert b"".join(response.iter_raw()) == STREAMS[route]
    finally:
        httpd.shutdown()
        httpd.server_close()
    return path


def test_show_reassembles_each_kind_of_stream(recorded: Path, invoke_cli: Invoke) -> None:
    result = invoke_cli("show", "--json", recorded)
    assert result.exit_code == 0, result.stderr
    streams = [item["response"]["body"]["stream"] for item in json.loads(result.stdout)["interactions"]]
    responses, messages, gemini = streams
    assert (responses["api"], responses["content"], responses["ended_by"]) == (
        "responses",
        "Olá!",
        "response.completed",
    )
    assert responses["tool_calls"] == [
        {"id": "call_7", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
    ]
    assert (responses["finish_reason"], responses["usage"]["total_tokens"], responses["model"]) == (
        "completed",
        8,
        "openai/gpt-oss-20b",
    )
    assert (messages["api"], messages["content"], messages["finish_reason"]) == (
        "anthropic.messages",
        "Hello world",
        "tool_use",
    )
    assert messages["tool_calls"][0]["function"] == {"name": "weather", "arguments": '{"city": "Lisbon"}'}
    assert messages["usage"] == {"input_tokens": 9, "output_tokens": 7}
    assert (messages["ended_by"], messages["id"]) == ("message_stop", "msg_1")
    assert (gemini["api"], gemini["content"], gemini["finish_reason"], gemini["ended_by"]) == (
        "gemini",
        "Bom dia",
        "STOP",
        "finishReason",
    )
    assert gemini["usage"]["totalTokenCount"] == 5


def test_show_text_view_names_the_api_and_the_closing_event(recorded: Path, invoke_cli: Invoke) -> None:
    result = invoke_cli("show", recorded)
    assert result.exit_code == 0, result.stderr
    assert "body: SSE stream (responses), " in result.stdout
    assert "8 chunks, ended by response.completed; reassembled:" in result.stdout
    assert '    content: "Olá!"' in result.stdout
    assert '    tool call toolu_1: weather({"city": "Lisbon"})' in result.stdout
    assert "ended by message_stop" in result.stdout
    assert '    content: "Bom dia"' in result.stdout


def test_chat_completion_streams_are_read_as_before() -> None:
    body = (
        'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
        'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
        "data: [DONE]\n\n"
    )
    summary = reassemble(body)
    assert (summary.dialect, summary.content, summary.ended_by, summary.terminated_by_done) == (
        "chat.completions",
        "Hi",
        "[DONE]",
        True,
    )
