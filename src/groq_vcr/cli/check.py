"""``groq-vcr check``: validate cassettes and report every problem as ``file:line:column: message``.

The command is a list of per-file checks: :func:`format_findings` (the go-vcr v2 format) always runs, and
options add more :data:`FileCheck` functions that receive the loaded cassette (``--max-age``, ``--unused``...).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from groq_vcr.cassette import Cassette
from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK
from groq_vcr.errors import CassetteFormatError
from groq_vcr.storage import find_cassette_files, loads, read_text
from groq_vcr.yaml_v3 import validate_cassette_text


@dataclass(frozen=True)
class Finding:
    """One problem in one cassette file."""

    path: Path
    message: str
    line: int | None = None
    column: int | None = None

    def render(self) -> str:
        """``file:line:column: message`` (as far as the position is known)."""
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


FileCheck = Callable[[Path, str, Cassette], Iterable[Finding]]
"""A check run on a cassette that loaded: (path, its text, the cassette) -> findings."""


def format_findings(path: Path, text: str) -> list[Finding]:
    """Every go-vcr v2 format problem in ``text`` (the file at ``path``)."""
    return [Finding(path, e.problem, e.line, e.column) for e in validate_cassette_text(text)]


def check_file(path: Path, checks: Sequence[FileCheck] = ()) -> list[Finding]:
    """All findings for one file: format problems first; the extra ``checks`` run only on a valid cassette."""
    try:
        text = read_text(path)
    except CassetteFormatError as exc:
        return [Finding(path, exc.problem)]
    findings = format_findings(path, text)
    if findings or not checks:
        return findings
    cassette = loads(text, path)
    for extra in checks:
        findings.extend(extra(path, text, cassette))
    return findings


def run_checks(paths: Iterable[Path], checks: Sequence[FileCheck] = ()) -> tuple[int, list[Finding]]:
    """(number of files checked, findings) for the cassettes under ``paths``."""
    files = find_cassette_files(paths)
    findings: list[Finding] = []
    for path in files:
        findings.extend(check_file(path, checks))
    return len(files), findings


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate cassettes (files, or folders searched for *.yaml/*.yml) against the go-vcr v2 format.

    Every problem is listed as file:line:column: message.

    \b
    Exit codes: 0 all valid, 1 problems found, 2 a path does not exist.

    \b
    Example:
      groq-vcr check cassettes/
    """
    try:
        count, findings = run_checks(paths)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    for finding in findings:
        click.echo(finding.render())
    bad_files = len({f.path for f in findings})
    if findings:
        click.echo(f"{len(findings)} problem(s) in {bad_files} of {count} cassette(s)", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"{count} cassette(s) OK", err=True)
    sys.exit(EXIT_OK)
