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

It answers under ``/openai/v1`` the way Groq does: chat completions (JSON and SSE streams with ``x_groq``, the
usage chunk and ``[DONE]``; ``reasoning`` for ``openai/gpt-oss-*`` and ``qwen/qwen3-*``, ``<think>`` with
``reasoning_format="raw"``; tool calls; ``response_format`` ``json_schema``/``json_object``; ``executed_tools``
for ``groq/compound*``; vision "OCR"), the Responses API (``/responses``, JSON or named SSE events from
``response.created`` to ``response.completed``), audio transcriptions/translations (multipart; ``verbose_json``
with ``timestamp_granularities[]``), speech (a WAV generated in code), files (JSONL upload, content download)
and batches (run at once into an output file), and the models list. Every response
carries Groq's ``x-ratelimit-*`` headers, an ``x-request-id`` and a Cloudflare ``__cf_bm`` cookie; JSON is
gzip-compressed when the client accepts it. Replies are derived from the request, and with
``FakeGroqConfig.deterministic`` (the default) ids, timestamps and cookies are too, so re-recording the same
calls writes the same bytes.

Faults are chosen per request, two ways:

* by model name: ``fail-404``, ``fail-429``, ``fail-500``, ... (see :data:`FAIL_MODELS`), ``fail-json`` and
  ``fail-tool`` (Groq's 400 with ``error.failed_generation``), ``fail-stream`` (an ``event: error`` frame
  mid-stream); any other unknown model gets Groq's 404 ``model_not_found``;
* by a queue on the config: ``config.enqueue("/chat/completions", FakeReply.rate_limited())`` makes the next
  matching call return that reply, then normal service resumes;
* by a request limit: ``FakeGroqConfig(request_limit=6, limit_window=2.0)`` answers at most 6 requests per
  2-second window and Groq's 429 beyond (counted in ``config.rate_limited``), with ``x-ratelimit-*-requests``
  headers that describe the window.

``server.handle`` gives what a test needs of the running server (``port``, ``running``, ``stop()``);
``serve_fake_groq(port=...)`` picks the port. Serving an ASGI app of your own in a thread is not offered here:
that is a general-purpose uvicorn runner the tool uses internally, not a stand-in for Groq.

It needs the ``server`` extra (``pip install 'groq-vcr[server]'``: uvicorn, starlette, python-multipart):
without it, importing this package raises an ImportError naming it.
"""

from groq_vcr._extras import TESTING_PACKAGES, require_extra

require_extra("groq_vcr.testing", TESTING_PACKAGES)

from groq_vcr.testing._app import create_app
from groq_vcr.testing._audio import wav_file
from groq_vcr.testing._config import FakeGroqConfig, ReceivedRequest
from groq_vcr.testing._keys import make_fake_api_key
from groq_vcr.testing._models import DEFAULT_MODELS, ModelInfo
from groq_vcr.testing._replies import FAIL_MODELS, FakeReply, ResponseChange
from groq_vcr.testing._server import FakeGroqServer, serve_fake_groq

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
    "wav_file",
]
