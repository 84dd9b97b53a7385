"""``groq-vcr demo``: the whole record → redact → save → replay offline → schema check loop, in one run.

Offline by default: a local Groq-compatible server (:mod:`groq_vcr.testing`) is started on 127.0.0.1 and
the real ``groq`` SDK records four calls through it (a chat completion, a streamed one, a vision request and
an audio translation), one go-vcr v2 cassette each. The server is then stopped and every call is made again
with the network blocked and a different key: the answers must come from the cassettes, equal to what was
recorded, with the same response schema. With ``live=True`` the recording goes to the real Groq API instead.

Each phase is timed and any failure names the step that failed; :func:`run_demo` never raises for a failed
step, it returns a :class:`DemoReport` whose ``failed`` says which one.
"""

from __future__ import annotations

import base64
import contextlib
import math
import socket
import struct
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from groq_vcr._settings import redactor_for
from groq_vcr.cassette import Cassette, dump_cassette, load_cassette, validate_cassette_text
from groq_vcr.engine import CassetteSession, RecordMode, SessionOptions, activate
from groq_vcr.redaction import Redactor
from groq_vcr.schema import compare, schema_of, schema_of_interaction

__all__ = [
    "SCENARIOS",
    "DemoReport",
    "PhaseResult",
    "Scenario",
    "demo_audio",
    "demo_image_data_url",
    "network_blocked",
    "prove_network_blocked",
    "run_demo",
]

CHAT_MODEL = "llama-3.1-8b-instant"
VISION_MODEL = "meta-llama/llama-4-scout-17b-16e-instruct"
AUDIO_MODEL = "whisper-large-v3"


class DemoStepError(Exception):
    """A demo step did not produce what it should have; the message says what and where."""


# ------------------------------------------------------------------------------------------------ inputs


def demo_audio(seconds: float = 0.5, sample_rate: int = 16000) -> bytes:
    """A short mono 16-bit WAV (a 440 Hz tone), made in code so nothing is downloaded."""
    from groq_vcr.testing import wav_file

    frames = bytearray()
    for n in range(int(seconds * sample_rate)):
        frames += struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * n / sample_rate)))
    return wav_file(bytes(frames), sample_rate)


def demo_image_data_url(size: int = 24) -> str:
    """A small PNG (a black-and-white checkerboard) as a ``data:image/png;base64,...`` URL."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + bytes(255 if (x // 4 + y // 4) % 2 else 0 for x in range(size) for _ in range(3)) for y in range(size)
    )
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ------------------------------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class Outcome:
    """What the SDK returned for one call: a short text to compare, and the object(s) to take a schema of."""

    text: str
    parsed: Any


def _chat(client: Any) -> Outcome:
    response = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "In one sentence: why record HTTP calls in tests?"}],
        max_completion_tokens=60,
        temperature=0,
    )
    return Outcome(response.choices[0].message.content or "", response)


def _chat_stream(client: Any) -> Outcome:
    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Name three colours, comma separated."}],
        max_completion_tokens=30,
        temperature=0,
        stream=True,
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    return Outcome(f"{text} (in {len(chunks)} chunks)", chunks)


def _vision(client: Any) -> Outcome:
    response = client.chat.completions.create(
        model=VISION_MODEL,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Extract the text from this image. Return only those characters."},
                    {"type": "image_url", "image_url": {"url": demo_image_data_url()}},
                ],
            }
        ],
        max_completion_tokens=40,
        temperature=0,
    )
    return Outcome(response.choices[0].message.content or "", response)


def _audio_translation(client: Any) -> Outcome:
    response = client.audio.translations.create(file=("clip.wav", demo_audio(), "audio/wav"), model=AUDIO_MODEL)
    return Outcome(response.text, response)


@dataclass(frozen=True)
class Scenario:
    """One call the demo records and replays; its cassette is ``<out>/<name>.yaml``."""

    name: str
    title: str
    call: Callable[[Any], Outcome]
    endpoint: str
    """The path every request of its cassette goes to: a cassette in ``--out`` with other requests is not the
    demo's, and is never replaced."""
    answer: str
    """How the report line reads, with ``{text}`` the answer: a sentence."""


_CHAT = "/openai/v1/chat/completions"
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("chat", "chat completion", _chat, _CHAT, "The chat completion answered: {text}"),
    Scenario("chat_stream", "streamed chat completion (SSE)", _chat_stream, _CHAT, "The streamed answer was: {text}"),
    Scenario(
        "vision", "vision request (image as base64)", _vision, _CHAT, 'The vision model read "{text}" in the image.'
    ),
    Scenario(
        "audio_translation",
        "audio translation (multipart upload)",
        _audio_translation,
        "/openai/v1/audio/translations",
        'The audio translation came back as "{text}"',
    ),
)
"""The calls the demo makes, in order."""


# ------------------------------------------------------------------------------------------------ report


@dataclass
class PhaseResult:
    """One timed phase of the demo."""

    name: str
    items: str = ""
    seconds: float = 0.0
    ok: bool = True
    detail: str = ""


