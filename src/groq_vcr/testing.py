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
