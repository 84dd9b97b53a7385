"""``groq-vcr proxy --cassette FILE``: a recording reverse proxy, so curl, Go and JS clients record cassettes."""

from __future__ import annotations

from pathlib import Path

import click

from groq_vcr._extras import SERVERS_PACKAGES
from groq_vcr.cli import EXIT_OK, needs_extra
from groq_vcr.cli._serve import fail, run_foreground
from groq_vcr.errors import GroqVcrError


@click.command("proxy")
@click.option(
    "--upstream",
    default="https://api.groq.com",
    show_default=True,
    help="Where requests are forwarded; the cassette records this URL.",
)
@click.option(
    "--record-as",
    metavar="URL",
    help="The base URL the cassette records instead of --upstream's, e.g. https://api.groq.com when the "
    "upstream is groq-vcr fake-server, so the cassette replays with the default client.",
)
@click.option(
    "--cassette",
    "cassette_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The go-vcr v2 cassette to record into (created if missing).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--record-mode",
    type=click.Choice(["all", "new_episodes"]),
    default="all",
    show_default=True,
    help="all: forward and record every request (re-recorded requests replace old ones). "
    "new_episodes: answer requests the cassette already holds, forward and record the others.",
)
def proxy(upstream: str, record_as: str | None, cassette_path: Path, port: int, host: str, record_mode: str) -> None:
    """Forward requests to the upstream and record them into a cassette, redacted.

    Point a client's base URL at the printed address instead of https://api.groq.com and make your calls:
    responses stream through as they arrive (SSE events are not buffered), and each exchange is recorded
    with the upstream URL, so the cassette replays in pytest and with `groq-vcr serve`. Keys, auth headers
    and cookies are redacted before anything is written; a cassette that would still hold a secret is not
    written. The cassette is saved whenever no response is in flight, and on exit.

    The first line printed is `Serving on http://127.0.0.1:PORT`. Stop with Ctrl+C (exit code 0).

    \b
    Example:
      groq-vcr proxy --cassette cassettes/curl_chat.yaml --port 8751
      curl http://127.0.0.1:8751/openai/v1/chat/completions \\
        -H "Authorization: Bearer $GROQ_API_KEY" -H 'Content-Type: application/json' \\
        -d '{"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]}'
    """
    needs_extra("groq-vcr proxy", SERVERS_PACKAGES)
    from groq_vcr._settings import redactor_for
    from groq_vcr.engine import CassetteSession, RecordMode, SessionOptions
    from groq_vcr.servers import RecordingProxy, check_upstream

    try:
        check_upstream(upstream)
        if record_as:
            check_upstream(record_as)
        options = SessionOptions(
            record_mode=RecordMode(record_mode),
            redactor=redactor_for(Path.cwd()),
            rerecord_hint=f"groq-vcr proxy --upstream {upstream} --cassette {cassette_path}",
        )
        session = CassetteSession(cassette_path, options)
    except GroqVcrError as exc:
        raise fail(
            str(exc), "fix the option or the file (groq-vcr check FILE explains a malformed cassette)."
        ) from None

    def report_save_error(exc: BaseException) -> None:
        click.echo(f"error: {cassette_path} was not saved: {exc}", err=True)

    recorder = RecordingProxy(upstream, session, on_save_error=report_save_error, record_as=record_as)
    shown = f"{upstream} (recorded as {record_as})" if record_as else upstream
    notes = [f"Recording {shown} into {cassette_path} (record mode {record_mode})."]
    run_foreground(recorder.app(), host, port, notes)
    recorder.close()
    if recorder.save_error is not None:
        raise fail(
            f"{cassette_path} was not saved: {recorder.save_error}",
            "add a redaction rule for it ([tool.groq-vcr.redact] in pyproject.toml) and record again.",
        )
    noun = "interaction" if recorder.recorded == 1 else "interactions"
    click.echo(f"Recorded {recorder.recorded} {noun} into {cassette_path}.", err=True)
    raise click.exceptions.Exit(EXIT_OK)
