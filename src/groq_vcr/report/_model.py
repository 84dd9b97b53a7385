"""The run report: what one pytest run (one machine, every xdist worker) did with its cassettes, as JSON.

Format version 2 (``docs/sharding.md`` describes every field)::

    {
      "format": "groq-vcr run report",
      "version": 2,
      "finished": "2026-01-02T03:04:05+00:00",
      "rootdir": "/home/runner/work/app/app",
      "runs": [{"finished": "2026-01-02T03:04:05+00:00", "shard": "2/3", "sharding": "pytest-split",
                "workers": 2, "sharded": true}],
      "cassettes": [{"path": "tests/cassettes/test_chat/test_hello.yaml", "interactions": 3, "opened": 1,
                     "replayed": 2, "recorded": 0, "unused": [2], "saved": false, "expired": null}],
      "drift": [{"cassette": "...", "index": 0, "label": "#0 POST /openai/v1/chat/completions", "ok": false,
                 "summary": "1 breaking, 0 additive, 0 info", "text": "...", "test": "tests/test_chat.py::test_hello"}],
      "misses": [{"cassette": "...", "request": "POST https://api.groq.com/openai/v1/chat/completions",
                  "message": "No recorded interaction matches ...", "test": "tests/test_chat.py::test_hello"}]
    }

Cassette paths are relative to the pytest rootdir (``/``-separated), so shards on different machines name a
cassette alike; a cassette outside the rootdir keeps its absolute path. Version 1 (absolute paths, no drift, no
misses, ``finished`` at the top) is still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groq_vcr.errors import GroqVcrError

if TYPE_CHECKING:
    from groq_vcr.engine._stats import SessionStats

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "CassetteUse",
    "DriftFinding",
    "Miss",
    "RunInfo",
    "RunReport",
    "read_report",
    "relative_path",
    "report_from_stats",
]

FORMAT_NAME = "groq-vcr run report"
FORMAT_VERSION = 2
_READABLE = (1, 2)


@dataclass
class CassetteUse:
    """What a run did with one cassette, over every test that opened it."""

    path: str
    """Relative to the rootdir (``/``-separated), or absolute when the cassette is outside it."""
    interactions: int = 0
    """How many interactions it held when opened."""
    opened: int = 0
    """How many times a test opened it."""
    replayed: int = 0
    recorded: int = 0
    unused: list[int] = field(default_factory=list)
    """Interactions no test played (none when the run saved the cassette: it holds what the run recorded)."""
    saved: bool = False
    expired: str | None = None
    """Why the cassette counted as expired, when it did."""


@dataclass(frozen=True)
class DriftFinding:
    """Verify mode: one live response compared with its recording."""

    cassette: str
    label: str
    """``#0 POST /openai/v1/chat/completions``."""
    ok: bool
    """False when the drift fails (breaking; additive too under ``groq_schema_strict``)."""
    summary: str
    text: str
    index: int | None = None
    test: str = ""


@dataclass(frozen=True)
class Miss:
    """A request no recorded interaction answered."""

    cassette: str
    request: str
    """``METHOD URL`` (redacted)."""
    message: str
    """The explanation the test failed with (closest interaction, the fix)."""
    test: str = ""


@dataclass(frozen=True)
class RunInfo:
    """One pytest run merged into a report."""

    finished: str
    """When it ended (ISO 8601, UTC)."""
    shard: str | None = None
    """``group/splits`` of a sharded run (``2/3``)."""
    sharding: str | None = None
    """The plugin that split the suite (``pytest-split``, ``pytest-shard``), or ``--groq-vcr-sharded``."""
    workers: int = 0
    """pytest-xdist workers (0: none)."""
    sharded: bool = False
    """Whether unused interactions were left to ``groq-vcr report merge``."""


