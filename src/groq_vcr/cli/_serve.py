"""``groq-vcr serve CASSETTE|DIR``: replay cassettes over real HTTP for curl, Go, JS and any other client."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from groq_vcr._extras import SERVERS_PACKAGES
from groq_vcr.cli import EXIT_OK, EXIT_USAGE, needs_extra
from groq_vcr.errors import GroqVcrError

if TYPE_CHECKING:  # the server extra may be missing: the commands check before importing it
    from starlette.types import ASGIApp

    from groq_vcr.servers import ServerHandle

_POLL_SECONDS = 0.2


def fail(message: str, hint: str) -> click.exceptions.Exit:
    """Print ``error: message`` and ``hint: hint`` on stderr; the returned exception exits with code 2."""
    click.echo(f"error: {message}", err=True)
    click.echo(f"hint: {hint}", err=True)
    return click.exceptions.Exit(EXIT_USAGE)


def run_foreground(
    app: ASGIApp,
    host: str,
    port: int,
    notes: Sequence[str] = (),
    announce: Callable[[str], Sequence[str]] | None = None,
) -> ServerHandle:
    """Serve ``app`` until SIGINT or SIGTERM; the first stdout line is ``Serving on http://HOST:PORT``.

    ``announce(base_url)`` gives more stdout lines to print after it (such as the variables to export);
    ``notes`` go to stderr after those, so stdout stays easy for scripts to read. Returns the stopped
    server's handle. A port that cannot be bound exits with code 2.
    """
    from groq_vcr.servers import run_in_thread

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server = run_in_thread(app, host, port)
            handle = server.__enter__()
        except RuntimeError as exc:
            raise fail(str(exc), "pass --port 0 to pick a free port, or stop what is using that one.") from None
        try:
            click.echo(f"Serving on {handle.base_url}")
            for line in announce(handle.base_url) if announce else ():
                click.echo(line)
            for note in notes:
                click.echo(note, err=True)
            click.echo("Press Ctrl+C to stop.", err=True)
            while not stop.wait(_POLL_SECONDS):
                if not handle.running:
                    raise fail(f"the server on {handle.base_url} stopped unexpectedly.", "see the log above.")
        finally:
            server.__exit__(None, None, None)
        return handle
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("serve")
@click.argument("source", metavar="CASSETTE|DIR", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--pace", is_flag=True, help="Sleep each interaction's recorded duration before answering.")
@click.option(
    "--allow-repeats", is_flag=True, help="Answer a request again once its recordings are used up (last one wins)."
)
def serve(source: Path, port: int, host: str, pace: bool, allow_repeats: bool) -> None:
    """Replay a cassette (or every cassette of a directory) over HTTP on 127.0.0.1.

    Point any client's base URL at the printed address instead of https://api.groq.com. Requests are
    matched like pytest replay (method, URL with query order ignored, body compared canonically; headers
    ignored), identical requests are answered in recorded order, and event streams are sent one SSE event
    at a time. A request no recording answers gets HTTP 404 with a Groq-style error whose message explains
    the closest recording and why it differs.

    For a directory, all cassettes are matched together, unless a request carries the header
    `X-Groq-Vcr-Cassette: relative/path.yaml`, which picks one.

    The first line printed is `Serving on http://127.0.0.1:PORT`. Stop with Ctrl+C (exit code 0).

    \b
    Example:
      groq-vcr serve cassettes/groq_chat_stream.yaml --port 8750
      curl -N http://127.0.0.1:8750/openai/v1/chat/completions \\
        -H 'Content-Type: application/json' -d @request.json
      # groq SDK:   Groq(base_url="http://127.0.0.1:8750", api_key="unused")
      # openai SDK: OpenAI(base_url="http://127.0.0.1:8750/openai/v1", api_key="unused")
    """
    needs_extra("groq-vcr serve", SERVERS_PACKAGES)
    from groq_vcr._settings import redactor_for
    from groq_vcr.servers import ReplayOptions, ServedCassettes, create_replay_app

    try:
        options = ReplayOptions(
            allow_repeats=allow_repeats,
            pace=pace,
            redactor=redactor_for(Path.cwd()),
            repeats_hint="groq-vcr serve --allow-repeats",
        )
        app = create_replay_app(source, options)
    except GroqVcrError as exc:
        raise fail(
            str(exc), "give a go-vcr v2 cassette file or a folder of them (groq-vcr check FILE validates one)."
        ) from None
    served: ServedCassettes = app.state.cassettes
    files = len(served.files)
    what = f"{served.interaction_count} interactions from {source}" + (f" ({files} cassettes)" if files > 1 else "")
    run_foreground(app, host, port, [f"Replaying {what}."])
    raise click.exceptions.Exit(EXIT_OK)
