"""How many tokens a response used: ``usage.total_tokens`` of a JSON body, or of an event stream's usage chunk
(``usage`` or Groq's ``x_groq.usage``)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["tokens_used"]


def _total(payload: Any) -> int | None:
    if not isinstance(payload, dict):
        return None
    for usage in (payload.get("usage"), (payload.get("x_groq") or {}).get("usage")):
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            return int(usage["total_tokens"])
    return None


def tokens_used(body: bytes) -> int | None:
    """The tokens a response body reports having used (None: it reports none, e.g. audio or an error)."""
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            return _total(json.loads(text))
        except ValueError:
            return None
    for line in reversed(text.splitlines()):  # the usage chunk is the last one with data
        if line.startswith("data:") and "usage" in line:
            try:
                found = _total(json.loads(line[5:].strip()))
            except ValueError:
                continue
            if found is not None:
                return found
    return None
