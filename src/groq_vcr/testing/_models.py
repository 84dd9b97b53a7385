"""The models the local Groq server knows, and the rate limits it reports for each (Groq's free plan)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DEFAULT_MODELS", "FALLBACK_LIMITS", "ModelInfo"]


@dataclass(frozen=True)
class ModelInfo:
    """A model the server knows: what it serves and the rate limits it reports (Groq's free plan)."""

    id: str
    owned_by: str
    kind: Literal["chat", "transcription", "speech"]
    context_window: int
    max_completion_tokens: int
    requests_per_day: int
    tokens_per_minute: int
    created: int = 1_733_447_754

    def to_json(self) -> dict[str, Any]:
        """The model as ``GET /openai/v1/models`` lists it."""
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
            "active": True,
            "context_window": self.context_window,
            "public_apps": None,
            "max_completion_tokens": self.max_completion_tokens,
        }


DEFAULT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("llama-3.1-8b-instant", "Meta", "chat", 131072, 131072, 14400, 6000, 1693721698),
    ModelInfo("llama-3.3-70b-versatile", "Meta", "chat", 131072, 32768, 1000, 12000, 1733447754),
    ModelInfo("meta-llama/llama-4-scout-17b-16e-instruct", "Meta", "chat", 131072, 8192, 1000, 30000, 1743874824),
    ModelInfo("meta-llama/llama-4-maverick-17b-128e-instruct", "Meta", "chat", 131072, 8192, 1000, 6000, 1743877158),
    ModelInfo("moonshotai/kimi-k2-instruct-0905", "Moonshot AI", "chat", 262144, 16384, 1000, 10000, 1757046093),
    ModelInfo("groq/compound", "Groq", "chat", 131072, 8192, 250, 70000, 1756949530),
    ModelInfo("groq/compound-mini", "Groq", "chat", 131072, 8192, 250, 70000, 1756949707),
    ModelInfo("openai/gpt-oss-120b", "OpenAI", "chat", 131072, 65536, 1000, 8000, 1754408224),
    ModelInfo("openai/gpt-oss-20b", "OpenAI", "chat", 131072, 65536, 1000, 8000, 1754407957),
    ModelInfo("qwen/qwen3-32b", "Alibaba Cloud", "chat", 131072, 40960, 1000, 6000, 1748396646),
    ModelInfo("whisper-large-v3", "OpenAI", "transcription", 448, 448, 2000, 7200, 1693721698),
    ModelInfo("whisper-large-v3-turbo", "OpenAI", "transcription", 448, 448, 2000, 7200, 1728413088),
    ModelInfo("playai-tts", "PlayAI", "speech", 8192, 8192, 100, 1200, 1740682874),
    ModelInfo("playai-tts-arabic", "PlayAI", "speech", 8192, 8192, 100, 1200, 1740682783),
)
"""The models served by default (ids, owners and limits as on Groq's pages)."""

FALLBACK_LIMITS = (14400, 18000)  # Groq's illustrative RPD/TPM, used for fail-* and unknown models
