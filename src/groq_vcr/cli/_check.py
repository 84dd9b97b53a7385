"""``groq-vcr check``: validate cassettes and report every problem as ``file:line:column: message``.

The command is a list of per-file checks: :func:`format_findings` (the go-vcr v2 format) always runs, and
options add more :data:`FileCheck` functions that receive the loaded cassette (``--max-age``, ``--unused``...).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import click

from groq_vcr._settings import parse_max_age
from groq_vcr.cassette import (
    Cassette,
    cassette_age,
    find_cassette_files,
    parse_cassette,
    read_text,
    validate_cassette_text,
)
from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK
from groq_vcr.cli._cassette_folders import looked_up_folders, no_cassette_found
from groq_vcr.engine import DEFAULT_LAST_RUN, LEGACY_LAST_RUN, LastRun, read_last_run
from groq_vcr.errors import CassetteFormatError, GroqVcrError


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
    cassette = parse_cassette(text, path)
    for extra in checks:
        findings.extend(extra(path, text, cassette))
    return findings


def max_age_check(max_age: timedelta, notes: list[Finding], *, now: datetime | None = None) -> FileCheck:
    """``--max-age``: a cassette recorded longer ago than ``max_age`` is stale.

    The recording time is the newest ``Date`` response header; a cassette with none is added to ``notes``
    (age unknown) rather than reported as a problem.
    """

    def check(path: Path, text: str, cassette: Cassette) -> list[Finding]:
        age = cassette_age(cassette, max_age, now=now)
        if not age.known:
            notes.append(Finding(path, f"note: {age.describe()}; --max-age cannot judge it"))
            return []
        return [Finding(path, f"stale: {age.describe()}")] if age.expired else []

    return check


def unused_check(last_run: LastRun, notes: list[Finding]) -> FileCheck:
    """``--unused``: cassettes the last pytest run never opened, and interactions no test played in it."""
    from groq_vcr.schema import interaction_label  # deepdiff: loaded only when this check runs

    when = f"the last run ({last_run.finished})" if last_run.finished else "the last run"

    def check(path: Path, text: str, cassette: Cassette) -> list[Finding]:
        use = last_run.use_of(path)
        if use is None:
            return [Finding(path, f"unused: no test opened this cassette in {when}")]
        if not use.unused:
            return []
        if use.interactions != len(cassette.interactions):
            notes.append(
                Finding(
                    path,
                    f"note: it held {use.interactions} interaction(s) in {when}, now "
                    f"{len(cassette.interactions)}; run the tests again for exact indices",
                )
            )
        return [
            Finding(path, f"unused: {interaction_label(cassette.interactions[index])} never played in {when}")
            if index < len(cassette.interactions)
            else Finding(path, f"unused: interaction #{index} never played in {when}")
            for index in use.unused
        ]

    return check


def find_last_run(start: Path | None = None) -> Path:
    """The nearest last-run record in ``start`` (default: the working directory) or a parent: pytest's cache
    folder (``.pytest_cache/d/groq-vcr/last-run.json``) first, then ``.groq-vcr/last-run.json`` (older versions)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for candidate in (folder / DEFAULT_LAST_RUN, folder / LEGACY_LAST_RUN):
            if candidate.is_file():
                return candidate
    return here / DEFAULT_LAST_RUN


def run_checks(paths: Iterable[Path], checks: Sequence[FileCheck] = ()) -> tuple[int, list[Finding]]:
    """(number of files checked, findings) for the cassettes under ``paths``."""
    files = find_cassette_files(paths)
    findings: list[Finding] = []
    for path in files:
        findings.extend(check_file(path, checks))
    return len(files), findings


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--max-age",
    "max_age_text",
    metavar="AGE",
    help="Also report cassettes recorded longer ago than AGE (30d, 2w, 12h), judged by their newest Date header.",
)
@click.option(
    "--unused",
    is_flag=True,
    help="Also report cassettes the last pytest run never opened and interactions no test played in it.",
)
@click.option(
    "--last-run",
    "last_run_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"The record --unused reads (default: the nearest {DEFAULT_LAST_RUN}, which the pytest plugin writes "
    "in pytest's cache folder).",
)
def check_command(paths: tuple[Path, ...], max_age_text: str | None, unused: bool, last_run_path: Path | None) -> None:
    """Validate cassettes (files, or folders searched for *.yaml/*.yml) against the go-vcr v2 format.

    Every problem is listed as file:line:column: message. --max-age adds stale cassettes, --unused
    cassettes and interactions the last test run did not use (run the whole suite first).

    With no path, the folders the pytest plugin writes into are checked: every cassettes/ folder under
    pytest's testpaths (or the folders listed as cassettes = [...] under [tool.groq-vcr] in pyproject.toml).
    Finding no cassette at all is an error (exit 2), so a CI step cannot pass by checking nothing.

    \b
    Exit codes: 0 all valid, 1 problems found, 2 a path does not exist, holds no cassette, or an option is
    wrong.

    \b
    Examples:
      groq-vcr check                        # the cassettes the pytest plugin wrote
      groq-vcr check cassettes/
      groq-vcr check --max-age 30d cassettes/
      pytest && groq-vcr check --unused cassettes/
    """
    checks: list[FileCheck] = []
    notes: list[Finding] = []
    try:
        if max_age_text is not None:
            max_age = parse_max_age(max_age_text, where="--max-age")
            if max_age is None:
                raise click.BadParameter("give an age such as 30d", param_hint="--max-age")
            checks.append(max_age_check(max_age, notes))
        if unused:
            checks.append(unused_check(read_last_run(last_run_path or find_last_run()), notes))
    except GroqVcrError as exc:
        raise click.UsageError(str(exc)) from None
    paths = paths or looked_up_folders("check")
    try:
        count, findings = run_checks(paths, checks)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    if not count:
        no_cassette_found("check", paths)
    for finding in findings:
        click.echo(finding.render())
    for note in notes:
        click.echo(note.render())
    bad_files = len({f.path for f in findings})
    if findings:
        click.echo(f"{len(findings)} problem(s) in {bad_files} of {count} cassette(s)", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"{count} cassette(s) OK", err=True)
    sys.exit(EXIT_OK)
