"""The options of the commands that send calls to Groq (``record``, ``drift``): retries, waits and timeouts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

_Command = TypeVar("_Command", bound=Callable[..., object])


def call_options(wait_help: str) -> Callable[[_Command], _Command]:
    """``--max-retries``, ``--max-wait`` (described by ``wait_help``) and ``--timeout``, in that order."""
    options = (
        click.option(
            "--max-retries", default=3, show_default=True, type=click.IntRange(0, 50), help="Retries after a 429."
        ),
        click.option(
            "--max-wait", default=120.0, show_default=True, type=click.FloatRange(0), metavar="SECONDS", help=wait_help
        ),
        click.option(
            "--timeout",
            default=600.0,
            show_default=True,
            type=click.FloatRange(0.1),
            metavar="SECONDS",
            help="Timeout of each call.",
        ),
    )

    def apply(command: _Command) -> _Command:
        for option in reversed(options):  # click lists options in the order the decorators are written
            command = option(command)
        return command

    return apply
