"""The redaction layer: what counts as a secret, removing it from a cassette, and the fail-closed scan.

``_rules`` says what a secret is (built-in names, user rules, placeholders), ``_detect`` finds where each one
is, ``_redactor`` replaces them, ``_scan`` reports them with their place in a file. :class:`Redactor` is the
one way in: its methods redact and scan.
"""

from groq_vcr.redaction._redactor import Redactor
from groq_vcr.redaction._rules import RedactionRules
from groq_vcr.redaction._scan import Finding

__all__ = ["Finding", "RedactionRules", "Redactor"]
