"""Sharded runs: this pytest process runs one part of a suite split across CI machines.

A run is sharded with ``--groq-vcr-sharded``, or when a sharding plugin says so on its own command line:
pytest-split (``--splits N --group G``) or pytest-shard (``--num-shards N --shard-id I``, with N > 1). A
sharded run leaves unused interactions to ``groq-vcr report merge`` (an interaction unused here may be played
by another shard) and, unless ``--groq-vcr-rate-share`` says otherwise, records with 1/N of the rate limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

__all__ = ["Shard", "shard_of"]

_SHARD = pytest.StashKey["Shard | None"]()


@dataclass(frozen=True)
class Shard:
    """Which part of a suite this run is."""

    by: str
    """What said so: ``pytest-split``, ``pytest-shard`` or ``--groq-vcr-sharded``."""
    group: int | None = None
    """1-based."""
    count: int | None = None

    @property
    def label(self) -> str | None:
        """``2/3`` when the part is known."""
        return f"{self.group}/{self.count}" if self.group is not None and self.count is not None else None

    def describe(self) -> str:
        """``pytest-split group 2/3``."""
        return f"{self.by} group {self.label}" if self.label else self.by


def _detect(config: pytest.Config) -> Shard | None:
    option = config.option
    splits, group = getattr(option, "splits", None), getattr(option, "group", None)
    if isinstance(splits, int) and isinstance(group, int) and config.pluginmanager.has_plugin("pytest-split"):
        return Shard("pytest-split", group, splits)
    shards, shard_id = getattr(option, "num_shards", None), getattr(option, "shard_id", None)
    if isinstance(shards, int) and shards > 1 and isinstance(shard_id, int):
        return Shard("pytest-shard", shard_id + 1, shards)
    return None


def shard_of(config: pytest.Config) -> Shard | None:
    """The shard this run is (None: the whole suite runs here)."""
    if _SHARD not in config.stash:
        found = _detect(config)
        if found is None and config.getoption("--groq-vcr-sharded"):
            found = Shard("--groq-vcr-sharded")
        config.stash[_SHARD] = found
    return config.stash[_SHARD]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("groq-vcr", "groq-vcr cassettes")
    group.addoption(
        "--groq-vcr-sharded",
        action="store_true",
        default=False,
        help="This run is one shard of a suite split across machines: unused interactions are left to "
        "'groq-vcr report merge' (automatic with pytest-split's --splits/--group and pytest-shard's --num-shards).",
    )
