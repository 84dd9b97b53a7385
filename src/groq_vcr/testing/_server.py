"""The local Groq server running on 127.0.0.1 in a background thread, with a fake key it accepts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from groq_vcr._groq_api import API_PREFIX
from groq_vcr.servers import ServerHandle, run_in_thread
from groq_vcr.testing._app import create_app
from groq_vcr.testing._config import FakeGroqConfig
from groq_vcr.testing._keys import make_fake_api_key

__all__ = ["FakeGroqServer", "serve_fake_groq"]


@dataclass(frozen=True)
class FakeGroqServer:
    """A running fake Groq server and a fake key it accepts."""

    handle: ServerHandle
    config: FakeGroqConfig
    api_key: str

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.handle.base_url

    @property
    def groq_base_url(self) -> str:
        """The ``base_url`` for ``groq.Groq`` (it appends ``/openai/v1`` itself)."""
        return self.handle.base_url

    @property
    def openai_base_url(self) -> str:
        """The ``base_url`` for ``openai.OpenAI`` (``.../openai/v1``)."""
        return self.handle.base_url + API_PREFIX


@contextmanager
def serve_fake_groq(config: FakeGroqConfig | None = None, *, port: int = 0) -> Iterator[FakeGroqServer]:
    """Run the fake Groq server on 127.0.0.1 for the duration of the block."""
    cfg = config or FakeGroqConfig()
    with run_in_thread(create_app(cfg), "127.0.0.1", port) as handle:
        yield FakeGroqServer(handle=handle, config=cfg, api_key=make_fake_api_key())
