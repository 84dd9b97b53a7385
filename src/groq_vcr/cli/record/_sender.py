"""Recording request specs outside pytest: send them with httpx, or import responses the user already has.

:class:`SpecRecorder` sends each :class:`~groq_vcr.cli.record._request_spec.RequestSpec` with a plain ``httpx.Client``
(reading the body chunk by chunk as it arrives, so streams are recorded exactly as sent), paces the calls with
a :class:`~groq_vcr.cli.record._pacing.Pacer` and returns model interactions built by :mod:`groq_vcr.engine`.

:func:`import_interaction` builds an interaction from a spec and a pasted response without sending anything.
What such an interaction holds that was not in the paste: status ``200 OK`` (unless an ``HTTP/1.1 429 ...``
status line was pasted), ``Content-Type: application/json`` (SSE pastes: ``text/event-stream``), proto
``HTTP/2.0`` (what Groq speaks), duration ``0s``; the JSON is stored compact, as Groq sends it. An upload whose
file is not on this machine is recorded with :data:`~groq_vcr.cli.record._request_spec.MISSING_FILE_PLACEHOLDER` as its
content.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from groq_vcr import __version__
from groq_vcr.cassette import Interaction, Response, body_text_or_bytes
from groq_vcr.cli.record._curl import extract_curl_commands
from groq_vcr.cli.record._pacing import Pacer, RateLimitState, parse_rate_limit_headers
from groq_vcr.cli.record._request_spec import RequestSpec
from groq_vcr.engine import collect_headers, finish_response, request_from_httpx, response_head_from_httpx, status_text
from groq_vcr.errors import ApiUnreachableError, InputError
from groq_vcr.pacing import SharedBudget, origin_of, tokens_used

__all__ = [
    "CallResult",
    "PastedResponse",
    "SpecRecorder",
    "apply_api_key",
    "env_api_key",
    "import_interaction",
    "read_pasted_responses",
    "read_text_file",
    "redirect_url",
]

USER_AGENT = f"groq-vcr/{__version__}"
_KEY_VARIABLE = re.compile(r"\$\{?GROQ_API_KEY\}?")
_STATUS_LINE = re.compile(r"^HTTP/(\d(?:\.\d)?)\s+(\d{3})(?:\s+(.*))?$")


@dataclass
class CallResult:
    """How one call went: the interaction to record, its status and what pacing it took."""

    spec: RequestSpec
    interaction: Interaction
    attempts: int = 1
    waited_s: float = 0.0
    rate_limits: RateLimitState = field(default_factory=RateLimitState)

    @property
    def status(self) -> str:
        """``200 OK``."""
        return self.interaction.response.status

    @property
    def code(self) -> int:
        """The HTTP status code."""
        return self.interaction.response.code


def redirect_url(url: str, base_url: str | None) -> str:
    """``url`` sent to ``base_url`` instead: its scheme and host replace the URL's, and its path (if any) is
    put in front of the URL's path unless that path already starts with it.

    ``redirect_url("https://api.groq.com/openai/v1/models", "http://127.0.0.1:8000")`` is
    ``http://127.0.0.1:8000/openai/v1/models``.
    """
    if not base_url:
        return url
    base = urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise InputError(f"--base-url {base_url!r} is not an http(s) URL; write it like http://127.0.0.1:8000")
    target = urlsplit(url)
    prefix = base.path.rstrip("/")
    path = target.path if not prefix or target.path.startswith(prefix + "/") else prefix + target.path
    return urlunsplit((base.scheme, base.netloc, path, target.query, target.fragment))


def apply_api_key(spec: RequestSpec, api_key: str | None) -> RequestSpec:
    """The spec as it is sent: ``Authorization: Bearer $GROQ_API_KEY`` when ``api_key`` (the environment's)
    is given, else the command's own header; a ``$GROQ_API_KEY`` left in a header needs the variable set."""
    if api_key:
        spec = spec.with_header("Authorization", f"Bearer {api_key}")
    for name, value in spec.headers:
        if _KEY_VARIABLE.search(value):
            raise InputError(
                f"{spec.source}: header {name} uses $GROQ_API_KEY, which is not set; "
                "export GROQ_API_KEY=gsk_... and run again"
            )
    return spec


class SpecRecorder:
    """Sends specs one after another through one ``httpx.Client`` and records what came back."""

    def __init__(
        self,
        *,
        pacer: Pacer | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 600.0,
        transport: httpx.BaseTransport | None = None,
        budget: SharedBudget | None = None,
    ) -> None:
        self.pacer = pacer or Pacer()
        self.budget = budget
        """This machine's share of the organisation's limits (``--rate-share``), shared with other processes."""
        self.api_key = api_key
        self.base_url = base_url
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 30.0)),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            transport=transport,
        )

    def __enter__(self) -> SpecRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def prepare(self, spec: RequestSpec) -> tuple[RequestSpec, list[tuple[str, str]], bytes]:
        """Check that ``spec`` can be sent (key, upload files) and encode it; raises :class:`InputError`."""
        spec = apply_api_key(spec, self.api_key)
        headers, body = spec.encode()
        redirect_url(spec.url, self.base_url)
        return spec, headers, body

    def record(self, spec: RequestSpec, *, on_wait: Callable[[float, str], None] | None = None) -> CallResult:
        """Send ``spec`` (retrying 429s as the pacer allows) and return the final response as an interaction."""
        spec, headers, body = self.prepare(spec)
        url = redirect_url(spec.url, self.base_url)
        waited = self.pacer.before_call()
        attempt = 0
        origin = origin_of(url)
        while True:
            if self.budget is not None:
                waited += self.budget.before_send(origin)
            interaction, state = self._send_once(spec, url, headers, body)
            if self.budget is not None:
                self.budget.on_response(origin, interaction.response.code, interaction.response.headers)
                tokens = tokens_used(interaction.response.body_bytes)
                if tokens:
                    self.budget.on_tokens(origin, tokens)
            delay = self.pacer.after_response(interaction.response.code, state, attempt)
            if delay is None:
                return CallResult(spec, interaction, attempts=attempt + 1, waited_s=waited, rate_limits=state)
            waited += delay
            attempt += 1

    def _send_once(
        self, spec: RequestSpec, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[Interaction, RateLimitState]:
        request = self._client.build_request(spec.method, url, headers=headers, content=body or None)
        started = time.perf_counter_ns()
        try:
            response = self._client.send(request, stream=True, follow_redirects=spec.follow_redirects)
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise ApiUnreachableError(
                f"{spec.source}: {spec.method} {url} failed: {reason}; check the URL, --base-url and your network",
                url=url,
                reason=reason,
            ) from None
        try:
            duration_ns = time.perf_counter_ns() - started
            chunks = list(response.iter_raw())
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise ApiUnreachableError(
                f"{spec.source}: reading the response of {spec.method} {url} failed: {reason}", url=url, reason=reason
            ) from None
        finally:
            response.close()
        head = response_head_from_httpx(response, duration_ns, response.request.method)
        recorded_request = request_from_httpx(response.request, body)
        recorded_request.url = _recorded_url(spec.url, str(response.request.url), self.base_url)
        interaction = Interaction(request=recorded_request, response=finish_response(head, b"".join(chunks)))
        return interaction, parse_rate_limit_headers(response.headers)


def _recorded_url(original: str, sent: str, base_url: str | None) -> str:
    """The URL the cassette names: the spec's own (``--base-url`` only redirects where it is sent)."""
    return original if base_url else sent


# ---------------------------------------------------------------------------------------------------- import


@dataclass(frozen=True)
class PastedResponse:
    """A response the user already has: a JSON text (or an SSE stream), perhaps after a pasted status line
    and headers (``curl -i`` output)."""

    body: bytes
    source: str
    code: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    proto: str = "HTTP/2.0"
    content_type: str = "application/json"


def read_pasted_responses(text: str, *, origin: str) -> list[PastedResponse]:
    """Every response pasted in ``text``, in order.

    ``text`` may be a single JSON document, an SSE stream (``data: ...`` lines), or a document with prose
    around the responses (like a QA ticket with "Response:" sections): then each line starting with ``{``
    outside a curl command starts one JSON response, optionally preceded by an ``HTTP/x NNN`` status line
    and headers.
    """
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{origin}: the response file is empty; paste the JSON response into it")
    if stripped.startswith(("data:", "event:")):
        body = stripped + "\n\n"
        return [PastedResponse(body=body.encode("utf-8"), source=f"{origin}:1", content_type="text/event-stream")]
    try:
        return [_pasted(json.loads(text), f"{origin}:1", [], 200, "HTTP/2.0")]
    except json.JSONDecodeError:
        pass
    text = text.replace("\r\n", "\n")
    skip: set[int] = set()
    for command in extract_curl_commands(text):
        skip.update(range(command.line, command.line + command.text.count("\n") + 1))
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    decoder = json.JSONDecoder()
    found: list[PastedResponse] = []
    status: tuple[int, str, list[tuple[str, str]]] | None = None
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if number in skip:
            continue
        match = _STATUS_LINE.match(line.strip())
        if match:
            headers, number = _read_header_block(lines, number)
            version = match.group(1)
            proto = "HTTP/2.0" if version.startswith("2") else f"HTTP/{version if '.' in version else version + '.0'}"
            status = (int(match.group(2)), proto, headers)
            continue
        if not line.lstrip().startswith("{"):
            continue
        start = offsets[number - 1] + (len(line) - len(line.lstrip()))
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{origin}:{exc.lineno}: the pasted response that starts on line {number} is not valid JSON "
                f"({exc.msg}, column {exc.colno}); fix the paste"
            ) from None
        code, proto, headers = status or (200, "HTTP/2.0", [])
        found.append(_pasted(value, f"{origin}:{number}", headers, code, proto))
        status = None
        number = text.count("\n", 0, end) + 1
    if not found:
        raise InputError(f"{origin}: no JSON response found; paste each response starting on a line with '{{'")
    return found


