"""The redaction layer: what counts as a secret, removing it from a cassette, and the fail-closed scan."""

from groq_vcr.redaction._redact import (
    PLACEHOLDER,
    Finding,
    RedactionRules,
    Redactor,
    is_placeholder,
    mask_secret,
)

__all__ = ["PLACEHOLDER", "Finding", "RedactionRules", "Redactor", "is_placeholder", "mask_secret"]
