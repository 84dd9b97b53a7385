"""``groq-vcr demo``: record, redact, save, replay offline and schema-check a few Groq calls, in one command."""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from pathlib import Path

import click

from groq_vcr._extras import DEMO_PACKAGES
from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, needs_extra
from groq_vcr.cli._table import text_table
from groq_vcr.cli.demo._loop import DemoReport, run_demo
from groq_vcr.cli.record._sender import env_api_key


def report_table(report: DemoReport) -> list[str]:
    """The phases as a table: phase, how long it took, whether it passed, and what it covered."""
    title = "groq-vcr demo" + (" (live Groq API)" if report.live else " (offline)")
    rows = [
        (phase.name, f"{phase.seconds:.2f}s", "ok" if phase.ok else "FAILED", phase.items or phase.detail)
        for phase in report.phases
    ]
    return text_table(title, ("phase", "time", "result", "covered"), rows, right={1})


def _runnable(command: str, path: Path) -> str:
    """``groq-vcr COMMAND PATH`` as the user can run it here: through ``uv run`` when the demo ran that way."""
    prefix = "uv run groq-vcr" if os.environ.get("UV_RUN_RECURSION_DEPTH") else "groq-vcr"
    return f"{prefix} {command} {shlex.quote(str(path))}"


@click.command("demo")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the cassettes (created if needed). Default: a new temporary folder, printed at the end.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Record against the real Groq API with GROQ_API_KEY instead of the bundled local server.",
)
def demo(out: Path | None, live: bool) -> None:
    """Show the whole loop on four calls made through the real groq SDK.

    With no key and no network: start a local Groq-compatible server on 127.0.0.1, record a chat
    completion, a streamed one, a vision request and an audio translation into go-vcr v2 cassettes
    (one per call, keys and cookies redacted), stop the server, replay every call with the network
    blocked and a different key, and check that each replayed response has the recorded schema.

    \b
    Exit codes: 0 every step passed, 1 a step failed (named in the report), 2 bad usage.
    \b
    Examples:
      groq-vcr demo                       # offline, cassettes in a new temporary folder
      groq-vcr demo --out demo-cassettes  # keep them where you can read them (a new run replaces them)
      GROQ_API_KEY=... groq-vcr demo --live
    """
    needs_extra("groq-vcr demo", DEMO_PACKAGES)
    api_key = env_api_key()
    if live and api_key is None:
        click.echo("error: --live records against the real Groq API, and GROQ_API_KEY is not set.", err=True)
        click.echo(
            "hint: export GROQ_API_KEY=gsk_... (from https://console.groq.com/keys), or drop --live "
            "to run offline against the bundled local server",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    chosen = out is not None
    folder = out if out is not None else Path(tempfile.mkdtemp(prefix="groq-vcr-demo-"))
    report = run_demo(folder, live=live, api_key=api_key if live else None)

    for line in [*report_table(report), "", *report.lines, *([""] if report.lines else [])]:
        click.echo(line)
    where = "" if chosen else " (a new temporary folder; pass --out DIR to choose one)"
    click.echo(f"cassettes: {folder}{where}")
    if report.ok:
        click.echo(f"OK: the whole loop passed in {report.total_seconds:.2f}s")
        click.echo(f"next: {_runnable('show', folder / 'chat_stream.yaml')}")
        sys.exit(EXIT_OK)
    click.echo(f"FAILED: step '{report.failed}' failed; see the report above", err=True)
    sys.exit(EXIT_FINDINGS)
