"""curl commands -> request specs.

Reads what people paste: one command, or a whole document (notes, a ticket, a Postman export) in which every
line that starts with ``curl `` begins a command that continues over ``\\``-continued lines and over quoted
arguments that span lines (a multi-line ``--data '{...}'``). Everything else in the document is ignored, so the
pasted responses around the commands do not get in the way.

The options people use with Groq's API are understood: ``-X``, ``-H``, ``-d``/``--data``/``--data-raw``/
``--data-binary``/``--json`` (``@file`` too), ``-F``/``--form`` (``'file=@"path"'``, ``;type=``,
``;filename=``), ``-u``, ``-A``, ``-b``, ``-G``, ``-L``; output and transport options (``-s``, ``-v``,
``--compressed``, ``-o``, ``-w``...) are accepted and ignored. Options that change how the call is sent
(``-k``, ``-m``/``--max-time``, ``--retry``, ``-x``/``--proxy``, ``--cert``/``--key``, ``--cacert``,
``--resolve``) are refused, each with what to use instead. Anything else is an error, not a guess.

One deliberate difference from curl: a ``--data`` body that looks like JSON and comes without a
``Content-Type`` is sent as ``application/json`` (curl would say ``application/x-www-form-urlencoded``,
which Groq rejects), and it is checked to be valid JSON first.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from groq_vcr._groq_api import GROQ_KEY_RE
from groq_vcr.cli.record._request_spec import FilePart, RequestSpec, check_json_body
from groq_vcr.errors import InputError

__all__ = ["CurlCommand", "extract_curl_commands", "parse_curl", "parse_curl_text"]

_COMMAND_START = re.compile(r"^[ \t]*(?:\$[ \t]+)?curl[ \t]", re.MULTILINE)
_SECRET = re.compile(rf"{GROQ_KEY_RE.pattern}|(?i:bearer)\s+\S+")

# Options that take no argument and do not change the request we record.
_IGNORED_FLAGS = {
    "-L",
    "--location",
    "--location-trusted",
    "--compressed",
    "-s",
    "--silent",
    "-S",
    "--show-error",
    "-v",
    "--verbose",
    "-i",
    "--include",
    "-f",
    "--fail",
    "--fail-with-body",
    "-N",
    "--no-buffer",
    "--http1.0",
    "--http1.1",
    "--http2",
    "--http2-prior-knowledge",
    "-g",
    "--globoff",
    "-#",
    "--progress-bar",
    "-4",
    "-6",
    "--ipv4",
    "--ipv6",
    "--no-progress-meter",
    "-O",
    "--remote-name",
    "-J",
    "--remote-header-name",
    "-Z",
    "--parallel",
    "--tr-encoding",
    "--no-keepalive",
    "--raw",
}
# Options that take an argument and do not change the request we record.
_IGNORED_WITH_ARG = {
    "-o",
    "--output",
    "-w",
    "--write-out",
    "--limit-rate",
    "-D",
    "--dump-header",
    "--stderr",
    "--trace",
    "--trace-ascii",
    "-c",
    "--cookie-jar",
    "--max-redirs",
    "--keepalive-time",
    "--expect100-timeout",
}
# Options that change how the call is sent: groq-vcr record does not follow them silently. Each is refused
# with what to do instead (its own option, or the environment variable httpx honours).
_TIMEOUT = "groq-vcr record has its own: pass --timeout SECONDS to groq-vcr record"
_RETRY = "groq-vcr record retries 429s and waits for rate-limit resets itself: use its --max-retries and --max-wait"
_TLS_FILES = "set SSL_CERT_FILE or SSL_CERT_DIR in the environment instead (groq-vcr record honours them)"
_ELSEWHERE = "pass --base-url URL to groq-vcr record to send the calls elsewhere (the cassette keeps this URL)"
_REFUSED_WITH_ARG = {
    "-m": _TIMEOUT,
    "--max-time": _TIMEOUT,
    "--connect-timeout": _TIMEOUT,
    "--retry": _RETRY,
    "--retry-delay": _RETRY,
    "--retry-max-time": _RETRY,
    "-x": "set HTTPS_PROXY (or HTTP_PROXY, ALL_PROXY) in the environment instead (groq-vcr record honours it)",
    "--proxy": "set HTTPS_PROXY (or HTTP_PROXY, ALL_PROXY) in the environment instead (groq-vcr record honours it)",
    "-E": "groq-vcr record sends no client certificate; record through a proxy that does, or leave it out",
    "--cert": "groq-vcr record sends no client certificate; record through a proxy that does, or leave it out",
    "--key": "groq-vcr record sends no client certificate; record through a proxy that does, or leave it out",
    "--cacert": _TLS_FILES,
    "--capath": _TLS_FILES,
    "--resolve": _ELSEWHERE,
    "--connect-to": _ELSEWHERE,
}
_REFUSED_FLAGS = {
    "-k": "groq-vcr record always verifies TLS certificates; remove it (a local server over http:// needs no -k)",
    "--insecure": "groq-vcr record always verifies TLS certificates; remove it (a local server over http:// needs "
    "no -k)",
}
_DATA_OPTIONS = {
    "-d": "data",
    "--data": "data",
    "--data-ascii": "data",
    "--data-raw": "raw",
    "--data-binary": "binary",
    "--data-urlencode": "urlencode",
    "--json": "json",
}
_ARG_OPTIONS = {
    "-X",
    "--request",
    "-H",
    "--header",
    "-F",
    "--form",
    "--form-string",
    "-u",
    "--user",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-b",
    "--cookie",
    "--url",
    "--oauth2-bearer",
    *_DATA_OPTIONS,
    *_IGNORED_WITH_ARG,
    *_REFUSED_WITH_ARG,
}
_NO_ARG_OPTIONS = {"-G", "--get", "-I", "--head", *_IGNORED_FLAGS, *_REFUSED_FLAGS}
_SHORT_WITH_ARG = {o for o in _ARG_OPTIONS if len(o) == 2}
_SHORT_FLAGS = {o for o in _NO_ARG_OPTIONS if len(o) == 2}

MAX_FILE_BYTES = 200 * 1024 * 1024
"""The largest file ``@file`` may send: Groq refuses far smaller bodies; a device such as /dev/zero never ends."""


@dataclass(frozen=True)
class CurlCommand:
    """One curl command found in a text: its text (continuations kept) and where it starts."""

    text: str
    line: int
    """1-based line of the ``curl`` word in the document."""
    index: int
    """1-based position among the commands of the document."""
    origin: str | None = None
    """The file the command came from, if any."""

    @property
    def label(self) -> str:
        """How messages name it: ``curl command 2 (notes.txt:65) "curl --location 'https://…"``."""
        where = f"{self.origin}:{self.line}" if self.origin else f"line {self.line}"
        return f'curl command {self.index} ({where}) "{_preview(self.text)}"'


def _preview(text: str) -> str:
    """The first 60 characters of a command on one line, keys masked (messages must not leak them)."""
    flat = " ".join(text.replace("\\\n", " ").split())
    short = flat[:60] + ("…" if len(flat) > 60 else "")
    return _SECRET.sub(lambda m: m.group(0)[:4] + "…" if m.group(0).startswith("gsk_") else "Bearer …", short)


def extract_curl_commands(text: str, *, origin: str | None = None) -> list[CurlCommand]:
    """Find the curl commands in ``text``: each starts on a line beginning with ``curl `` (a ``$ `` prompt is
    allowed) and ends at the first line break that is neither quoted nor escaped with ``\\``."""
    text = text.replace("\r\n", "\n")
    commands: list[CurlCommand] = []
    pos = 0
    while True:
        match = _COMMAND_START.search(text, pos)
        if match is None:
            return commands
        start = match.start() + match.group(0).index("curl")
        line = text.count("\n", 0, start) + 1
        end = _command_end(text, start, line, origin, len(commands) + 1)
        commands.append(CurlCommand(text=text[start:end], line=line, index=len(commands) + 1, origin=origin))
        pos = end


def _command_end(text: str, start: int, line: int, origin: str | None, index: int) -> int:
    quote_char: str | None = None
    quote_at = start
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if quote_char is None:
            if c == "\\":
                i += 2
                continue
            if c in "'\"":
                quote_char, quote_at = c, i
            elif c == "\n":
                return i
        elif quote_char == "'":
            if c == "'":
                quote_char = None
        elif c == "\\":
            i += 2
            continue
        elif c == '"':
            quote_char = None
        i += 1
    if quote_char is not None:
        label = CurlCommand(text=text[start:], line=line, index=index, origin=origin).label
        quote_line = text.count("\n", 0, quote_at) + 1
        name = "single" if quote_char == "'" else "double"
        raise InputError(
            f"{label}: the {name} quote opened on line {quote_line} is never closed; "
            "close it (a quoted --data body must end with the same quote)"
        )
    return n


def _join_continuations(text: str) -> str:
    """Remove ``\\``+newline outside single quotes (the shell joins those lines); keep everything else."""
    out: list[str] = []
    quote_char: str | None = None
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and quote_char != "'":
            nxt = text[i + 1 : i + 2]
            if nxt == "\n":
                out.append(" " if quote_char is None else "")
                i += 2
                continue
            out.append(text[i : i + 2])
            i += 2
            continue
        if quote_char is None and c in "'\"":
            quote_char = c
        elif c == quote_char:
            quote_char = None
        out.append(c)
        i += 1
    return "".join(out)


def parse_curl_text(text: str, *, origin: str | None = None, base_dir: Path | None = None) -> list[RequestSpec]:
    """Every curl command in ``text`` (a single command or a document with prose around them) as specs."""
    commands = extract_curl_commands(text, origin=origin)
    if not commands:
        where = f"{origin}: " if origin else ""
        raise InputError(f"{where}no curl command found; a command must start a line with 'curl '")
    return [parse_curl(command, base_dir=base_dir, document=text) for command in commands]


def parse_curl(command: CurlCommand | str, *, base_dir: Path | None = None, document: str | None = None) -> RequestSpec:
    """One curl command -> a :class:`RequestSpec`. ``document`` (the text it was found in) locates JSON errors."""
    if isinstance(command, str):
        found = extract_curl_commands(command)
        if len(found) != 1:
            raise InputError(
                f"\"{_preview(command)}\": expected one curl command starting with 'curl ', found {len(found)}"
            )
        command = found[0]
        document = command.text
    label = command.label
    try:
        tokens = shlex.split(_join_continuations(command.text), comments=False, posix=True)
    except ValueError as exc:
        raise InputError(f"{label}: cannot split it into arguments ({exc}); check its quotes") from None
    if not tokens or tokens[0] != "curl":
        raise InputError(f"{label}: does not start with 'curl'")
    parsed = _Options(label, base_dir)
    parsed.read(tokens[1:])
    spec = parsed.to_spec()

    def locate(position: int) -> str | None:
        assert spec.body is not None
        return _locate(document, command, spec.body.decode("utf-8", "replace"), position)

    check_json_body(spec, locate=locate)
    return spec


def _locate(document: str | None, command: CurlCommand, body: str, position: int) -> str | None:
    """``origin:line`` of character ``position`` of ``body`` inside the document (bodies in single quotes
    appear verbatim), or None when it cannot be found."""
    if document is None:
        return None
    text = document.replace("\r\n", "\n")
    command_at = text.find(command.text)
    at = text.find(body, max(command_at, 0)) if body else -1
    if at < 0:
        return None
    line = text.count("\n", 0, at + position) + 1
    return f"{command.origin}:{line}" if command.origin else f"line {line}"


class _Options:
    """The state of reading one command's options (curl applies them in order)."""

    def __init__(self, label: str, base_dir: Path | None) -> None:
        self.label = label
        self.base_dir = base_dir
        self.method: str | None = None
        self.url: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.removed_headers: set[str] = set()
        self.data: list[str] = []
        self.json_data = False
        self.form: list[tuple[str, str]] = []
        self.files: list[FilePart] = []
        self.part_order: list[tuple[str, int]] = []
        self.get = False
        self.head = False
        self.follow = False

    def fail(self, problem: str) -> InputError:
        return InputError(f"{self.label}: {problem}")

    def read(self, tokens: list[str]) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            if token == "--" or not token.startswith("-") or token == "-":
                if token == "--":
                    continue
                self.set_url(token)
                continue
            name, value = token, None
            if not token.startswith("--") and len(token) > 2:
                # Bundled short options: -sSL, or a short option with its value attached: -XPOST, -H'...'.
                if token[:2] in _SHORT_WITH_ARG:
                    name, value = token[:2], token[2:]
                elif all(f"-{c}" in _SHORT_FLAGS for c in token[1:]):
                    for c in token[1:]:
                        self.apply(f"-{c}", None)
                    continue
                elif all(f"-{c}" in _SHORT_FLAGS for c in token[1:-1]) and f"-{token[-1]}" in _SHORT_WITH_ARG:
                    for c in token[1:-1]:
                        self.apply(f"-{c}", None)
                    name = f"-{token[-1]}"
            if name in _ARG_OPTIONS and value is None:
                if i >= len(tokens):
                    raise self.fail(f"option {name} needs a value")
                value = tokens[i]
                i += 1
            elif name not in _ARG_OPTIONS and name not in _NO_ARG_OPTIONS:
                raise self.fail(
                    f"unsupported curl option {name}; remove it, or describe the call in a --request spec file"
                )
            self.apply(name, value)

    def set_url(self, url: str) -> None:
        if self.url is not None:
            raise self.fail(f"more than one URL ({self.url!r} and {url!r}); record one call per curl command")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self.fail(f"{url!r} is not an http(s) URL; write it in full, like https://api.groq.com/...")
        self.url = url

    def apply(self, name: str, value: str | None) -> None:
        refused = _REFUSED_WITH_ARG.get(name) or _REFUSED_FLAGS.get(name)
        if refused is not None:
            raise self.fail(f"curl option {name} is not followed: {refused}")
        if name in ("-X", "--request"):
            assert value is not None
            self.method = value.upper()
        elif name in ("-H", "--header"):
            assert value is not None
            self.add_header(value)
        elif name in _DATA_OPTIONS:
            assert value is not None
            self.add_data(_DATA_OPTIONS[name], value)
        elif name in ("-F", "--form", "--form-string"):
            assert value is not None
            self.add_form(value, literal=name == "--form-string")
        elif name in ("-u", "--user"):
            assert value is not None
            self.headers.append(("Authorization", "Basic " + base64.b64encode(value.encode()).decode()))
        elif name in ("-A", "--user-agent"):
            assert value is not None
            self.headers.append(("User-Agent", value))
        elif name in ("-e", "--referer"):
            assert value is not None
            self.headers.append(("Referer", value))
        elif name in ("-b", "--cookie"):
            assert value is not None
            if "=" not in value:
                raise self.fail(f"--cookie {value!r} names a cookie file; pass the cookie as 'name=value'")
            self.headers.append(("Cookie", value))
        elif name == "--oauth2-bearer":
            self.headers.append(("Authorization", f"Bearer {value}"))
        elif name == "--url":
            assert value is not None
            self.set_url(value)
        elif name in ("-G", "--get"):
            self.get = True
        elif name in ("-I", "--head"):
            self.head = True
        elif name in ("-L", "--location", "--location-trusted"):
            self.follow = True

    def add_header(self, raw: str) -> None:
        if raw.startswith("@"):
            raise self.fail(f"-H {raw!r} reads headers from a file; write the header inline as 'Name: value'")
        if ":" not in raw:
            if raw.endswith(";"):  # curl's way to send a header with an empty value
                self.headers.append((raw[:-1].strip(), ""))
                return
            raise self.fail(f"header {raw!r} has no ':'; write it as 'Name: value'")
        name, _, value = raw.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            raise self.fail(f"header {raw!r} has no name; write it as 'Name: value'")
        if not value:
            self.removed_headers.add(name.lower())
            return
        self.headers.append((name, value))

    def add_data(self, kind: str, value: str) -> None:
        if kind in ("data", "binary", "json", "urlencode") and value.startswith("@") and kind != "urlencode":
            content = self.read_file(value[1:], "--data")
            text = content.decode("utf-8", "surrogateescape")
            if kind == "data":
                text = text.replace("\r", "").replace("\n", "")
            value = text
        if kind == "urlencode":
            name, eq, plain = value.partition("=")
            value = f"{name}={quote(plain, safe='')}" if eq else quote(value, safe="")
        if kind == "json":
            self.json_data = True
        self.data.append(value)

    def read_file(self, path: str, option: str) -> bytes:
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and self.base_dir is not None:
            candidate = self.base_dir / candidate
        try:
            if candidate.exists() and not candidate.is_file():
                raise self.fail(f"{option} @{path}: not a regular file (a device or a folder cannot be sent)")
            size = candidate.stat().st_size
            if size > MAX_FILE_BYTES:
                raise self.fail(
                    f"{option} @{path}: the file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit of a request"
                )
            return candidate.read_bytes()
        except OSError as exc:
            raise self.fail(
                f"{option} @{path}: the file cannot be read ({exc.strerror or exc}); fix the path"
            ) from None

    def add_form(self, raw: str, *, literal: bool) -> None:
        name, eq, rest = raw.partition("=")
        if not eq or not name:
            raise self.fail(f"--form {raw!r} is not 'name=value' or 'name=@file'")
        if literal:
            self.part_order.append(("form", len(self.form)))
            self.form.append((name, rest))
            return
        if rest.startswith(("@", "<")):
            path, options = _split_form_value(rest[1:])
            if rest.startswith("<"):  # file content as a text field
                content = self.read_file(path, "--form")
                self.part_order.append(("form", len(self.form)))
                self.form.append((name, content.decode("utf-8", "replace")))
                return
            self.part_order.append(("file", len(self.files)))
            self.files.append(
                FilePart(field=name, path=path, filename=options.get("filename"), content_type=options.get("type"))
            )
            return
        value, options = _split_form_value(rest)
        self.part_order.append(("form", len(self.form)))
        self.form.append((name, value))

    def to_spec(self) -> RequestSpec:
        if self.url is None:
            raise self.fail("has no URL; add the URL to call, like 'https://api.groq.com/openai/v1/models'")
        if self.data and (self.form or self.files):
            raise self.fail("mixes --data and --form; use one of them (curl refuses this too)")
        url = self.url
        headers = [(k, v) for k, v in self.headers if k.lower() not in self.removed_headers]
        body: bytes | None = None
        if self.data:
            joined = ("" if self.json_data else "&").join(self.data)
            if self.get:
                parts = urlsplit(url)
                query = f"{parts.query}&{joined}" if parts.query else joined
                url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
            else:
                body = joined.encode("utf-8", "surrogateescape")
                has_type = any(k.lower() == "content-type" for k, _ in headers)
                if not has_type and "content-type" not in self.removed_headers:
                    looks_json = self.json_data or joined.lstrip()[:1] in ("{", "[")
                    headers.append(
                        ("Content-Type", "application/json" if looks_json else "application/x-www-form-urlencoded")
                    )
                if self.json_data and not any(k.lower() == "accept" for k, _ in headers):
                    headers.append(("Accept", "application/json"))
        has_body = body is not None or bool(self.form or self.files)
        method = self.method or ("HEAD" if self.head else "POST" if has_body else "GET")
        return RequestSpec(
            method=method,
            url=url,
            headers=headers,
            body=body,
            form=self.form,
            files=self.files,
            part_order=self.part_order,
            follow_redirects=self.follow,
            source=self.label,
            base_dir=self.base_dir,
        )


def _split_form_value(text: str) -> tuple[str, dict[str, str]]:
    """curl's ``--form`` value syntax: a value or path (optionally in double quotes) then ``;key=value`` options."""
    options: dict[str, str] = {}
    if text.startswith('"'):
        value, i = _read_quoted(text, 1)
        rest = text[i:]
    else:
        cut = _option_start(text)
        value, rest = text[:cut], text[cut:]
    for option in filter(None, rest.split(";")):
        key, _, option_value = option.partition("=")
        key = key.strip().lower()
        if key in ("type", "filename"):
            option_value = option_value.strip()
            if option_value.startswith('"'):
                option_value, _ = _read_quoted(option_value, 1)
            options[key] = option_value
    return value, options


def _option_start(text: str) -> int:
    match = re.search(r";\s*(type|filename|headers|encoder)=", text)
    return match.start() if match else len(text)


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    out = []
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        out.append(c)
        i += 1
    return "".join(out), i
