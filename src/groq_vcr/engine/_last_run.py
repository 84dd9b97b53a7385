"""The end-of-run record: which cassettes a pytest run opened and which of their interactions it played.

The pytest plugin writes it at the end of every run that used a cassette, into pytest's cache folder
(``.pytest_cache/d/groq-vcr/last-run.json``; under pytest-xdist the controller writes it from every worker's
data), or where ``--groq-vcr-last-run`` / ``groq_vcr_last_run`` says. ``groq-vcr check --unused`` reads it to
list dead cassettes and interactions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groq_vcr.cassette import write_atomic
from groq_vcr.errors import GroqVcrError

if TYPE_CHECKING:
    from groq_vcr.engine._stats import SessionStats

__all__ = [
    "DEFAULT_LAST_RUN",
    "LAST_RUN_CACHE_FOLDER",
    "LAST_RUN_NAME",
    "LEGACY_LAST_RUN",
    "CassetteUse",
    "LastRun",
    "read_last_run",
    "summarise",
    "write_last_run",
]

LAST_RUN_CACHE_FOLDER = "groq-vcr"
"""The plugin's folder in pytest's cache (``config.cache.mkdir``)."""
LAST_RUN_NAME = "last-run.json"
DEFAULT_LAST_RUN = Path(".pytest_cache") / "d" / LAST_RUN_CACHE_FOLDER / LAST_RUN_NAME
"""Where the plugin writes the record by default, relative to the pytest rootdir (pytest's default cache_dir)."""
LEGACY_LAST_RUN = Path(".groq-vcr") / LAST_RUN_NAME
"""Where versions before 0.2 wrote it; still read."""
FORMAT_VERSION = 1


@dataclass
class CassetteUse:
    """What one run did with one cassette, over every test that opened it."""

    path: str
    """Absolute path of the cassette."""
    interactions: int = 0
    """How many interactions it held when opened."""
    opened: int = 0
    """How many times a test opened it."""
    unused: list[int] = field(default_factory=list)
    """Interactions no test played (none when the run re-recorded the cassette)."""
    saved: bool = False
    """Whether the run wrote it (then every interaction in it is new and counts as used)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON file."""
        return {
            "path": self.path,
            "interactions": self.interactions,
            "opened": self.opened,
            "unused": self.unused,
            "saved": self.saved,
        }


@dataclass
class LastRun:
    """The record of one pytest run."""

    finished: str
    """When the run ended (ISO 8601, UTC)."""
    cassettes: dict[str, CassetteUse]
    """By absolute path."""
    source: Path | None = None

    def use_of(self, path: str | Path) -> CassetteUse | None:
        """What the run did with the cassette at ``path`` (None: the run never opened it)."""
        return self.cassettes.get(str(Path(path).resolve()))


def summarise(stats: Iterable[SessionStats]) -> dict[str, CassetteUse]:
    """Merge the stats of every session into one :class:`CassetteUse` per cassette.

    An interaction is unused only when no session played it; a cassette saved by any session counts as
    fully used (the file now holds what that run recorded).
    """
    uses: dict[str, CassetteUse] = {}
    unused_sets: dict[str, set[int]] = {}
    for stat in stats:
        path = str(Path(stat.path).resolve())
        use = uses.setdefault(path, CassetteUse(path))
        use.opened += 1
        use.interactions = max(use.interactions, stat.loaded)
        use.saved = use.saved or stat.saved
        unused = set(stat.unused)
        unused_sets[path] = unused if path not in unused_sets else unused_sets[path] & unused
    for path, use in uses.items():
        use.unused = [] if use.saved else sorted(unused_sets[path])
    return uses


def write_last_run(path: str | Path, stats: Iterable[SessionStats]) -> Path:
    """Write the record of a run that produced ``stats`` to ``path`` (atomically); returns the path."""
    target = Path(path)
    uses = summarise(stats)
    document = {
        "version": FORMAT_VERSION,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "cassettes": [uses[key].to_dict() for key in sorted(uses)],
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(document, indent=2) + "\n")
    return target


def read_last_run(path: str | Path) -> LastRun:
    """Read a record written by :func:`write_last_run`; a clear :class:`GroqVcrError` when it can't."""
    source = Path(path)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GroqVcrError(
            f"{source} does not exist: run the test suite first (the groq-vcr pytest plugin writes it into pytest's "
            "cache folder at the end of every run that uses a cassette; with -p no:cacheprovider, give it a path: "
            "--groq-vcr-last-run FILE), or pass --last-run FILE."
        ) from None
    except (OSError, ValueError) as exc:
        raise GroqVcrError(f"Cannot read the last-run record {source}: {exc}. Run the test suite again.") from None
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise GroqVcrError(
            f"{source} is not a groq-vcr last-run record (version {FORMAT_VERSION}); run the test suite again."
        )
    uses: dict[str, CassetteUse] = {}
    for entry in document.get("cassettes", []):
        use = CassetteUse(
            path=str(entry["path"]),
            interactions=int(entry.get("interactions", 0)),
            opened=int(entry.get("opened", 0)),
            unused=[int(i) for i in entry.get("unused", [])],
            saved=bool(entry.get("saved", False)),
        )
        uses[use.path] = use
    return LastRun(finished=str(document.get("finished", "")), cassettes=uses, source=source)