@dataclass
class DemoReport:
    """What the demo did, phase by phase, and the first step that failed (None when all passed)."""

    out: Path
    live: bool
    phases: list[PhaseResult] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    failed: str | None = None
    cassettes: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every phase passed."""
        return self.failed is None

    @property
    def total_seconds(self) -> float:
        """Sum of the phases' times."""
        return sum(p.seconds for p in self.phases)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[PhaseResult]:
        """Time a phase; a :class:`DemoStepError` (or any exception) inside it marks the demo failed at ``name``."""
        result = PhaseResult(name)
        self.phases.append(result)
        started = time.perf_counter()
        try:
            yield result
        except Exception as exc:  # every failure is reported with its step, never as a traceback
            result.ok = False
            result.detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, DemoStepError) else str(exc)
            self.failed = self.failed or name
        finally:
            result.seconds = time.perf_counter() - started


# ------------------------------------------------------------------------------------------------ the loop


def _client(base_url: str | None, api_key: str, *, max_retries: int = 0) -> Any:
    import groq

    kwargs: dict[str, Any] = {"api_key": api_key, "max_retries": max_retries, "timeout": 60.0}
    if base_url:
        kwargs["base_url"] = base_url
    return groq.Groq(**kwargs)


def _session(path: Path, redactor: Redactor, record_mode: RecordMode) -> CassetteSession:
    return CassetteSession(path, SessionOptions(record_mode=record_mode, redactor=redactor))


def _recording_session(path: Path, redactor: Redactor, scenario: Scenario) -> CassetteSession:
    """A session that records ``scenario`` into ``path``, replacing what an earlier demo run left there.

    The local server listens on a new port each run, so the old recordings are not the same requests and
    would be kept beside the new one: they are dropped when the file is written (atomically, so a failed run
    leaves the old file). A file holding anything else than this call is not the demo's: it is left alone.
    """
    sessions: list[CassetteSession] = []

    def only_this_run(cassette: Cassette) -> Cassette:
        new = len(sessions[0].pending)
        return Cassette(interactions=cassette.interactions[-new:], version=cassette.version, extra=cassette.extra)

    options = SessionOptions(record_mode=RecordMode.ALL, redactor=redactor, before_write=only_this_run)
    session = CassetteSession(path, options)  # a malformed file fails here, untouched
    sessions.append(session)
    foreign = [
        i
        for i in session.cassette.interactions
        if (i.request.method, urlsplit(i.request.url).path) != ("POST", scenario.endpoint)
    ]
    if foreign:
        raise DemoStepError(
            f"{path} already holds other recordings than the demo's {scenario.title} "
            f"(#{foreign[0].id} {foreign[0].request.method} {foreign[0].request.url}); pass another --out"
        )
    return session


def _fake_key() -> str:
    from groq_vcr.testing import make_fake_api_key

    return make_fake_api_key()


def _record(
    report: DemoReport, redactor: Redactor, base_url: str | None, api_key: str
) -> tuple[dict[str, Outcome], Counter[str]]:
    outcomes: dict[str, Outcome] = {}
    redacted: Counter[str] = Counter()
    # Live calls may meet a 429 or a 5xx: let the SDK retry them as it would in the user's code.
    with _client(base_url, api_key, max_retries=0 if base_url else 2) as client:
        for scenario in SCENARIOS:
            path = report.out / f"{scenario.name}.yaml"
            session = _recording_session(path, redactor, scenario)
            try:
                with activate(session):
                    outcome = scenario.call(client)
            except Exception as exc:
                raise DemoStepError(f"recording {scenario.title} failed: {type(exc).__name__}: {exc}") from exc
            # What the redactor finds in the text that *would* be written unredacted (kept in memory only).
            raw_text = dump_cassette(Cassette(interactions=session.interactions_to_save()))
            redacted.update(finding.rule for finding in redactor.scan_text(raw_text))
            if not session.save():
                raise DemoStepError(f"recording {scenario.title} wrote no cassette: no request reached {path}")
            outcomes[scenario.name] = outcome
            report.cassettes.append(path)
    return outcomes, redacted


def _check_files(report: DemoReport, redactor: Redactor) -> int:
    """Each file is a valid go-vcr v2 cassette, and a scan of its text finds no secret. Returns the findings."""
    findings = 0
    for path in report.cassettes:
        text = path.read_text(encoding="utf-8")
        problems = validate_cassette_text(text)
        if problems or not text.startswith("---\nversion: 2\n"):
            first = problems[0] if problems else "it does not start with '---\\nversion: 2'"
            raise DemoStepError(f"{path} is not a valid go-vcr v2 cassette: {first}")
        found = redactor.scan_text(text, source=str(path))
        if found:
            raise DemoStepError(f"{path} still holds a secret after redaction: {found[0]}")
        findings += len(found)
    return findings


@contextlib.contextmanager
def network_blocked() -> Iterator[None]:
    """Block every outgoing socket connection (loopback included) for the duration of the block."""
    from pytest_recording import network

    with network.blocking_context(allowed_hosts=None):
        yield


