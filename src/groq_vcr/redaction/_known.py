"""Known secrets: credential values a client sent, found again wherever they appear and in every encoding.

A value learnt from an ``Authorization``/``api-key`` header, a cookie or a key-like query parameter is a secret
whatever its shape. It is searched raw, fully percent-encoded (either hex case), URL-quoted, as JSON ``\\uXXXX``
escapes, and as base64/base64url at each of the three alignments it can take inside a longer base64 text.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote

from groq_vcr.redaction._rules import is_placeholder

__all__ = ["MIN_SECRET_LENGTH", "KnownSecrets", "encoded_forms"]

MIN_SECRET_LENGTH = 8
"""Shorter values are not learnt: replacing every ``abc`` in every body would mangle cassettes."""

_MAX_KNOWN = 512
"""Secrets kept per redactor (a long session with rotating cookies stays bounded)."""


def _base64_runs(raw: bytes) -> list[str]:
    """The base64 characters fixed by ``raw`` alone, at each of the 3 alignments it can take in a longer text."""
    runs = []
    for lead in range(3):
        encoded = base64.b64encode(b"\0" * lead + raw).decode("ascii")
        first = -(-8 * lead // 6)  # the first character made only of ``raw``'s bits
        last = (8 * (lead + len(raw))) // 6
        run = encoded[first:last]
        if len(run) >= MIN_SECRET_LENGTH:
            runs.append(run)
    return runs


def encoded_forms(secret: str) -> set[str]:
    """``secret`` as it may be written: raw, percent-encoded, JSON-escaped, base64 and base64url."""
    raw = secret.encode("utf-8")
    forms = {secret, quote(secret, safe=""), quote(secret, safe="/:")}
    forms.add("".join(f"%{b:02X}" for b in raw))
    forms.add("".join(f"%{b:02x}" for b in raw))
    forms.add("".join(f"\\u{ord(c):04x}" for c in secret))
    forms.add("".join(f"\\u{ord(c):04X}" for c in secret))
    for run in _base64_runs(raw):
        forms.add(run)
        forms.add(run.replace("+", "-").replace("/", "_"))
    forms.add(base64.b64encode(raw).decode("ascii"))
    forms.add(base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="))
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def basic_credentials(token: str) -> list[str]:
    """The secrets inside a ``Basic`` token: ``user:password`` and the password (when they decode)."""
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return []
    out = [decoded]
    if ":" in decoded:
        out.append(decoded.split(":", 1)[1])
    return out


class KnownSecrets:
    """The secrets learnt so far and every encoded form of each (form -> the secret it encodes)."""

    def __init__(self) -> None:
        self.secrets: dict[str, None] = {}
        self.forms: dict[str, str] = {}
        self.version = 0
        """Bumped whenever a secret is learnt (memos of redacted values go stale then)."""

    def learn(self, value: str) -> bool:
        """Remember ``value`` (stripped) as a secret; whether it is new."""
        value = value.strip().strip('"')
        if len(value) < MIN_SECRET_LENGTH or value in self.secrets or is_placeholder(value):
            return False
        if "REDACTED" in value:
            return False
        if len(self.secrets) >= _MAX_KNOWN:
            self.secrets.clear()
            self.forms.clear()
        self.secrets[value] = None
        for form in encoded_forms(value):
            self.forms.setdefault(form, value)
        self.version += 1
        return True

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Where any form of a known secret is in ``text``: ``(start, end, secret)``, possibly overlapping."""
        if not self.forms:
            return []
        found = []
        lowered: str | None = None
        for form in self.forms:
            if form in text:
                start = text.find(form)
                while start >= 0:
                    found.append((start, start + len(form), self.forms[form]))
                    start = text.find(form, start + 1)
            elif "%" in form and "%" in text:  # percent-encoding of mixed hex case
                lowered = text.lower() if lowered is None else lowered
                if len(lowered) != len(text):
                    continue
                low = form.lower()
                start = lowered.find(low)
                while start >= 0:
                    found.append((start, start + len(low), self.forms[form]))
                    start = lowered.find(low, start + 1)
        return found
