"""``groq-vcr fmt``: rewrite cassettes in go-vcr's canonical layout, like a code formatter."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from groq_vcr.cassette import (
    Cassette,
    dump_cassette,
    file_stamp,
    find_cassette_files,
    parse_cassette,
    read_text,
    update_cassette,
)
from groq_vcr.cassette._layout import EXPECTED_LAYOUT, comment_lines, layout_differences, line_list
from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from groq_vcr.errors import CassetteFormatError
from groq_vcr.redaction import Redactor


def _as_on_disk(loaded: Cassette, current: Cassette | None) -> Cassette:
    """What to write: the cassette as it is on disk when the lock is taken (so nothing written since is lost)."""
    return current if current is not None else loaded


@click.command("fmt")
@click.option(
    "--check", is_flag=True, help="Change nothing; list the files that would be rewritten and why (exit 1 if any)."
)
@click.option(
    "--drop-comments",
    is_flag=True,
    help="Reformat files that hold YAML comments too (go-vcr's layout has no place for them, so they are lost).",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def fmt_command(check: bool, drop_comments: bool, paths: tuple[Path, ...]) -> None:
    """Rewrite cassettes (files, or folders searched for *.yaml/*.yml) exactly as go-vcr >= 4.0.2 writes them.

    A file holding YAML comments is left as it is unless --drop-comments is given.

    \b
    Exit codes: 0 nothing to do or all rewritten, 1 with --check when a file would change (or when a file
    with comments was left alone), 2 when a path is missing or a cassette cannot be read (it is left untouched).

    \b
    Examples:
      groq-vcr fmt cassettes/
      groq-vcr fmt --check cassettes/      # in CI
    """
    try:
        files = find_cassette_files(paths)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    changed: list[Path] = []
    kept: list[Path] = []
    broken = 0
    mask = Redactor().redact_text
    for path in files:
        try:
            stamp = file_stamp(path)
            text = read_text(path)
            cassette = parse_cassette(text, path)
            canonical = dump_cassette(cassette)
        except CassetteFormatError as exc:
            click.echo(f"error: {exc}", err=True)
            broken += 1
            continue
        if canonical == text:
            continue
        changed.append(path)
        comments = comment_lines(text)
        if check:
            click.echo(f"would reformat {path}:")
            for difference in layout_differences(text, canonical, mask):
                click.echo(f"  - {difference}")
        elif comments and not drop_comments:
            kept.append(path)
            click.echo(
                f"error: {path}: has YAML comments ({line_list(comments)}), which go-vcr's layout cannot hold; "
                "the file was left as it is",
                err=True,
            )
            click.echo("hint: run again with --drop-comments to reformat it and lose the comments", err=True)
            continue
        else:
            try:
                # Through the locked save path, so a concurrent recording into this cassette is not lost.
                update_cassette(path, functools.partial(_as_on_disk, cassette), known=(stamp, cassette))
            except (OSError, CassetteFormatError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                click.echo(f"error: {path}: cannot write the file: {reason}", err=True)
                broken += 1
                continue
            click.echo(f"reformatted {path}")
    verb = "would be reformatted" if check else "reformatted"
    summary = f"{len(changed) - len(kept)} of {len(files)} cassette(s) {verb}"
    if check and changed:
        summary += f" (expected layout: {EXPECTED_LAYOUT})"
    if kept:
        summary += f"; {len(kept)} left as they are because of their comments"
    if broken:
        summary += f"; {broken} could not be read (fix them, then run again)"
    click.echo(summary, err=True)
    if broken:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if (check and changed) or kept else EXIT_OK)
