"""``groq-vcr convert``: vcrpy (version 1) cassettes <-> go-vcr version 2 cassettes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from groq_vcr.cassette import dump_cassette, dump_v1, load_cassette, load_v1, write_atomic
from groq_vcr.cli import EXIT_USAGE
from groq_vcr.errors import CassetteFormatError


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
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def convert_command(target: str, output: Path | None, src: Path) -> None:
    """Convert SRC between vcrpy's own format (version 1) and go-vcr's (version 2).

    vcrpy records no HTTP version or timing: imported interactions get HTTP/1.1 and 0s, header names in
    Go's canonical case. Converting to v1 drops what vcrpy has no place for (proto, duration, lengths).

    \b
    Examples:
      groq-vcr convert --to v2 tests/cassettes/test_chat.yaml -o cassettes/test_chat.yaml
      groq-vcr convert --to v1 cassettes/groq_chat_stream.yaml > vcrpy.yaml
    """
    try:
        text = dump_cassette(load_v1(src)) if target == "v2" else dump_v1(load_cassette(src))
    except CassetteFormatError as exc:
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
