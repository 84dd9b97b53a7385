"""The one multipart parser: a table of bodies, offsets in str and bytes, and matching built on it."""

from __future__ import annotations

import httpx
import pytest

from groq_vcr.cassette import body_digest, canonical_body
from groq_vcr.cassette._multipart import MultipartPart, parse_multipart

FORM = "multipart/form-data; boundary=XyZ"
Field = tuple[str | None, str | None, bytes]


def fields(body: bytes, content_type: str | None = FORM) -> list[Field] | None:
    """(name, filename, content) of each part, the content sliced from ``body`` by the part's offsets."""
    parts = parse_multipart(body, content_type)
    return None if parts is None else [(p.name, p.filename, body[p.start : p.end]) for p in parts]


def crlf(*lines: str | bytes) -> bytes:
    return b"\r\n".join(line.encode() if isinstance(line, str) else line for line in lines)


MODEL = 'Content-Disposition: form-data; name="model"'
AUDIO = 'Content-Disposition: form-data; name="file"; filename="a.ogg"'
OGG = b"OggS\x00\xff\r\n\r\n--XyZ\x80\n"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(
            crlf(
                "--XyZ",
                MODEL,
                "",
                "whisper-large-v3",
                "--XyZ",
                AUDIO,
                "Content-Type: audio/ogg",
                "",
                OGG,
                "--XyZ--",
                "",
            ),
            FORM,
            [("model", None, b"whisper-large-v3"), ("file", "a.ogg", OGG)],
            id="CRLF, binary content holding line breaks and the boundary mid-line",
        ),
        pytest.param(
            f"--XyZ\n{MODEL}\n\nwhisper-large-v3\n--XyZ\n{AUDIO}\n\nabc\n--XyZ--\n".encode(),
            FORM,
            [("model", None, b"whisper-large-v3"), ("file", "a.ogg", b"abc")],
            id="bare LF",
        ),
        pytest.param(
            crlf("--a b:c", MODEL, "", "m", "--a b:c--"),
            'multipart/form-data; boundary="a b:c"',
            [("model", None, b"m")],
            id="quoted boundary with a space and a colon",
        ),
        pytest.param(
            crlf("--XyZ", MODEL, "", "m", "--XyZ--"),
            "Multipart/Form-Data; charset=utf-8; BOUNDARY=XyZ",
            [("model", None, b"m")],
            id="unquoted boundary after another parameter, any case",
        ),
        pytest.param(
            crlf("--XyZ", MODEL, "", "m", "--XyZ--"),
            "multipart/form-data",
            [("model", None, b"m")],
            id="boundary sniffed from the first line",
        ),
        pytest.param(
            crlf("This is the preamble.", "--XyZ", MODEL, "", "m", "--XyZ--", "epilogue", "--XyZ", MODEL, "", "x"),
            FORM,
            [("model", None, b"m")],
            id="preamble and epilogue ignored",
        ),
        pytest.param(
            crlf("--XyZ", MODEL, "", "m", "--XyZ", AUDIO, "", "truncated", ""),
            FORM,
            [("model", None, b"m"), ("file", "a.ogg", b"truncated")],
            id="missing closing delimiter: the last part runs to the end",
        ),
        pytest.param(
            crlf("--XyZ", "Content-Type: text/plain", "", "anonymous", "--XyZ", "", "bare", "--XyZ--"),
            FORM,
            [(None, None, b"anonymous"), (None, None, b"bare")],
            id="parts with no name, one with no headers at all",
        ),
        pytest.param(
            crlf("--XyZ", MODEL, "", "--XyZx", "see --XyZ", "--XyZ--x", "- --XyZ", "--XyZ--"),
            FORM,
            [("model", None, crlf("--XyZx", "see --XyZ", "--XyZ--x", "- --XyZ"))],
            id="content with boundary-like lines",
        ),
        pytest.param(
            crlf("--XyZ \t", MODEL, "", "m", "--XyZ-- ", ""),
            FORM,
            [("model", None, b"m")],
            id="spaces and tabs after a delimiter",
        ),
        pytest.param(
            crlf("--XyZ", MODEL, "", "", "--XyZ", MODEL, "--XyZ--"),
            FORM,
            [("model", None, b""), ("model", None, b"")],
            id="empty content, and a part that is all headers",
        ),
        pytest.param(
            crlf("--XyZ", 'Content-Disposition: form-data; name="a\\"b"; filename="c:\\\\d.ogg"', "", "x", "--XyZ--"),
            FORM,
            [('a"b', "c:\\d.ogg", b"x")],
            id="escaped quotes and backslashes",
        ),
        pytest.param(
            crlf(
                "--XyZ",
                "Content-Disposition: form-data; name=plain; filename*=UTF-8''%E2%82%AC.ogg",
                "",
                "x",
                "--XyZ--",
            ),
            FORM,
            [("plain", "€.ogg", b"x")],
            id="unquoted name, RFC 5987 filename",
        ),
        pytest.param(
            crlf("--XyZ", MODEL, "", "m", "--XyZ--"), "application/json", None, id="not multipart by its type"
        ),
        pytest.param(crlf("no delimiter", "here"), FORM, None, id="no delimiter"),
        pytest.param(b"", "multipart/form-data", None, id="no boundary anywhere"),
    ],
)
def test_parts(body: bytes, content_type: str, expected: list[Field] | None) -> None:
    assert fields(body, content_type) == expected


