"""``groq-vcr diff OLD NEW``: the response-schema drift between two cassettes or two folders of cassettes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from groq_vcr.errors import GroqVcrError
from groq_vcr.schema import WHOLE_CASSETTE, CassetteDrift, DriftEntry, SchemaChange, SchemaReport, compare_cassettes


def _cassettes_in(folder: Path) -> dict[str, Path]:
    from groq_vcr.cassette import find_cassette_files

    return {path.relative_to(folder).as_posix(): path for path in find_cassette_files([folder])}


def _one_sided(name: str, *, missing_from_new: bool, strict: bool) -> tuple[str, tuple[DriftEntry, ...]]:
    if missing_from_new:
        change = SchemaChange("<cassette>", "cassette_removed", "breaking", "missing from NEW (not re-recorded)")
    else:
        change = SchemaChange("<cassette>", "cassette_added", "additive", "only in NEW (a new cassette)")
    return name, (DriftEntry(WHOLE_CASSETTE, SchemaReport((change,), strict)),)


def drift_between(old: Path, new: Path, *, strict: bool = False) -> CassetteDrift:
    """Compare two cassette files, or two folders (cassettes paired by relative path), into a drift report.

    A cassette or interaction missing from ``new`` counts as breaking, so an empty re-recording never passes.
    """
    from groq_vcr.cassette import load_cassette

    if old.is_dir() != new.is_dir():
        raise GroqVcrError(f"Cannot compare {old} with {new}: give two cassette files or two folders.")
    if not old.is_dir():
        entries = compare_cassettes(load_cassette(old), load_cassette(new), strict=strict)
        return CassetteDrift(((str(new), tuple(entries)),), strict=strict)
    before, after = _cassettes_in(old), _cassettes_in(new)
    if not before and not after:
        raise GroqVcrError(f"No cassettes (*.yaml, *.yml) in {old} nor in {new}.")
    results: list[tuple[str, tuple[DriftEntry, ...]]] = []
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            results.append(_one_sided(name, missing_from_new=True, strict=strict))
        elif name not in before:
            results.append(_one_sided(name, missing_from_new=False, strict=strict))
        else:
            entries = compare_cassettes(load_cassette(before[name]), load_cassette(after[name]), strict=strict)
            results.append((name, tuple(entries)))
    return CassetteDrift(tuple(results), strict=strict)


def _styled_text(drift: CassetteDrift) -> str:
    colours = {"breaking:": "red", "additive:": "yellow", "info:": "cyan"}
    lines = []
    for line in drift.to_text().splitlines():
        stripped = line.strip()
        if stripped in colours:
            line = click.style(line, fg=colours[stripped], bold=True)
        elif line.startswith(("OK:", "DRIFT:")):
            line = click.style(line, fg="green" if drift.ok else "red", bold=True)
        lines.append(line)
    return "\n".join(lines)


@click.command("diff")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Report format: text for terminals, markdown for PR comments / job summaries, json for tools.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on additive changes too, not only on breaking ones.")
def diff(old: Path, new: Path, output_format: str, strict: bool) -> None:
    """Report response-schema drift from OLD to NEW cassettes (files, or folders paired by relative path).

    Interactions are paired by method, URL path + query and canonical request body. Only shapes are compared
    (key paths, types, nullability, stream facts), never values. Removed fields, new types and fields that
    became nullable are breaking; added fields are additive.

    \b
    Exit codes: 0 no breaking drift, 1 breaking drift (or additive with --strict), 2 bad input.
    \b
    A drift run against the live API (re-send the recorded requests, compare): groq-vcr drift tests/cassettes
    """
    try:
        drift = drift_between(old, new, strict=strict)
    except GroqVcrError as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo(
            "hint: groq-vcr check PATH lists every problem of a cassette; fix it, or compare other paths", err=True
        )
        sys.exit(EXIT_USAGE)
    if output_format == "json":
        click.echo(drift.to_json())
    elif output_format == "markdown":
        click.echo(drift.to_markdown())
    else:
        click.echo(_styled_text(drift))
    sys.exit(EXIT_OK if drift.ok else EXIT_FINDINGS)
