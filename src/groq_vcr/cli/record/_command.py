"""``groq-vcr record``: record curl commands or request spec files into a cassette, outside pytest."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click

from groq_vcr.cassette import Cassette, Interaction
from groq_vcr.cli import EXIT_FINDINGS, EXIT_USAGE
from groq_vcr.cli._calls import call_options
from groq_vcr.cli._human import human_duration, humanize_durations
from groq_vcr.cli._table import text_table
from groq_vcr.cli.record._curl import parse_curl_text
from groq_vcr.cli.record._pacing import Pacer, RetryPolicy
from groq_vcr.cli.record._request_spec import RequestSpec, load_request_specs
from groq_vcr.cli.record._sender import (
    CallResult,
    SpecRecorder,
    env_api_key,
    import_interaction,
    read_pasted_responses,
    read_text_file,
)
from groq_vcr.errors import CassetteFormatError, GroqVcrError, InputError, RateLimitExhaustedError, SecretFoundError
from groq_vcr.pacing import BUDGET_DIR_ENV, SharedBudget, parse_share
from groq_vcr.redaction import Redactor

_HINTS: list[tuple[type[GroqVcrError], str]] = [
    (InputError, "nothing was sent or written; fix the input (see: groq-vcr record --help)"),
    (CassetteFormatError, "the existing cassette was left unchanged; fix it (groq-vcr check) or choose another -o"),
    (SecretFoundError, "nothing was written; add a redaction rule under [tool.groq-vcr.redact] in pyproject.toml"),
    (RateLimitExhaustedError, "raise --max-wait / --max-retries, or run again when the limit has reset"),
    (GroqVcrError, "check the URL, --base-url and the network, then run again"),
]
_WRITE_HINT = "the existing cassette was left unchanged; check the folder's permissions and free space"


def fail(message: str, hint: str) -> NoReturn:
    """Print ``error: message`` and ``hint: hint`` on stderr and exit 2."""
    click.echo(f"error: {humanize_durations(message)}", err=True)
    click.echo(f"hint: {hint}", err=True)
    sys.exit(EXIT_USAGE)


def hint_for(exc: GroqVcrError) -> str:
    """The hint line shown under an error of this kind."""
    return next(hint for kind, hint in _HINTS if isinstance(exc, kind))


def collect_specs(
    curl_commands: tuple[str, ...], curl_files: tuple[str, ...], request_files: tuple[str, ...]
) -> list[RequestSpec]:
    """Every request named on the command line, in the order --curl, --curl-file, --request."""
    specs: list[RequestSpec] = []
    for index, command in enumerate(curl_commands, start=1):
        specs.extend(parse_curl_text(command, origin=f"--curl #{index}" if len(curl_commands) > 1 else "--curl"))
    for name in curl_files:
        text, origin = read_text_file(name, "curl file")
        specs.extend(parse_curl_text(text, origin=origin))
    for name in request_files:
        specs.extend(load_request_specs(name))
    return specs


def imported_interactions(specs: list[RequestSpec], response_files: tuple[str, ...]) -> list[Interaction]:
    """Pair ``specs`` with the responses pasted in ``response_files`` (in order), sending nothing."""
    pasted = []
    for name in response_files:
        text, origin = read_text_file(name, "response file")
        pasted.extend(read_pasted_responses(text, origin=origin))
    if len(pasted) != len(specs):
        found = ", ".join(p.source for p in pasted)
        raise InputError(
            f"{len(specs)} request(s) but {len(pasted)} pasted response(s) ({found}); "
            "give one response per request, in the same order"
        )
    return [import_interaction(spec, response) for spec, response in zip(specs, pasted, strict=True)]


def _load_existing(path: Path) -> tuple[tuple[int, int] | None, Cassette]:
    """What ``path`` holds before anything is sent, with its stamp (a broken cassette fails before any call)."""
    from groq_vcr.cassette import file_stamp, load_cassette

    stamp = file_stamp(path)
    return stamp, Cassette() if stamp is None else load_cassette(path)


def _append(
    path: Path,
    interactions: list[Interaction],
    redactor: Redactor,
    known: tuple[tuple[int, int] | None, Cassette],
) -> Cassette:
    """Append ``interactions`` to what ``path`` holds under its lock, redacted and scanned; returns what was written.

    Another run may have saved into the same cassette since ``known`` was loaded: the new interactions go after
    what it wrote, not over it.
    """
    from groq_vcr.cassette import update_cassette

    def append(current: Cassette | None) -> Cassette:
        base = Cassette() if current is None else current
        merged = Cassette(interactions=[*base.interactions, *interactions], version=base.version, extra=base.extra)
        return redactor.redact_cassette(merged)

    return update_cassette(
        path, append, known=known, check=lambda written, text: redactor.assert_clean_cassette(written, text, path)
    )


def _cannot_write(path: Path, exc: OSError) -> str:
    return f"cannot write {path}: {exc.strerror or exc}"


def _describe(redactor: Redactor, index: int, interaction: Interaction) -> str:
    request, response = interaction.request, interaction.response
    return (
        f"#{index} {request.method} {redactor.redact_url(request.url)} -> {response.status} "
        f"in {human_duration(response.duration / 1e9)}"
    )


def _summary_table(results: list[CallResult], first: int, redactor: Redactor) -> list[str]:
    header = ("#", "status", "duration", "attempts", "waited", "requests left", "tokens left", "request")
    rows = []
    for index, result in enumerate(results, start=first):
        request, response = result.interaction.request, result.interaction.response
        limits = result.rate_limits
        url = redactor.redact_url(request.url)
        path = url.split("://", 1)[-1].partition("/")[2]
        rows.append(
            (
                str(index),
                response.status,
                human_duration(response.duration / 1e9),
                str(result.attempts),
                human_duration(result.waited_s),
                "-" if limits.remaining_requests is None else str(limits.remaining_requests),
                "-" if limits.remaining_tokens is None else str(limits.remaining_tokens),
                f"{request.method} /{path}",
            )
        )
    return text_table("recorded calls", header, rows, right={0, 3, 4, 5, 6})


def _send_all(
    specs: list[RequestSpec], recorder: SpecRecorder, redactor: Redactor
) -> tuple[list[CallResult], GroqVcrError | None]:
    """Send every spec in order, one progress line per call on stderr (and one per wait), until one fails."""
    results: list[CallResult] = []

    def on_wait(seconds: float, reason: str) -> None:
        click.echo(f"waiting {human_duration(seconds)}: {humanize_durations(reason)}", err=True)

    recorder.pacer.on_wait = on_wait
    for number, spec in enumerate(specs, start=1):
        click.echo(f"recording {number}/{len(specs)}: {spec.method} {redactor.redact_url(spec.url)}", err=True)
        try:
            results.append(recorder.record(spec))
        except GroqVcrError as exc:
            return results, exc
    return results, None


@click.command("record")
@click.option("--curl", "curl_commands", multiple=True, metavar="'curl ...'", help="A curl command (repeatable).")
@click.option(
    "--curl-file",
    "curl_files",
    multiple=True,
    metavar="FILE",
    help="A file with one or more curl commands, prose around them allowed ('-' reads stdin).",
)
@click.option(
    "--request",
    "request_files",
    multiple=True,
    metavar="FILE",
    help="A YAML/JSON request spec: {method, url, headers, json|body|form|files}, or a list of them.",
)
@click.option(
    "--response",
    "response_files",
    multiple=True,
    metavar="FILE",
    help="Import responses you already have instead of sending: JSON (or SSE) pasted in FILE, one per request, "
    "in order (repeatable; a file may hold several, with prose around them).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The cassette to append to or create.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Send the calls here instead (e.g. http://127.0.0.1:8000); the cassette keeps the original URLs.",
)
@click.option(
    "--rate-share",
    metavar="SHARE",
    help="Stay within this share of the organisation's rate limits (1/4 when 4 machines record at once); "
    f"the groq-vcr record processes of this machine share it (a budget in ${BUDGET_DIR_ENV}, else the temporary "
    "folder).",
)
@click.option(
    "--keep-status",
    "keep_statuses",
    multiple=True,
    metavar="CODE",
    callback=lambda ctx, param, value: _parse_statuses(value),
    help="An error status you mean to record (e.g. 404, or 4xx / 5xx; repeatable). A call whose final answer is "
    "any other error status is saved as it happened, with a warning, and the command exits 1.",
)
@call_options(wait_help="Longest single wait for a rate-limit reset or retry-after; longer ones stop the recording.")
def record(
    curl_commands: tuple[str, ...],
    curl_files: tuple[str, ...],
    request_files: tuple[str, ...],
    response_files: tuple[str, ...],
    output: Path,
    base_url: str | None,
    max_retries: int,
    max_wait: float,
    rate_share: str | None,
    keep_statuses: frozenset[str],
    timeout: float,
) -> None:
    """Record calls given as curl commands or request specs into the cassette OUTPUT (appending to it).

    The key comes from GROQ_API_KEY, else from the command's own Authorization header; it is never written:
    every cassette is redacted (keys, cookies) and scanned before it is saved. Rate limits are honoured:
    when x-ratelimit-remaining-* reaches 0 the next call waits for the reset, and a 429 is retried after
    retry-after. Nothing is sent or written when any request is invalid (bad JSON, missing upload file).
    A final answer with an error status (a 5xx, a 401...) is saved as it happened, but the command warns and
    exits 1 unless --keep-status names that status.

    \b
    Examples:
      groq-vcr record -o cassettes/chat.yaml --curl "curl https://api.groq.com/openai/v1/chat/completions \\
          -H 'Content-Type: application/json' -d '{\\"model\\": \\"llama-3.1-8b-instant\\", ...}'"
      groq-vcr record -o cassettes/qa.yaml --curl-file notes.txt      # every curl command in the notes
      groq-vcr record -o cassettes/qa.yaml --request calls.yaml --base-url http://127.0.0.1:8000
      groq-vcr record -o cassettes/qa.yaml --curl-file notes.txt --response notes.txt   # import, send nothing
    """
    redactor = Redactor()
    try:
        from groq_vcr._settings import redactor_for

        redactor = redactor_for(Path.cwd())
        specs = collect_specs(curl_commands, curl_files, request_files)
        if not specs:
            raise InputError("no request given; pass --curl, --curl-file or --request")
        known = _load_existing(output)
        if response_files:
            interactions = imported_interactions(specs, response_files)
            try:
                saved = _append(output, interactions, redactor, known)
            except OSError as exc:
                fail(_cannot_write(output, exc), _WRITE_HINT)
            first = len(saved.interactions) - len(interactions)
            for offset, interaction in enumerate(interactions):
                click.echo("imported " + _describe(redactor, first + offset, interaction))
            click.echo(f"wrote {len(interactions)} interaction(s) to {output} ({len(saved.interactions)} in total)")
            return
        policy = RetryPolicy(max_retries=max_retries, max_wait_s=max_wait)
        budget = _budget(rate_share, env_api_key(), max_wait)
        recorder = SpecRecorder(
            pacer=Pacer(policy), api_key=env_api_key(), base_url=base_url, timeout_s=timeout, budget=budget
        )
        with recorder as rec:
            for spec in specs:  # every request must be sendable before the first one goes out
                rec.prepare(spec)
            results, failure = _send_all(specs, rec, redactor)
    except GroqVcrError as exc:
        fail(redactor.redact_text(str(exc)), hint_for(exc))
    first = total = len(known[1].interactions)
    not_saved: tuple[str, str] | None = None  # error and hint of a failed save
    if results:
        try:
            saved = _append(output, [result.interaction for result in results], redactor, known)
        except GroqVcrError as exc:
            not_saved = redactor.redact_text(str(exc)), hint_for(exc)
        except OSError as exc:
            not_saved = _cannot_write(output, exc), _WRITE_HINT
        else:
            total = len(saved.interactions)
            first = total - len(results)  # after what other runs saved into the cassette meanwhile
    for offset, result in enumerate(results):
        click.echo("recorded " + _describe(redactor, first + offset, result.interaction) + _pacing_note(result))
    if not_saved is not None:
        fail(*not_saved)
    if len(specs) > 1 and results:
        for line in _summary_table(results, first, redactor):
            click.echo(line)
    if failure is not None:
        saved_note = f"; the {len(results)} call(s) before it were saved to {output}" if results else ""
        fail(redactor.redact_text(str(failure)) + saved_note, hint_for(failure))
    unwanted = [(first + offset, r) for offset, r in enumerate(results) if _unwanted(r.code, keep_statuses)]
    for index, result in unwanted:
        request = result.interaction.request
        click.echo(
            f"warning: #{index} {request.method} {redactor.redact_url(request.url)} ended with "
            f"{result.status}; it was saved to {output} as it happened",
            err=True,
        )
    click.echo(f"wrote {len(results)} interaction(s) to {output} ({total} in total)")
    if unwanted:
        codes = sorted({str(result.code) for _, result in unwanted})
        click.echo(
            f"hint: record it again when the API answers normally (and remove the error answer from {output}), or "
            f"pass {' '.join(f'--keep-status {code}' for code in codes)} if this is the answer you mean to record",
            err=True,
        )
        unauthorized = [result for _, result in unwanted if result.code == 401]
        if unauthorized:
            click.echo(f"hint: {_key_hint(unauthorized)}", err=True)
        sys.exit(EXIT_FINDINGS)


def _key_hint(unauthorized: list[CallResult]) -> str:
    """How to provide the key, after a 401: none was sent, or the one sent was refused."""
    sent = any(name.lower() == "authorization" for result in unauthorized for name, _ in result.spec.headers)
    if not sent:
        return (
            "401 means no key was sent: export GROQ_API_KEY=gsk_... (or give the curl command "
            "-H 'Authorization: Bearer $GROQ_API_KEY'), then record again"
        )
    return (
        "401 means the API refused the key that was sent: export a valid GROQ_API_KEY (it replaces the command's "
        "own Authorization header), then record again"
    )


def _parse_statuses(values: tuple[str, ...]) -> frozenset[str]:
    """``--keep-status`` values: a status (``404``) or a class (``4xx``, ``5xx``)."""
    kept = set()
    for value in values:
        text = value.strip().lower()
        if not (len(text) == 3 and text[0] in "45" and (text[1:] == "xx" or text[1:].isdigit())):
            raise click.BadParameter(f"{value!r} is not an error status; write it like 404, 503, 4xx or 5xx")
        kept.add(text)
    return frozenset(kept)


def _unwanted(code: int, kept: frozenset[str]) -> bool:
    """Whether a final answer with this status is an error the user did not ask to record."""
    return code >= 400 and str(code) not in kept and f"{str(code)[0]}xx" not in kept


def _budget(rate_share: str | None, api_key: str | None, max_wait: float) -> SharedBudget | None:
    """The machine's budget for ``--rate-share`` (None without it)."""
    if rate_share is None:
        return None
    share = parse_share(rate_share, where="--rate-share")
    folder = os.environ.get(BUDGET_DIR_ENV) or Path(tempfile.gettempdir()) / f"groq-vcr-budget-{_user()}"
    return SharedBudget(folder, share, credential=api_key or "", max_wait_s=max_wait)


def _user() -> str:
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid is not None else "user"


def _pacing_note(result: CallResult) -> str:
    notes = []
    if result.attempts > 1:
        notes.append(f"{result.attempts - 1} retr{'y' if result.attempts == 2 else 'ies'}")
    if result.waited_s:
        notes.append(f"waited {human_duration(result.waited_s)}")
    return f" ({', '.join(notes)})" if notes else ""
