"""The ``groq-vcr`` command line.

Each command lives in its own module under :mod:`groq_vcr.cli` and is imported only when it runs, so
``groq-vcr --help`` stays fast. Exit codes: 0 ok, 1 findings (a diff, a secret, a stale cassette),
2 usage or input error.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Mapping
from typing import IO, Any

import click

from groq_vcr import __version__
from groq_vcr._extras import MissingExtraError, require_extra
from groq_vcr.errors import GroqVcrError

# command name -> "module:attribute" (relative to groq_vcr.cli); one line per command.
COMMANDS: dict[str, str] = {
    "demo": "demo._command:demo",
    "diff": "_diff:diff",
    "drift": "drift._command:drift",
    "fake-server": "_fake_server:fake_server",
    "scan": "_scan:scan",
    "redact": "_redact:redact",
    "serve": "_serve:serve",
    "proxy": "_proxy:proxy",
    "record": "record._command:record",
    "show": "_show:show",
    "fmt": "_fmt:fmt_command",
    "check": "_check:check_command",
    "convert": "_convert:convert_command",
    "report": "_report:report_command",
}

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


_ONE_LINE = re.compile(r"[ \t]*\n\s*")


class _UsageError(click.UsageError):
    """A usage error click found (a missing option, an invalid value, an unknown command), shown in the same
    ``error:`` + ``hint:`` format as every other groq-vcr error."""

    def show(self, file: IO[Any] | None = None) -> None:
        # On one line: click lists choices one per line ("Choose from:\n\tv1,\n\tv2").
        click.echo(f"error: {_ONE_LINE.sub(' ', self.format_message())}", err=True)
        if self.ctx is None:
            click.echo("hint: run 'groq-vcr --help' for the commands and their options", err=True)
            return
        usage = " ".join(self.ctx.command.collect_usage_pieces(self.ctx))
        path = self.ctx.command_path
        click.echo(f"hint: usage: {path} {usage}; run '{path} --help' for the details", err=True)


# ``groq-vcr`` alone: click shows the help (a usage error since click 8.2); that stays as it is.
_HELP_ERRORS: tuple[type[Exception], ...] = tuple(
    kind for kind in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if isinstance(kind, type)
)


def _restyled(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, _HELP_ERRORS):
        return exc
    return _UsageError(exc.format_message(), exc.ctx)  # exit code 2, as click's


class _LazyGroup(click.Group):
    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except _UsageError:
            raise
        except click.UsageError as exc:
            raise _restyled(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _UsageError:
            raise
        except click.UsageError as exc:  # the command's own arguments, or an unknown command
            raise _restyled(exc) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(f"groq_vcr.cli.{module_name}")
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="groq-vcr")
def cli() -> None:
    """Record, replay, redact and check go-vcr v2 cassettes of Groq API calls.

    \b
    Example:
      groq-vcr demo                 # the whole loop, offline
      groq-vcr check cassettes/     # validate every cassette
    """


def _missing_extra(exc: MissingExtraError) -> None:
    click.echo(f"error: {exc.problem}", err=True)
    click.echo(f"hint: {exc.hint}", err=True)


def needs_extra(command: str, packages: Mapping[str, tuple[str, ...]]) -> None:
    """Exit 2 with an ``error:`` and a ``hint:`` line naming the extra when ``command`` lacks one of ``packages``."""
    try:
        require_extra(command, packages)
    except MissingExtraError as exc:
        _missing_extra(exc)
        sys.exit(EXIT_USAGE)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI, turning our errors into one clear line and exit code 2."""
    try:
        return cli.main(args=argv, prog_name="groq-vcr", standalone_mode=True)
    except GroqVcrError as exc:  # pragma: no cover - commands handle their own; this is the last guard
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except MissingExtraError as exc:  # pragma: no cover - commands check first (needs_extra); the last guard
        _missing_extra(exc)
        sys.exit(EXIT_USAGE)
