"""Re-send the requests recorded in cassettes and keep the live answers, for the drift report.

Each recorded request is sent again as it was recorded: the same method, URL and body bytes, with its
``Content-Type`` (multipart boundary included) and ``Accept``; every other header is the recorder's own, and the
key comes from ``GROQ_API_KEY``. ``base_url`` sends the calls to another Groq-compatible server while the new
recordings keep the recorded URLs. Nothing is written here: the caller compares the recordings in memory and
saves them only when asked.

An interaction imported without its upload (``groq-vcr record --response`` when the file was missing holds a
placeholder instead of the bytes) cannot be sent again faithfully: it is not re-sent, and listed as not
re-checked. The run stops at the first sign that the API cannot answer any call (a connection error, a 401/403,
a rate limit that outlasts ``--max-wait``): the cassettes not reached are listed as not re-checked, with why,
instead of as missing answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from groq_vcr.cassette import Cassette, Interaction, load_any
from groq_vcr.cli.record._request_spec import MISSING_FILE_PLACEHOLDER, RequestSpec
from groq_vcr.cli.record._sender import CallResult, SpecRecorder
from groq_vcr.errors import ApiUnreachableError, CassetteFormatError, GroqVcrError, RateLimitExhaustedError

__all__ = ["CassetteRun", "RunStopped", "has_unknown_upload", "rerecord", "spec_of"]

RESENT_HEADERS = ("content-type", "accept")
_PLACEHOLDER_MARK = MISSING_FILE_PLACEHOLDER.split("{path}")[0].encode()


class RunStopped(Exception):
    """The API cannot answer: no further call is made (the reason is the message)."""


@dataclass
class CassetteRun:
    """One cassette of a drift run: what was re-sent, what came back, and what could not be checked."""

    name: str
    path: Path
    old: Cassette = field(default_factory=Cassette)
    """The committed interactions that were re-sent (with their ids)."""
    new: Cassette = field(default_factory=Cassette)
    """Their live answers, in the same order."""
    whole: Cassette = field(default_factory=Cassette)
    """The re-recorded cassette as it would be saved: live answers, and the interactions not re-sent, in order."""
    skipped: list[str] = field(default_factory=list)
    """Interactions not re-sent, each with why."""
    problem: str | None = None
    """Why this cassette was not re-checked at all (unreadable, a request that cannot be sent, the run stopped)."""

    @property
    def checked(self) -> bool:
        """Whether its answers were compared."""
        return self.problem is None


def spec_of(interaction: Interaction, source: str) -> RequestSpec:
    """The request of ``interaction`` as sent again: method, URL, body bytes, Content-Type and Accept."""
    request = interaction.request
    resent = {name: values for name, values in request.headers.items() if name.lower() in RESENT_HEADERS}
    headers = [(name, values[0]) for name, values in resent.items() if values]
    return RequestSpec(
        method=request.method, url=request.url, headers=headers, body=request.body_bytes or None, source=source
    )


def has_unknown_upload(interaction: Interaction) -> bool:
    """Whether the request holds the import placeholder instead of an uploaded file's bytes."""
    return _PLACEHOLDER_MARK in interaction.request.body_bytes


def _refused(result: CallResult, target: str) -> str | None:
    """Why the API refuses every call, when this answer says so (401/403), else None."""
    code = result.code
    if code not in (401, 403):
        return None
    detail = ""
    try:
        error = json.loads(result.interaction.response.body_bytes or b"{}").get("error", {})
        if isinstance(error, dict) and error.get("message"):
            detail = f" ({error.get('code') or error.get('type') or 'error'}: {error['message']})"
    except (ValueError, AttributeError):
        pass
    what = "rejected the key" if code == 401 else "refused access"
    return f"{target} {what}: {result.status}{detail}; check GROQ_API_KEY"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _run_one(run: CassetteRun, recorder: SpecRecorder, target: str, on_call: Callable[[str], None]) -> int:
    """Re-send ``run``'s requests; returns how many were sent. Raises :class:`RunStopped`."""
    cassette = load_any(run.path)
    old: list[Interaction] = []
    new: list[Interaction] = []
    whole: list[Interaction] = []
    for interaction in cassette.interactions:
        label = f"#{interaction.id} {interaction.request.method} {urlsplit(interaction.request.url).path}"
        if has_unknown_upload(interaction):
            run.skipped.append(f"{label}: imported without its upload; re-import it with the file to check it")
            whole.append(interaction)
            continue
        try:
            result = recorder.record(spec_of(interaction, f"{run.name} {label}"))
        except ApiUnreachableError as exc:
            raise RunStopped(f"{target or _origin(exc.url)} could not be reached: {exc.reason}") from None
        except RateLimitExhaustedError as exc:
            raise RunStopped(f"rate limited: {exc}") from None
        refused = _refused(result, target or _origin(interaction.request.url))
        if refused is not None:
            raise RunStopped(refused)
        on_call(f"{label} -> {result.status}")
        old.append(interaction)
        fresh = Interaction(result.interaction.request, result.interaction.response, interaction.id)
        new.append(fresh)
        whole.append(fresh)
    run.old = Cassette(interactions=old, extra=dict(cassette.extra))
    run.new = Cassette(interactions=new, extra=dict(cassette.extra))
    run.whole = Cassette(interactions=whole, extra=dict(cassette.extra))
    return len(new)


def rerecord(
    cassettes: Sequence[tuple[str, Path]],
    recorder: SpecRecorder,
    *,
    target: str = "",
    on_cassette: Callable[[int, str], None] = lambda number, name: None,
    on_call: Callable[[str], None] = lambda line: None,
) -> tuple[list[CassetteRun], str | None, int]:
    """Re-send every request of ``cassettes`` (``(name, path)``) in order.

    Returns the per-cassette runs, why the run stopped early (None when it went through) and how many requests
    were sent. ``target`` names where calls go in messages (the ``--base-url``; by default each URL's origin).
    """
    runs = [CassetteRun(name, path) for name, path in cassettes]
    stopped: str | None = None
    sent = 0
    for number, run in enumerate(runs, start=1):
        if stopped is not None:
            run.problem = "not reached: the run stopped early"
            continue
        on_cassette(number, run.name)
        try:
            sent += _run_one(run, recorder, target, on_call)
        except RunStopped as exc:
            stopped = str(exc)
            run.problem = "not reached: the run stopped early"
        except CassetteFormatError as exc:
            run.problem = f"cannot be read: {exc}"
        except GroqVcrError as exc:  # a request that cannot be sent as recorded
            run.problem = f"cannot be re-sent: {exc}"
    return runs, stopped, sent