@dataclass
class RunReport:
    """A run report, or several merged (``groq-vcr report merge``)."""

    cassettes: dict[str, CassetteUse] = field(default_factory=dict)
    """By path (see :class:`CassetteUse`)."""
    drift: list[DriftFinding] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    runs: list[RunInfo] = field(default_factory=list)
    rootdir: str | None = None
    """The rootdir the paths are relative to (None: runs from different folders were merged)."""
    source: Path | None = None
    """The file it was read from."""

    @property
    def finished(self) -> str:
        """When the last of its runs ended."""
        return max((run.finished for run in self.runs), default="")

    @property
    def sharded(self) -> bool:
        """Whether any of its runs was one shard of a suite."""
        return any(run.sharded for run in self.runs)

    @property
    def unused(self) -> list[tuple[str, int]]:
        """``(cassette, index)`` of every interaction no test played, sorted."""
        return [(path, index) for path in sorted(self.cassettes) for index in self.cassettes[path].unused]

    @property
    def drifted(self) -> list[DriftFinding]:
        """The drift findings that fail."""
        return [finding for finding in self.drift if not finding.ok]

    def base(self) -> Path:
        """The folder relative paths are resolved against: the rootdir when it exists here, else the working
        directory (a report made on another machine, read from the same checkout)."""
        if self.rootdir and Path(self.rootdir).is_dir():
            return Path(self.rootdir)
        return Path.cwd()

    def use_of(self, path: str | Path) -> CassetteUse | None:
        """What the run did with the cassette at ``path`` (None: the run never opened it)."""
        wanted = Path(path).resolve()
        base = self.base()
        for key, use in self.cassettes.items():
            if (base / key).resolve() == wanted:  # an absolute key stays absolute
                return use
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (format version 2)."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "finished": self.finished,
            "rootdir": self.rootdir,
            "runs": [asdict(run) for run in self.runs],
            "cassettes": [asdict(self.cassettes[key]) for key in sorted(self.cassettes)],
            "drift": [asdict(finding) for finding in self.drift],
            "misses": [asdict(miss) for miss in self.misses],
        }

    def to_json(self) -> str:
        """The JSON document as text (indented, with a final newline)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, document: Any, *, source: Path | None = None) -> RunReport:
        """Read a version 1 or 2 document; a :class:`GroqVcrError` naming the file when it is neither."""
        where = str(source) if source is not None else "the report"
        if not isinstance(document, dict) or document.get("version") not in _READABLE:
            raise GroqVcrError(
                f"{where} is not a groq-vcr run report (format version {FORMAT_VERSION}); run the test suite again."
            )
        try:
            return cls._parse(document, source)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GroqVcrError(
                f"{where} is a damaged groq-vcr run report ({exc!r}); run the test suite again."
            ) from None

    @classmethod
    def _parse(cls, document: dict[str, Any], source: Path | None) -> RunReport:
        cassettes: dict[str, CassetteUse] = {}
        for entry in document.get("cassettes", []):
            use = CassetteUse(
                path=str(entry["path"]),
                interactions=int(entry.get("interactions", 0)),
                opened=int(entry.get("opened", 0)),
                replayed=int(entry.get("replayed", 0)),
                recorded=int(entry.get("recorded", 0)),
                unused=sorted(int(i) for i in entry.get("unused", [])),
                saved=bool(entry.get("saved", False)),
                expired=entry.get("expired"),
            )
            cassettes[use.path] = use
        if document["version"] == 1:
            runs = [RunInfo(finished=str(document.get("finished", "")))]
            return cls(cassettes=cassettes, runs=runs, source=source)
        return cls(
            cassettes=cassettes,
            drift=[DriftFinding(**entry) for entry in document.get("drift", [])],
            misses=[Miss(**entry) for entry in document.get("misses", [])],
            runs=[RunInfo(**entry) for entry in document.get("runs", [])],
            rootdir=document.get("rootdir"),
            source=source,
        )


def read_report(path: str | Path) -> RunReport:
    """Read a run report file; a :class:`GroqVcrError` saying what to do when it can't be."""
    source = Path(path)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GroqVcrError(f"{source} does not exist") from None
    except (OSError, ValueError) as exc:
        raise GroqVcrError(f"cannot read the run report {source}: {exc}; run the test suite again") from None
    return RunReport.from_dict(document, source=source)


def relative_path(path: str | Path, rootdir: Path | None) -> str:
    """``path`` relative to ``rootdir``, ``/``-separated; absolute when it is outside (or no rootdir)."""
    resolved = Path(path).resolve()
    if rootdir is not None:
        try:
            return resolved.relative_to(rootdir.resolve()).as_posix()
        except ValueError:
            pass
    return str(resolved)


def report_from_stats(stats: Iterable[SessionStats], *, rootdir: Path | None, run: RunInfo) -> RunReport:
    """The report of one run whose cassette sessions produced ``stats``.

    An interaction is unused only when no session played it; a cassette saved by any session counts as fully
    used. A drift finding or a miss reported twice for the same cassette and test is kept once.
    """
    cassettes: dict[str, CassetteUse] = {}
    unused: dict[str, set[int]] = {}
    drift: dict[tuple[Any, ...], DriftFinding] = {}
    misses: dict[tuple[str, ...], Miss] = {}
    for stat in stats:
        path = relative_path(stat.path, rootdir)
        use = cassettes.setdefault(path, CassetteUse(path))
        use.opened += 1
        use.interactions = max(use.interactions, stat.loaded)
        use.replayed += stat.replayed
        use.recorded += stat.recorded
        use.saved = use.saved or stat.saved
        use.expired = use.expired or stat.expired
        unused[path] = set(stat.unused) if path not in unused else unused[path] & set(stat.unused)
        for result in stat.verified:
            finding = DriftFinding(
                cassette=path,
                label=str(result["label"]),
                ok=bool(result["ok"]),
                summary=str(result["summary"]),
                text=str(result["text"]),
                index=result.get("index"),
                test=stat.test,
            )
            drift.setdefault(drift_key(finding), finding)
        for miss in stat.misses:
            message = miss["message"].replace(stat.path, path)  # the same text on every machine
            found = Miss(cassette=path, request=miss["request"], message=message, test=stat.test)
            misses.setdefault(miss_key(found), found)
    for path, use in cassettes.items():
        use.unused = [] if use.saved else sorted(unused[path])
    return RunReport(
        cassettes=cassettes,
        drift=sorted_drift(drift.values()),
        misses=sorted_misses(misses.values()),
        runs=[run],
        rootdir=str(rootdir.resolve()) if rootdir is not None else None,
    )


def drift_key(finding: DriftFinding) -> tuple[Any, ...]:
    """What makes two drift findings the same one (the test that found it does not)."""
    return (finding.cassette, finding.index, finding.label, finding.ok, finding.summary, finding.text)


def miss_key(miss: Miss) -> tuple[str, ...]:
    """What makes two misses the same one."""
    return (miss.test, miss.cassette, miss.request)


def sorted_drift(findings: Iterable[DriftFinding]) -> list[DriftFinding]:
    """Drift findings in report order: by cassette, then interaction."""
    return sorted(findings, key=lambda f: (f.cassette, -1 if f.index is None else f.index, f.label, f.summary))


def sorted_misses(misses: Iterable[Miss]) -> list[Miss]:
    """Misses in report order: by test, then cassette."""
    return sorted(misses, key=lambda m: (m.test, m.cassette, m.request))
