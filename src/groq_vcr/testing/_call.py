"""One request in flight: what it asked for, the ids and numbers derived from it, and how a handler rejects it."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from groq_vcr._groq_api import KEY_ALPHABET
from groq_vcr.testing._config import FakeGroqConfig
from groq_vcr.testing._models import ModelInfo
from groq_vcr.testing._replies import FAIL_MODELS, FakeReply, model_not_found

__all__ = ["Call", "Reject", "bad_request", "require_model"]

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


class Reject(Exception):
    """Raised inside a handler to answer with a canned reply."""

    def __init__(self, reply: FakeReply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def bad_request(message: str, code: str | None = None) -> Reject:
    """Groq's 400 ``invalid_request_error`` with ``message``, ready to raise."""
    return Reject(FakeReply.error(400, message, "invalid_request_error", code))


@dataclass
class Call:
    """One request in flight: what it asked, and the ids/numbers derived from it."""

    config: FakeGroqConfig
    request: Request
    path: str
    body: bytes
    reply: FakeReply | None
    payload: dict[str, Any] | None = None
    form: FormData | None = None
    digest: bytes = b""
    model: str | None = None
    request_window: tuple[int, float] | None = None
    """(remaining, seconds until reset) of ``FakeGroqConfig.request_limit``'s window, when there is one."""

    @property
    def accepts_gzip(self) -> bool:
        return "gzip" in self.request.headers.get("accept-encoding", "").lower()

    def derived_bytes(self, label: str, n: int = 32) -> bytes:
        """``n`` bytes for ``label``, fixed per request when deterministic (random otherwise)."""
        if not self.config.deterministic:
            return secrets.token_bytes(n)
        out = b""
        counter = 0
        while len(out) < n:
            out += hashlib.sha256(self.digest + label.encode() + counter.to_bytes(4, "big")).digest()
            counter += 1
        return out[:n]

    def number(self, label: str) -> float:
        """A number in [0, 1), fixed per request when deterministic."""
        return int.from_bytes(self.derived_bytes(label, 8), "big") / 2**64

    @property
    def created(self) -> int:
        return self.config.created if self.config.deterministic else int(time.time())

    @property
    def completion_id(self) -> str:
        return f"chatcmpl-{uuid.UUID(bytes=self.derived_bytes('chatcmpl', 16), version=4)}"

    @property
    def request_id(self) -> str:
        raw = int.from_bytes(self.derived_bytes("request-id", 16), "big")
        tail = "".join(_CROCKFORD[(raw >> (5 * i)) & 31] for i in range(23))
        return f"req_01k{tail}"

    def object_id(self, prefix: str, label: str) -> str:
        """``<prefix>_01k...``: a ULID-shaped id as Groq gives files, batches and responses."""
        raw = int.from_bytes(self.derived_bytes(label, 16), "big")
        return f"{prefix}_01k" + "".join(_CROCKFORD[(raw >> (5 * i)) & 31] for i in range(23))

    def tool_call_id(self, index: int) -> str:
        raw = self.derived_bytes(f"tool-call-{index}", 8)
        return "call_" + "".join(KEY_ALPHABET[b % 36].lower() for b in raw)

    def fingerprint(self, model: str) -> str:
        return "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10]


def require_model(call: Call, kind: str, what: str) -> ModelInfo | None:
    """The requested model's info (None for ``fail-*`` names); raises Groq's 400/404 when it cannot serve ``what``."""
    if not call.model:
        raise bad_request("'model' : property 'model' is missing", "missing_required_parameter")
    if call.model in FAIL_MODELS:
        return None
    info = call.config.model(call.model)
    if info is None:
        raise Reject(model_not_found(call.model))
    if info.kind != kind:
        raise bad_request(f"model `{call.model}` does not support {what}", "model_not_supported")
    return info
