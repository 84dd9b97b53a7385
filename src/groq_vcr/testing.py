"""Test support: a local Groq-compatible server to record against, with no key and no network.

```python
import groq
from groq_vcr.testing import serve_fake_groq

with serve_fake_groq() as server:
    client = groq.Groq(api_key=server.api_key, base_url=server.groq_base_url)
    client.chat.completions.create(model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "hi"}])
```

:class:`FakeGroqConfig` chooses its behaviour (queued :class:`FakeReply` faults, a :class:`ResponseChange` to
simulate API drift, stream pacing); :func:`make_fake_api_key` makes a key of Groq's shape that is never real.

Serving an ASGI app of your own in a thread is not offered here: that is a general-purpose uvicorn runner the
tool uses internally, not a stand-in for Groq. ``server.handle`` gives what a test needs of the running server
(``port``, ``running``, ``stop()``); ``serve_fake_groq(port=...)`` picks the port.
"""

from groq_vcr.servers import (
    DEFAULT_MODELS,
    FAIL_MODELS,
    FakeGroqConfig,
    FakeGroqServer,
    FakeReply,
    ModelInfo,
    ReceivedRequest,
    ResponseChange,
    create_app,
    make_fake_api_key,
    serve_fake_groq,
)

__all__ = [
    "DEFAULT_MODELS",
    "FAIL_MODELS",
    "FakeGroqConfig",
    "FakeGroqServer",
    "FakeReply",
    "ModelInfo",
    "ReceivedRequest",
    "ResponseChange",
    "create_app",
    "make_fake_api_key",
    "serve_fake_groq",
]
