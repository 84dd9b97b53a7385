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
from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from groq_vcr.errors import CassetteFormatError


def _as_on_disk(loaded: Cassette, current: Cassette | None) -> Cassette:
    """What to write: the cassette as it is on disk when the lock is taken (so nothing written since is lost)."""
    return current if current is not None else loaded


@click.command("fmt")
@click.option("--check", is_flag=True, help="Change nothing; list the files that would be rewritten (exit 1 if any).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def fmt_command(check: bool, paths: tuple[Path, ...]) -> None:
    """Rewrite cassettes (files, or folders searched for *.yaml/*.yml) exactly as go-vcr writes them.

    \b
    Exit codes: 0 nothing to do or all rewritten, 1 with --check when a file would change,
    2 when a path is missing or a cassette cannot be read (it is left untouched).

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
    broken = 0
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
        if check:
            click.echo(f"would reformat {path}")
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
    summary = f"{len(changed)} of {len(files)} cassette(s) {verb}"
    if broken:
        summary += f"; {broken} could not be read (fix them, then run again)"
    click.echo(summary, err=True)
    if broken:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if check and changed else EXIT_OK)
