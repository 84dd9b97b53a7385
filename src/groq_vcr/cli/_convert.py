"""``groq-vcr convert``: vcrpy (version 1) cassettes <-> go-vcr version 2 cassettes, one file or whole folders."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from groq_vcr._settings import redactor_for
from groq_vcr.cassette import (
    VCRPY,
    cassette_kind,
    dump_cassette,
    dump_v1,
    find_cassette_files,
    load_any,
    load_cassette,
    load_v1,
    write_atomic,
)
from groq_vcr.cli import EXIT_FINDINGS, EXIT_USAGE
from groq_vcr.errors import CassetteFormatError, SecretFoundError
from groq_vcr.redaction import Redactor

_VERSION_2 = re.compile(rb"^version:\s*2\s*$", re.MULTILINE)


def _is_v2(path: Path) -> bool:
    """Whether ``path`` is already a go-vcr version 2 cassette (go-vcr's format 1 is converted too)."""
    if cassette_kind(path) == VCRPY:
        return False
    with path.open("rb") as f:
        return _VERSION_2.search(f.read(4096)) is not None


def _converted(src: Path, target: str, redactor: Redactor) -> str:
    """The text of ``src`` in the ``target`` format, redacted and scanned (raises what is wrong)."""
    if target == "v2":
        # load_v1 explains why a file is not a vcrpy cassette; go-vcr's format 1 loads as a subset of 2
        cassette = load_v1(src) if cassette_kind(src) == VCRPY or _is_v2(src) else load_any(src)
        text = dump_cassette(redactor.redact_cassette(cassette))
    else:
        text = dump_v1(redactor.redact_cassette(load_cassette(src)))
    redactor.assert_clean(text, src)
    return text


@click.command("convert")
@click.option(
    "--to",
    "target",
    type=click.Choice(["v2", "v1"]),
    required=True,
    help="v2: vcrpy cassette -> go-vcr v2; v1: go-vcr v2 -> vcrpy cassette.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (atomically; may be SRC itself). Default: standard output.",
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Convert every vcrpy cassette in SRC (files or folders, searched recursively) where it is. "
    "Files already in the target format are left as they are.",
)
@click.argument("src", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def convert_command(target: str, output: Path | None, in_place: bool, src: tuple[Path, ...]) -> None:
    """Convert cassettes between vcrpy's own format (version 1) and go-vcr's (version 2).

    vcrpy records no HTTP version or timing: imported interactions get HTTP/1.1 and 0s, header names in
    Go's canonical case. Converting to v1 drops what vcrpy has no place for (proto, duration, lengths).
    What is written is redacted first, and a file that would still hold a secret is not written.

    \b
    Examples:
      groq-vcr convert --to v2 tests/cassettes/test_chat.yaml -o cassettes/test_chat.yaml
      groq-vcr convert --to v1 cassettes/groq_chat_stream.yaml > vcrpy.yaml
      groq-vcr convert --to v2 --in-place tests/cassettes      # migrate a whole folder
    """
    redactor = redactor_for(Path.cwd())
    if in_place:
        if output is not None:
            raise click.UsageError("--in-place writes each file where it is: leave out -o/--output.")
        sys.exit(_convert_in_place(src, target, redactor))
    if len(src) != 1 or src[0].is_dir():
        raise click.UsageError("give one cassette file, or convert folders and several files with --in-place.")
    try:
        text = _converted(src[0], target, redactor)
    except (CassetteFormatError, SecretFoundError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        click.echo(f"error: {output}: cannot write the file: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"wrote {output}", err=True)


def _convert_in_place(paths: tuple[Path, ...], target: str, redactor: Redactor) -> int:
    """Convert each file found under ``paths`` that is not yet in ``target``; the exit code."""
    files = find_cassette_files(paths)
    converted = kept = failed = 0
    for path in files:
        if _is_v2(path) == (target == "v2") or (target == "v1" and cassette_kind(path) == VCRPY):
            kept += 1
            continue
        try:
            write_atomic(path, _converted(path, target, redactor))
        except (CassetteFormatError, SecretFoundError) as exc:
            click.echo(f"error: {exc} (the file was not changed)", err=True)
            failed += 1
            continue
        except OSError as exc:
            click.echo(f"error: {path}: cannot write the file: {exc.strerror or exc}", err=True)
            failed += 1
            continue
        click.echo(f"converted {path}")
        converted += 1
    click.echo(
        f"{converted} converted to {target}, {kept} already {target} (left as they were), {failed} failed"
        f" (of {len(files)} cassette{'s' if len(files) != 1 else ''} found)"
    )
    if not files:
        click.echo(f"error: no cassette (*.yaml, *.yml) under {', '.join(map(str, paths))}", err=True)
        return EXIT_USAGE
    return EXIT_FINDINGS if failed else 0
