"""pytest entry point of groq-vcr (registered as the ``groq_vcr`` pytest11 plugin)."""

from __future__ import annotations