def test_str_offsets_are_characters_and_bytes_offsets_are_bytes() -> None:
    text = '--XyZ\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nnaïve €\r\n--XyZ--\r\n'
    body = text.encode()
    [in_text] = parse_multipart(text, FORM) or []
    [in_bytes] = parse_multipart(body, FORM) or []
    assert text[in_text.start : in_text.end] == "naïve €"
    assert body[in_bytes.start : in_bytes.end] == "naïve €".encode()
    assert in_bytes.end - in_text.end == len("ï€".encode()) - 2
    latin1_view = body.decode("latin-1")  # what redaction parses for a bytes body
    [in_view] = parse_multipart(latin1_view, FORM) or []
    assert (in_view.start, in_view.end) == (in_bytes.start, in_bytes.end)


def test_headers_of_a_part() -> None:
    body = crlf(
        "--XyZ",
        'Content-Disposition: form-data; name="file";',
        ' filename="é.ogg"',
        "content-type:audio/ogg  ",
        "X-Extra: 1",
        "",
        "x",
        "--XyZ--",
    )
    [part] = parse_multipart(body, FORM) or []
    assert part == MultipartPart(
        headers=(
            ("Content-Disposition", 'form-data; name="file"; filename="é.ogg"'),
            ("content-type", "audio/ogg"),
            ("X-Extra", "1"),
        ),
        name="file",
        filename="é.ogg",
        start=body.index(b"\r\n\r\nx") + 4,
        end=body.index(b"\r\n--XyZ--"),
    )
    assert part.content_type == "audio/ogg"
    assert part.header("x-extra") == "1"
    assert part.header("Content-Length") is None


def test_a_line_that_is_not_a_header_starts_the_content() -> None:
    assert fields(crlf("--XyZ", MODEL, "no colon: here", "--XyZ--")) == [("model", None, b"no colon: here")]


def test_what_httpx_sends_is_parsed_exactly() -> None:
    audio = bytes(range(256)) + b"\r\n--"
    request = httpx.Request(
        "POST",
        "https://api.groq.com/openai/v1/audio/translations",
        data={"model": "whisper-large-v3", "prompt": "line one\r\nline two"},
        files={"file": ("clip.ogg", audio, "audio/ogg")},
    )
    body = request.read()
    parts = parse_multipart(body, request.headers["Content-Type"]) or []
    assert [(p.name, p.filename, p.content_type, body[p.start : p.end]) for p in parts] == [
        ("model", None, None, b"whisper-large-v3"),
        ("prompt", None, None, b"line one\r\nline two"),
        ("file", "clip.ogg", "audio/ogg", audio),
    ]


# --- matching compares multipart bodies by fields and files, not by boundary ----------------------------


def _upload(boundary: str, prompt: str, audio: bytes, *, order: tuple[int, ...] = (0, 1, 2)) -> tuple[bytes, str]:
    pieces = [
        b'Content-Disposition: form-data; name="model"\r\n\r\nwhisper-large-v3',
        f'Content-Disposition: form-data; name="prompt"\r\n\r\n{prompt}'.encode(),
        b'Content-Disposition: form-data; name="file"; filename="a.ogg"\r\nContent-Type: audio/ogg\r\n\r\n' + audio,
    ]
    body = b"".join(f"--{boundary}\r\n".encode() + pieces[i] + b"\r\n" for i in order) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _digest(body: bytes, content_type: str) -> str:
    return body_digest(canonical_body(body, content_type))


def test_matching_ignores_the_boundary_and_the_part_order() -> None:
    first = _digest(*_upload("aaa111", "hi", b"\x00audio"))
    assert _digest(*_upload("bbb222", "hi", b"\x00audio")) == first
    assert _digest(*_upload("ccc333", "hi", b"\x00audio", order=(2, 0, 1))) == first
    assert canonical_body(*_upload("aaa111", "hi", b"\x00audio"))["multipart"][0][:2] == ("file", "a.ogg")


def test_matching_tells_fields_and_file_bytes_apart() -> None:
    first = _digest(*_upload("aaa111", "hi", b"\x00audio"))
    assert _digest(*_upload("aaa111", "ho", b"\x00audio")) != first
    assert _digest(*_upload("aaa111", "hi", b"\x00audiO")) != first