def prove_network_blocked(port: int) -> str:
    """Try a real TCP connection to 127.0.0.1:``port``; return the guard's message, or raise if it got through."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(("127.0.0.1", port))
    except RuntimeError as exc:  # pytest-recording's guard
        return str(exc)
    except OSError as exc:
        raise DemoStepError(
            f"the network is not blocked: a connection to 127.0.0.1:{port} reached the OS ({exc})"
        ) from exc
    finally:
        probe.close()
    raise DemoStepError(f"the network is not blocked: a connection to 127.0.0.1:{port} succeeded")


def _replay(
    report: DemoReport, redactor: Redactor, base_url: str | None, recorded: dict[str, Outcome]
) -> dict[str, Outcome]:
    replayed: dict[str, Outcome] = {}
    with _client(base_url, _fake_key()) as client:
        for scenario in SCENARIOS:
            path = report.out / f"{scenario.name}.yaml"
            session = _session(path, redactor, RecordMode.NONE)
            try:
                with activate(session):
                    outcome = scenario.call(client)
            except Exception as exc:
                raise DemoStepError(f"replaying {scenario.title} from {path} failed: {exc}") from exc
            stats = session.stats()
            if stats.replayed != 1 or stats.unused:
                raise DemoStepError(
                    f"replaying {scenario.title}: {stats.replayed} interaction(s) replayed from {path}, expected 1"
                )
            if outcome.text != recorded[scenario.name].text:
                raise DemoStepError(
                    f"replaying {scenario.title}: the SDK returned {outcome.text!r}, "
                    f"but {recorded[scenario.name].text!r} was recorded"
                )
            replayed[scenario.name] = outcome
    return replayed


def _schemas(report: DemoReport, replayed: dict[str, Outcome]) -> int:
    paths = 0
    for scenario in SCENARIOS:
        path = report.out / f"{scenario.name}.yaml"
        interaction = load_cassette(path).interactions[0]
        recorded = schema_of_interaction(interaction)
        result = compare(recorded, schema_of(replayed[scenario.name].parsed), strict=True)
        if not result.ok:
            raise DemoStepError(f"the schema of the replayed {scenario.title} differs from {path}:\n{result.to_text()}")
        paths += len(recorded.paths)
    return paths


def _describe_redactions(redacted: Counter[str]) -> str:
    if not redacted:
        return "nothing to redact"
    parts = ", ".join(f"{count} {rule}" for rule, count in sorted(redacted.items()))
    total = sum(redacted.values())
    return f"{total} secret{'' if total == 1 else 's'} replaced by placeholders ({parts})"


def run_demo(out: Path, *, live: bool = False, api_key: str | None = None) -> DemoReport:
    """Record, redact, save, replay offline and schema-check :data:`SCENARIOS` into cassettes under ``out``.

    Offline (the default) the calls go to a local Groq-compatible server on 127.0.0.1; with ``live`` they go
    to the real Groq API with ``api_key``. Never raises for a failed step: see :attr:`DemoReport.failed`.
    """
    report = DemoReport(out=out, live=live)
    out.mkdir(parents=True, exist_ok=True)
    redactor = redactor_for(Path.cwd())
    recorded: dict[str, Outcome] = {}
    redacted: Counter[str] = Counter()
    base_url: str | None = None
    port = 0

    with contextlib.ExitStack() as stack:
        with report.phase("start server") as phase:
            if live:
                if not api_key:
                    raise DemoStepError("--live needs GROQ_API_KEY")
                phase.items = "real Groq API (https://api.groq.com)"
            else:
                from groq_vcr.testing import FakeGroqConfig, serve_fake_groq

                server = stack.enter_context(serve_fake_groq(FakeGroqConfig()))
                base_url, port, api_key = server.groq_base_url, server.handle.port, server.api_key
                phase.items = f"local Groq-compatible server on {base_url}"
        if report.ok:
            assert api_key is not None
            with report.phase("record") as phase:
                recorded, redacted = _record(report, redactor, base_url, api_key)
                phase.items = f"{len(recorded)} calls through the groq SDK, {len(report.cassettes)} cassettes"
                report.lines.append("What the calls answered (replay must give the same):")
                for scenario in SCENARIOS:
                    text = _shorten(recorded[scenario.name].text)
                    report.lines.append("  " + scenario.answer.format(text=text))
    # The server is stopped here (ExitStack closed): replay can only come from the cassettes.

    if report.ok:
        with report.phase("redaction + format check") as phase:
            _check_files(report, redactor)
            phase.items = f"{_describe_redactions(redacted)}; 0 secrets on disk; go-vcr v2 format ok"
    if report.ok:
        with report.phase("replay (network blocked)") as phase:
            with network_blocked():
                guard = prove_network_blocked(port or 443)
                replayed = _replay(report, redactor, None if live else base_url, recorded)
            phase.items = (
                f"{len(replayed)} calls answered from cassettes with a new fake key, same answers; a live "
                f"connection was refused ({guard})"
            )
    if report.ok:
        with report.phase("schema check") as phase:
            paths = _schemas(report, replayed)
            phase.items = f"{len(replayed)} replayed responses, {paths} key paths, no drift from their recordings"
    return report


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
