"""Which redaction applies to a cassette: the project's settings, then the test's own rules.

The same :class:`~groq_vcr.redact.Redactor` redacts what is saved and masks live requests before matching,
so a request carrying a real key matches the recording that holds the placeholder.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from groq_vcr.cassette import Cassette
from groq_vcr.matchers import Masker
from groq_vcr.redact import RedactionRules, Redactor
from groq_vcr.settings import load_settings

OVERRIDES_KEY = "groq_vcr_redact"
"""The ``vcr_config`` / marker key holding per-test redaction rules."""


def project_rules(root: Path) -> RedactionRules:
    """Rules from ``[tool.groq-vcr.redact]`` in ``root``'s pyproject.toml (none when absent)."""
    return load_settings(root).redaction


def redactor_for(root: Path, overrides: Mapping[str, Any] | None = None) -> Redactor:
    """The redactor for a cassette under ``root`` with per-test ``overrides`` (``vcr_config``/marker)."""
    extra = (overrides or {}).get(OVERRIDES_KEY)
    if isinstance(extra, RedactionRules):
        return Redactor(project_rules(root).merged(extra))
    if extra:
        rules = RedactionRules.from_mapping(extra, where=f"vcr_config[{OVERRIDES_KEY!r}]")
        return Redactor(project_rules(root).merged(rules))
    return _project_redactor(root.resolve())


@functools.lru_cache(maxsize=32)
def _project_redactor(root: Path) -> Redactor:
    # Reading pyproject.toml and compiling the rules once per project, not once per test.
    return Redactor(project_rules(root))


def masker(redactor: Redactor) -> Masker:
    """A matching masker that applies ``redactor`` to the URL and body."""

    def mask(url: str, body: bytes, content_type: str) -> tuple[str, bytes]:
        redacted = redactor.redact_body(body, content_type or None)
        return redactor.redact_url(url), redacted if isinstance(redacted, bytes) else redacted.encode("utf-8")

    return mask


def redaction_for(
    root: Path, overrides: Mapping[str, Any] | None = None
) -> tuple[Callable[[Cassette], Cassette], Callable[[str], None], Masker]:
    """(redact, check_text, mask) for a cassette under ``root`` with per-test ``overrides``."""
    redactor = redactor_for(root, overrides)
    return redactor.redact_cassette, redactor.assert_clean, masker(redactor)
