"""The routes of the local Groq server: each Groq endpoint behind the request pipeline, and the models list."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from groq_vcr._groq_api import API_PREFIX
from groq_vcr.testing._audio import audio_to_text, speech
from groq_vcr.testing._batches import cancel_batch, create_batch, get_batch, list_batches
from groq_vcr.testing._call import Call, Reject
from groq_vcr.testing._chat import chat_completions
from groq_vcr.testing._config import FakeGroqConfig
from groq_vcr.testing._files import create_file, delete_file, file_content, file_info, list_files
from groq_vcr.testing._pipeline import endpoint
from groq_vcr.testing._replies import FakeReply, model_not_found
from groq_vcr.testing._responses import json_response
from groq_vcr.testing._responses_api import responses

__all__ = ["create_app"]


async def _list_models(call: Call) -> Response:
    return json_response(call, {"object": "list", "data": [m.to_json() for m in call.config.models]})


async def _get_model(call: Call) -> Response:
    model_id = str(call.request.path_params["model_id"])
    info = call.config.model(model_id)
    if info is None:
        raise Reject(model_not_found(model_id))
    return json_response(call, info.to_json())


async def _unknown_url(call: Call) -> Response:
    message = (
        f"Unknown request URL: {call.request.method} {call.path}. Please check the URL for typos, or see the docs "
        "at https://console.groq.com/docs/"
    )
    raise Reject(FakeReply.error(404, message, "invalid_request_error", "unknown_url"))


def create_app(config: FakeGroqConfig | None = None) -> Starlette:
    """The fake Groq ASGI app; ``app.state.config`` holds the :class:`FakeGroqConfig` it serves with."""
    cfg = config or FakeGroqConfig()
    routes = [
        Route(f"{API_PREFIX}/chat/completions", endpoint(cfg, chat_completions), methods=["POST"]),
        Route(f"{API_PREFIX}/responses", endpoint(cfg, responses), methods=["POST"]),
        Route(
            f"{API_PREFIX}/audio/transcriptions",
            endpoint(cfg, lambda call: audio_to_text(call, "transcribe")),
            methods=["POST"],
        ),
        Route(
            f"{API_PREFIX}/audio/translations",
            endpoint(cfg, lambda call: audio_to_text(call, "translate")),
            methods=["POST"],
        ),
        Route(f"{API_PREFIX}/audio/speech", endpoint(cfg, speech), methods=["POST"]),
        Route(f"{API_PREFIX}/files", endpoint(cfg, create_file), methods=["POST"]),
        Route(f"{API_PREFIX}/files", endpoint(cfg, list_files), methods=["GET"]),
        Route(f"{API_PREFIX}/files/{{file_id}}", endpoint(cfg, file_info), methods=["GET"]),
        Route(f"{API_PREFIX}/files/{{file_id}}", endpoint(cfg, delete_file), methods=["DELETE"]),
        Route(f"{API_PREFIX}/files/{{file_id}}/content", endpoint(cfg, file_content), methods=["GET"]),
        Route(f"{API_PREFIX}/batches", endpoint(cfg, create_batch), methods=["POST"]),
        Route(f"{API_PREFIX}/batches", endpoint(cfg, list_batches), methods=["GET"]),
        Route(f"{API_PREFIX}/batches/{{batch_id}}", endpoint(cfg, get_batch), methods=["GET"]),
        Route(f"{API_PREFIX}/batches/{{batch_id}}/cancel", endpoint(cfg, cancel_batch), methods=["POST"]),
        Route(f"{API_PREFIX}/models", endpoint(cfg, _list_models), methods=["GET"]),
        Route(f"{API_PREFIX}/models/{{model_id:path}}", endpoint(cfg, _get_model), methods=["GET"]),
        Route(
            "/{rest:path}",
            endpoint(cfg, _unknown_url),
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        ),
    ]
    app = Starlette(routes=routes)
    app.state.config = cfg
    return app
