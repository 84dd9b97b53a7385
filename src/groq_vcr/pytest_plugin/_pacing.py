"""Recording within this machine's share of the organisation's rate limits (``--groq-vcr-rate-share``).

Every request a test sends live (recording, ``--groq-vcr-verify``, re-recording an expired cassette) first asks
this machine's budget (:class:`groq_vcr.pacing.SharedBudget`), which may wait; each live response tells it the
limits and what is left. The budget is a file in a folder the controller names once per run and hands to its
pytest-xdist workers, so the workers of one machine share it (``GROQ_VCR_RATE_BUDGET_DIR`` names a folder that
outlives the run, for several pytest processes on one machine). The share is ``--groq-vcr-rate-share``, else
``1/N`` in a run sharded into N (see :mod:`groq_vcr.pytest_plugin._sharding`), else the whole limits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from groq_vcr.errors import GroqVcrError
from groq_vcr.pytest_plugin._sharding import shard_of

if TYPE_CHECKING:
    from fractions import Fraction

    from groq_vcr.pacing import SharedBudget

__all__ = ["BUDGET_DIR_ENV", "live_pacing", "rate_share"]

# groq_vcr.pacing's name, spelt out: the plugin imports the pacing layer only when a test uses a cassette.
BUDGET_DIR_ENV = "GROQ_VCR_RATE_BUDGET_DIR"
"""A folder for the budget shared by every pytest process of the machine (kept after the run)."""
_WORKER_KEY = "groq_vcr_budget_dir"

_FOLDER = pytest.StashKey[tuple[str, bool]]()
_BUDGET = pytest.StashKey["SharedBudget | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("groq-vcr", "groq-vcr cassettes")
    group.addoption(
        "--groq-vcr-rate-share",
        default=None,
        metavar="SHARE",
        help="This machine's share of the organisation's rate limits for live requests, e.g. 1/4 when 4 machines "
        "record at once ('off': no pacing). Default: 1/N in a run sharded into N (pytest-split, pytest-shard), "
        "else 1. The run's xdist workers share it.",
    )


def rate_share(config: pytest.Config) -> Fraction | None:
    """This run's share of the rate limits (None: no pacing)."""
    from fractions import Fraction

    from groq_vcr.pacing import parse_share

    text = config.getoption("--groq-vcr-rate-share")
    if text is not None:
        return None if text.strip().lower() == "off" else parse_share(text)
    shard = shard_of(config)
    return Fraction(1, shard.count) if shard is not None and shard.count else Fraction(1)


def _folder(config: pytest.Config) -> tuple[str, bool]:
    """(the budget folder, whether this process removes it when the run ends)."""
    if _FOLDER not in config.stash:
        given = getattr(config, "workerinput", {}).get(_WORKER_KEY) or os.environ.get(BUDGET_DIR_ENV)
        if given:
            config.stash[_FOLDER] = (str(given), False)
        else:  # created on first use only: a run that records nothing leaves nothing behind
            name = f"groq-vcr-budget-{os.getpid()}-{os.urandom(4).hex()}"
            config.stash[_FOLDER] = (str(Path(tempfile.gettempdir()) / name), True)
    return config.stash[_FOLDER]


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--groq-vcr-rate-share") is None:
        return
    try:
        rate_share(config)
    except GroqVcrError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput[_WORKER_KEY] = _folder(node.config)[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder, owned = config.stash.get(_FOLDER, ("", False))
    if owned:
        shutil.rmtree(folder, ignore_errors=True)


def live_pacing(config: pytest.Config) -> SharedBudget | None:
    """The budget live requests of this run draw on (None with ``--groq-vcr-rate-share off``)."""
    if _BUDGET not in config.stash:
        share = rate_share(config)
        budget = None
        if share is not None:
            from groq_vcr.pacing import SharedBudget

            credential = os.environ.get("GROQ_API_KEY", "")
            budget = SharedBudget(_folder(config)[0], share, credential=credential)
        config.stash[_BUDGET] = budget
    return config.stash[_BUDGET]