def _read_header_block(lines: list[str], number: int) -> tuple[list[tuple[str, str]], int]:
    headers = []
    while number < len(lines) and lines[number].strip():
        name, colon, value = lines[number].partition(":")
        if not colon:
            break
        headers.append((name.strip(), value.strip()))
        number += 1
    return headers, number


def _pasted(value: object, source: str, headers: list[tuple[str, str]], code: int, proto: str) -> PastedResponse:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return PastedResponse(body=body, source=source, code=code, headers=headers, proto=proto)


def import_interaction(spec: RequestSpec, pasted: PastedResponse) -> Interaction:
    """The interaction of ``spec`` answered by ``pasted``, built without sending anything."""
    headers, body = spec.encode(missing_files="placeholder")
    request = httpx.Request(spec.method, spec.url, headers=headers, content=body or None)
    recorded_request = request_from_httpx(request, body)
    response_headers = collect_headers(
        [
            (k, v)
            for k, v in pasted.headers
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        ]
    )
    if not any(name.lower() == "content-type" for name in response_headers):
        response_headers = {"Content-Type": [pasted.content_type], **response_headers}
    major, _, minor = pasted.proto.removeprefix("HTTP/").partition(".")
    streamed = pasted.content_type == "text/event-stream"
    response = Response(
        proto=pasted.proto,
        proto_major=int(major),
        proto_minor=int(minor or 0),
        content_length=-1 if streamed else len(pasted.body),
        body=body_text_or_bytes(pasted.body),
        headers=response_headers,
        status=status_text(pasted.code, ""),
        code=pasted.code,
        duration=0,
    )
    return Interaction(request=recorded_request, response=response)


def env_api_key() -> str | None:
    """``GROQ_API_KEY`` from the environment, if set and not blank."""
    key = os.environ.get("GROQ_API_KEY", "").strip()
    return key or None


def read_text_file(path: str, what: str) -> tuple[str, str]:
    """``(text, origin)`` of a file named on the command line (``-`` is stdin)."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(path).read_text(encoding="utf-8"), path
    except OSError as exc:
        raise InputError(f"cannot read the {what} {path!r}: {exc.strerror or exc}; check the path") from None
    except UnicodeDecodeError:
        raise InputError(f"the {what} {path!r} is not UTF-8 text") from None
