"""Record and replay outside pytest: ``with groq_vcr.use_cassette("x.yaml"): ...``.

The pytest plugin is the usual way in; this is the same engine for scripts, notebooks and other test
runners. Every httpx/httpx2 request made in the block (the ``groq`` and ``openai`` SDKs included) is
replayed from the cassette or, when the record mode allows it, sent live and recorded; on exit the
cassette is redacted, scanned and saved atomically.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from groq_vcr._settings import OVERRIDES_KEY, parse_choice, redactor_for
from groq_vcr.engine._httpx import activate
from groq_vcr.engine._options import RecordMode, SessionOptions
from groq_vcr.engine._session import CassetteSession
from groq_vcr.faults import Fault, FaultPlan


@contextlib.contextmanager
def use_cassette(
    path: str | Path,
    *,
    record_mode: RecordMode | str = RecordMode.ONCE,
    allow_repeats: bool = False,
    redact: Mapping[str, Any] | None = None,
    project_root: str | Path = ".",
    faults: FaultPlan | Iterable[Fault] | None = None,
    match_headers: Iterable[str] = (),
) -> Iterator[CassetteSession]:
    """Use the go-vcr v2 cassette at ``path`` for every httpx/httpx2 request made in the block.

    ``record_mode`` is one of ``none`` (replay only), ``once`` (record only if the file does not exist yet),
    ``new_episodes`` (replay what matches, record the rest) and ``all`` (always record). ``redact`` holds extra
    redaction rules (``headers``, ``json-fields``, ``query-params``, ``patterns``), added to the project's
    ``[tool.groq-vcr.redact]`` ones found under ``project_root``. ``faults`` (a
    :class:`~groq_vcr.faults.FaultPlan` or a list of faults) alter the answers in the block, replayed or
    recorded. ``match_headers`` names request headers whose values tell otherwise identical requests apart
    (concurrent calls tagged ``X-Call: a`` / ``X-Call: b``). Nothing is saved if the block raises.
    """
    plan = faults if isinstance(faults, FaultPlan) or faults is None else FaultPlan(faults)
    options = SessionOptions(
        record_mode=parse_choice(RecordMode, record_mode, where="use_cassette(record_mode=...)"),
        allow_repeats=allow_repeats,
        redactor=redactor_for(Path(project_root), {OVERRIDES_KEY: dict(redact or {})}),
        faults=plan,
        match_headers=(match_headers,) if isinstance(match_headers, str) else tuple(match_headers),
        # A miss names the fix for use_cassette, not the pytest options it does not take.
        rerecord_hint=f"use_cassette({str(path)!r}, record_mode='new_episodes') records what is missing "
        "('all' records every request again)",
        record_hint=f"use_cassette({str(path)!r}, record_mode='once') records it (the default mode)",
        repeats_hint="use_cassette(..., allow_repeats=True)",
    )
    session = CassetteSession(path, options)
    with activate(session):
        yield session
    session.close()
