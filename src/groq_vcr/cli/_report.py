"""``groq-vcr report merge``: the run reports of every shard of a suite, merged into one verdict."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import NoReturn

import click

from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from groq_vcr.errors import GroqVcrError
from groq_vcr.report import RunReport, merge_reports, read_report, render_markdown, render_text, verdict_of


def _fail(message: str, hint: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    click.echo(f"hint: {hint}", err=True)
    sys.exit(EXIT_USAGE)


@click.group("report")
def report_command() -> None:
    """Run reports: what each pytest run did with its cassettes (see 'groq-vcr report merge --help')."""


def _labeler(report: RunReport) -> functools.partial[str]:
    return functools.partial(_label, report.base())


@functools.cache
def _interaction_labels(path: Path) -> list[str] | None:
    from groq_vcr.cassette import load_any
    from groq_vcr.schema import interaction_label

    try:
        cassette = load_any(path)
    except (GroqVcrError, OSError):
        return None
    return [interaction_label(interaction) for interaction in cassette.interactions]


def _label(base: Path, cassette: str, index: int) -> str:
    """``#2 POST /openai/v1/chat/completions`` when the cassette can be read here, else ``#2``."""
    labels = _interaction_labels((base / cassette).resolve())
    return labels[index] if labels is not None and index < len(labels) else f"#{index}"


@report_command.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--fail-unused", is_flag=True, help="Exit 1 when an interaction was played by no run.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown for a GitHub job summary, json for the merged report itself.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the merged report (JSON) to this file, e.g. for 'groq-vcr check --unused --last-run FILE'.",
)
def merge_command(reports: tuple[Path, ...], fail_unused: bool, output_format: str, output: Path | None) -> None:
    """Merge the run reports of the shards of one suite (each written by the pytest plugin, see
    --groq-vcr-report) into one verdict.

    An interaction is unused only when no shard played it; drift findings and replay misses are listed once
    each. Breaking drift and misses fail the merge; unused interactions fail it with --fail-unused.

    \b
    Exit codes: 0 ok, 1 findings, 2 a report is missing or unreadable.

    \b
    Examples:
      groq-vcr report merge reports/*.json --fail-unused
      groq-vcr report merge reports/*.json --format markdown >> "$GITHUB_STEP_SUMMARY"
      groq-vcr report merge reports/*.json -o merged.json && groq-vcr check --unused --last-run merged.json cassettes
    """
    try:
        merged = merge_reports([read_report(path) for path in reports])
    except GroqVcrError as exc:
        _fail(str(exc), "pass the JSON files the pytest plugin wrote (--groq-vcr-report FILE in each shard)")
    if output is not None:
        from groq_vcr.engine import write_last_run

        try:
            write_last_run(output, merged)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}", "check the folder's permissions and free space")
    if output_format == "json":
        click.echo(merged.to_json(), nl=False)
    elif output_format == "markdown":
        click.echo(render_markdown(merged, fail_unused=fail_unused, label=_labeler(merged)), nl=False)
    else:
        click.echo(render_text(merged, fail_unused=fail_unused, label=_labeler(merged)), nl=False)
    sys.exit(EXIT_FINDINGS if verdict_of(merged, fail_unused=fail_unused).failed else EXIT_OK)
