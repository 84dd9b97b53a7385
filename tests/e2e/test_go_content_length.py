"""``content_length`` of recorded responses is what go-vcr (Go's net/http client) records.

A real server on 127.0.0.1 answers 204, 304, HEAD, a declared length and a chunked body; the cassette written
through httpx (the engine) and through requests (the vcrpy bridge, inside pytest) must hold Go's values.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from groq_vcr import load_cassette, use_cassette
from groq_vcr.cassette import response_content_length

# path -> (status, body; None for a chunked body)
ROUTES: dict[str, tuple[int, bytes | None]] = {
    "/no-content": (204, b""),
    "/not-modified": (304, b""),
    "/data": (200, b"hello"),
    "/chunked": (200, None),
}
# What Go's client records for each (method, path).
EXPECTED = {
    ("GET", "/no-content"): 0,
    ("GET", "/not-modified"): 0,
    ("GET", "/data"): 5,
    ("HEAD", "/data"): 5,
    ("GET", "/chunked"): -1,
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, with_body: bool) -> None:
        code, body = ROUTES[self.path]
        self.send_response(code)
        if body is None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if with_body:
                self.wfile.write(b"3\r\nabc\r\n0\r\n\r\n")
            return
        if code not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _recorded_lengths(path: Path) -> dict[tuple[str, str], int]:
    cassette = load_cassette(path)
    return {
        (it.request.method, httpx.URL(it.request.url).path): it.response.content_length for it in cassette.interactions
    }


def test_httpx_recordings_hold_go_content_lengths(server: str, tmp_path: Path) -> None:
    path = tmp_path / "lengths.yaml"
    with use_cassette(path), httpx.Client() as client:
        for method, route in EXPECTED:
            client.request(method, server + route)
    assert _recorded_lengths(path) == EXPECTED


def test_requests_recordings_hold_go_content_lengths(server: str, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_inner=textwrap.dedent(
            f"""
            import pytest
            import requests

            @pytest.mark.vcr
            def test_lengths():
                for method, route in {list(EXPECTED)!r}:
                    requests.request(method, {server!r} + route)
            """
        )
    )
    pytester.runpytest("-p", "no:randomly", "--record-mode=once").assert_outcomes(passed=1)
    (cassette,) = pytester.path.glob("**/cassettes/**/*.yaml")
    assert _recorded_lengths(cassette) == EXPECTED


@pytest.mark.parametrize(
    ("code", "method", "declared", "chunked", "expected"),
    [
        (204, "GET", None, False, 0),
        (304, "GET", "12", False, 0),
        (101, "GET", None, False, 0),
        (200, "HEAD", "42", False, 42),
        (200, "HEAD", None, False, -1),
        (204, "HEAD", "7", False, 7),  # HEAD keeps the declared length, whatever the status
        (200, "GET", "42", False, 42),
        (200, "GET", None, True, -1),
        (200, "GET", "x", False, -1),
    ],
)
def test_response_content_length_follows_net_http(
    code: int, method: str, declared: str | None, chunked: bool, expected: int
) -> None:
    assert response_content_length(code, method, declared, chunked=chunked) == expected
