"""Which redaction applies to a cassette: the project's settings, then the test's own rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from groq_vcr.cassette import Cassette
from groq_vcr.matchers import Masker, mask_secrets


def redaction_for(
    root: Path, overrides: dict[str, Any]
) -> tuple[Callable[[Cassette], Cassette] | None, Callable[[str], None] | None, Masker]:
    """(redact, check_text, mask) for a cassette under ``root`` with per-test ``overrides``."""
    return None, None, mask_secrets
