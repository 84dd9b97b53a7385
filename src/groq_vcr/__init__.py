"""groq-vcr: record/replay cassette testing for code that calls Groq's OpenAI-compatible API."""

from __future__ import annotations

from groq_vcr.cassette import Cassette, Interaction, Request, Response
from groq_vcr.errors import (
    CassetteFormatError,
    GroqVcrError,
    InputError,
    NoMatchError,
    SecretFoundError,
)
from groq_vcr.recording import use_cassette

__version__ = "0.1.0"

__all__ = [
    "Cassette",
    "CassetteFormatError",
    "GroqVcrError",
    "InputError",
    "Interaction",
    "NoMatchError",
    "Request",
    "Response",
    "SecretFoundError",
    "__version__",
    "use_cassette",
]
