"""API keys: fake keys of Groq's shape, and the server's check of the key a request sends."""

from __future__ import annotations

import random

from starlette.requests import Request

from groq_vcr._groq_api import KEY_ALPHABET, KEY_BODY_LENGTH, KEY_PREFIX, is_groq_key
from groq_vcr.testing._config import FakeGroqConfig
from groq_vcr.testing._replies import FakeReply

__all__ = ["auth_failure", "make_fake_api_key"]


def make_fake_api_key(rng: random.Random | None = None) -> str:
    """A key of Groq's shape (``gsk_`` + 52 letters/digits), generated now; never a real key."""
    chooser = rng or random.SystemRandom()
    return KEY_PREFIX + "".join(chooser.choices(KEY_ALPHABET, k=KEY_BODY_LENGTH))


def _mask_key(key: str) -> str:
    return f"{key[:6]}{'*' * max(0, len(key) - 10)}{key[-4:]}" if len(key) > 10 else "*" * len(key)


def auth_failure(config: FakeGroqConfig, request: Request) -> FakeReply | None:
    """Groq's 401 ``invalid_api_key`` unless the request sends ``Authorization: Bearer`` with a Groq-shaped key."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() == "bearer" and is_groq_key(key):
        return None
    if not key:
        message = "Invalid API Key: no key was sent. Pass it as 'Authorization: Bearer gsk_...'."
    else:
        shown = key if config.echo_full_key_in_errors else _mask_key(key)
        message = f"Invalid API Key provided: {shown}"
    return FakeReply.error(401, message, "invalid_request_error", "invalid_api_key")
