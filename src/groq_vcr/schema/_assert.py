"""Schema assertions for tests: fail with a path-addressed drift report when a response changed shape.

* :func:`assert_schema_matches` compares any response (httpx, SDK object, JSON, raw body, interaction) with a
  recorded one and raises :class:`SchemaDriftError` carrying the report.
* the ``groq_schema`` fixture compares a response with the matching interaction of the test's own cassette
  (``cassettes/<module>/<test>.yaml``, or wherever the ``vcr_cassette_dir`` / ``default_cassette_name``
  fixtures put it).
* :func:`pytest_assertrepr_compare` renders ``assert schema_a == schema_b`` failures as the same report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from groq_vcr.cassette import Cassette, Interaction, Masker, Request, mask_secrets
from groq_vcr.errors import GroqVcrError, SchemaDriftError
from groq_vcr.schema._compare import SchemaReport, compare
from groq_vcr.schema._drift import interaction_label, pairing_key
from groq_vcr.schema._infer import schema_of

__all__ = ["SchemaChecker", "assert_schema_matches"]


def assert_schema_matches(actual: Any, recorded: Any, *, strict: bool = False) -> SchemaReport:
    """Assert that ``actual`` has the schema of ``recorded``; returns the report (which may hold info).

    Both sides accept whatever :func:`groq_vcr.schema.schema_of` accepts. Raises :class:`SchemaDriftError` on
    breaking changes, or on additive ones too when ``strict``.
    """
    __tracebackhide__ = True
    report = compare(schema_of(recorded), schema_of(actual), strict=strict)
    if not report.ok:
        raise SchemaDriftError(report)
    return report


def _request_of(response: Any) -> Request | None:
    """The cassette-model request behind an httpx/httpx2 response, when there is one."""
    module = type(response).__module__.split(".")[0]
    if module not in {"httpx", "httpx2"}:
        return None
    try:
        sent = response.request
    except RuntimeError:  # a Response built by hand has no request
        return None
    try:
        body = sent.content
    except Exception:  # a streamed request body that was not read
        body = b""
    headers = {name: [value] for name, value in sent.headers.items()}
    return Request(method=sent.method, url=str(sent.url), body=body, headers=headers)


class SchemaChecker:
    """What the ``groq_schema`` fixture gives a test: compare responses with the test's recorded cassette."""

    def __init__(self, cassette_path: Path, *, strict: bool = False, mask: Masker = mask_secrets) -> None:
        self.cassette_path = cassette_path
        self.strict = strict
        """Default strictness of :meth:`check` (additive changes fail when True)."""
        self._mask = mask
        self._cassette: Cassette | None = None
        self._checked: set[int] = set()
        self._deferred: list[tuple[Any, int | Interaction | None, bool | None]] = []
        self._paired: list[tuple[Any, int]] = []
        """Each response already checked and the interaction it was paired with: checking it again (say, once
        more with ``strict=True``) compares it with the same one, in replay as while recording."""

    def _load(self) -> Cassette | None:
        if self._cassette is None and self.cassette_path.exists():
            from groq_vcr.cassette import load_any

            self._cassette = load_any(self.cassette_path)
        return self._cassette

    def _pick(self, cassette: Cassette, response: Any, interaction: int | Interaction | None) -> Interaction:
        interactions: Sequence[Interaction] = cassette.interactions
        if isinstance(interaction, Interaction):
            return interaction
        if interaction is None:
            again = next((index for checked, index in self._paired if checked is response), None)
            if again is not None and again < len(interactions):
                return interactions[again]
        if isinstance(interaction, int):
            if not 0 <= interaction < len(interactions):
                raise GroqVcrError(
                    f"{self.cassette_path} has {len(interactions)} interaction(s); there is no interaction "
                    f"{interaction}. Pass interaction= an index from 0 to {len(interactions) - 1}."
                )
            return interactions[interaction]
        request = _request_of(response)
        if request is not None:
            key = pairing_key(request, self._mask)
            matches = [i for i, recorded in enumerate(interactions) if pairing_key(recorded.request, self._mask) == key]
            if matches:
                position = next((i for i in matches if i not in self._checked), matches[0])
                return interactions[position]
        # No request to match on (an SDK object, JSON): the n-th check is the n-th unchecked interaction.
        unchecked = next((i for i in range(len(interactions)) if i not in self._checked), None)
        if unchecked is None:
            listing = ", ".join(interaction_label(i) for i in interactions) or "none"
            raise GroqVcrError(
                f"Every interaction of {self.cassette_path} was already checked (recorded: {listing}). "
                "Pass interaction=<index> to check() to compare with a specific one."
            )
        return interactions[unchecked]

    def check(
        self, response: Any, interaction: int | Interaction | None = None, strict: bool | None = None
    ) -> SchemaReport:
        """Compare ``response`` with the schema of the matching recorded interaction; raise on drift.

        The interaction is ``interaction`` (an index or an :class:`Interaction`) when given; else the one this
        same response was compared with before (a response can be checked twice, e.g. once more strictly);
        else, for an httpx response, the recorded interaction with the same request; else the next interaction
        not checked yet.
        Before the cassette exists (the recording run itself) there is nothing to compare yet and it passes;
        :meth:`check_deferred` makes those checks once the recording is saved.
        Raises :class:`SchemaDriftError` when the report fails under ``strict`` (default: :attr:`strict`).
        """
        __tracebackhide__ = True
        cassette = self._load()
        if cassette is None:  # recording: paired with the recording once it is saved (check_deferred)
            self._deferred.append((response, interaction, strict))
            return SchemaReport(strict=self.strict if strict is None else strict)
        chosen = self._pick(cassette, response, interaction)
        index = next((i for i, item in enumerate(cassette.interactions) if item is chosen), None)
        if index is not None:
            self._checked.add(index)
            if interaction is None and not any(checked is response for checked, _ in self._paired):
                self._paired.append((response, index))
        report = compare(schema_of(chosen), schema_of(response), strict=self.strict if strict is None else strict)
        if not report.ok:
            where = f"{self.cassette_path} {interaction_label(chosen)}"
            raise SchemaDriftError(report, where=where)
        return report

    def check_deferred(self) -> list[str]:
        """Make the checks that came before the cassette existed, now that the recording is saved: what fails
        here would fail on replay (more responses checked than were recorded, a wrong ``interaction=``).
        Returns the problems (none when the cassette was not saved, or nothing was deferred)."""
        deferred, self._deferred = self._deferred, []
        if not deferred or not self.cassette_path.exists():
            return []
        problems = []
        for response, interaction, strict in deferred:
            try:
                self.check(response, interaction, strict)
            except GroqVcrError as exc:
                problems.append(str(exc))
        return problems
