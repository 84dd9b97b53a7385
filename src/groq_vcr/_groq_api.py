"""What every layer knows about Groq's API: the shape of a key, the error body, where the API lives.

One definition each, so the redactor, the matcher, the local server, the replay server and the fault
builders agree on what a key looks like and how an error reads.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

__all__ = [
    "API_PREFIX",
    "BASE_URL",
    "GROQ_KEY_PLACEHOLDER",
    "GROQ_KEY_RE",
    "KEY_ALPHABET",
    "KEY_BODY_LENGTH",
    "KEY_PREFIX",
    "error_body",
    "error_json",
    "is_groq_key",
]

BASE_URL = "https://api.groq.com"
"""Where the ``groq`` SDK sends requests (with :data:`API_PREFIX` paths)."""

API_PREFIX = "/openai/v1"
"""The path prefix of Groq's OpenAI-compatible API."""

KEY_PREFIX = "gsk_"
KEY_BODY_LENGTH = 52
KEY_ALPHABET = string.ascii_letters + string.digits
"""A Groq key is ``gsk_`` followed by 52 of these."""

GROQ_KEY_RE = re.compile(rf"gsk(?:_|%5[Ff])[A-Za-z0-9]{{{KEY_BODY_LENGTH},}}")
"""A Groq key anywhere in text: also URL-encoded (``gsk%5F...``) and when glued to more letters/digits (the
whole run is then the secret). ``GROQ_KEY_RE.fullmatch(text)`` tells whether ``text`` is a key."""

GROQ_KEY_PLACEHOLDER = "gsk_REDACTED"
"""What a Groq key becomes on disk: recognisable, but not key-shaped (scanners want ``gsk_`` + 52 characters)."""


def is_groq_key(text: str) -> bool:
    """Whether ``text`` is exactly a key of Groq's shape: ``gsk_`` and 52 letters or digits."""
    return (
        len(text) == len(KEY_PREFIX) + KEY_BODY_LENGTH
        and text.startswith(KEY_PREFIX)
        and bool(GROQ_KEY_RE.fullmatch(text))
    )


def error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    """Groq's error body: ``{"error": {"message", "type", "code"}}``."""
    return {"error": {"message": message, "type": type_, "code": code}}


def error_json(message: str, type_: str, code: str | None) -> bytes:
    """:func:`error_body` as the compact JSON bytes Groq sends."""
    return json.dumps(error_body(message, type_, code), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
