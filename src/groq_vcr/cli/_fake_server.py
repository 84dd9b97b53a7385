"""``groq-vcr fake-server``: the local Groq-compatible server, to record against with no key and no network."""

from __future__ import annotations

import click

from groq_vcr._extras import TESTING_PACKAGES
from groq_vcr.cli import EXIT_OK, needs_extra
from groq_vcr.cli._serve import run_foreground


def exports(base_url: str, api_key: str) -> list[str]:
    """The ``export`` lines that point the SDKs (and groq-vcr's recording) at the server on ``base_url``."""
    return [
        f"export GROQ_BASE_URL={base_url}",
        f"export GROQ_API_KEY={api_key}",
        f"export GROQ_VCR_STAND_IN={base_url}",
    ]


@click.command("fake-server")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
def fake_server(port: int, host: str) -> None:
    """Run the local Groq-compatible server (the one `groq-vcr demo` and the tests use).

    It answers Groq's OpenAI-compatible API under /openai/v1 (chat completions, JSON and streamed, audio,
    speech, models) with replies derived from the request, so recording the same calls twice writes the same
    cassette. Any key of Groq's shape (gsk_ + 52 letters and digits) is accepted; a model named fail-429,
    fail-500, ... or fail-stream answers with that error.

    The first line printed is `Serving on http://127.0.0.1:PORT`; the next ones are the variables to export
    in the shell that runs your tests: GROQ_BASE_URL and GROQ_API_KEY (a fake key made now) point the groq
    SDK here, and GROQ_VCR_STAND_IN makes groq-vcr record these calls as sent to https://api.groq.com, so the
    cassettes replay with the default client and no GROQ_BASE_URL. Stop with Ctrl+C (exit code 0).

    \b
    Example:
      groq-vcr fake-server --port 8765
      # in another shell, paste the export lines it printed, then:
      pytest --record-mode=once tests/test_chat.py
    """
    needs_extra("groq-vcr fake-server", TESTING_PACKAGES)
    from groq_vcr.testing import create_app, make_fake_api_key

    api_key = make_fake_api_key()
    notes = [
        "Any key of Groq's shape is accepted; the one above was made now and is not a real key.",
        "GROQ_VCR_STAND_IN: cassettes record https://api.groq.com instead of this address.",
    ]
    run_foreground(create_app(), host, port, notes, announce=lambda base_url: exports(base_url, api_key))
    raise click.exceptions.Exit(EXIT_OK)
