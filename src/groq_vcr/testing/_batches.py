"""``/batches``: a batch of chat requests from an uploaded JSONL file, answered at once into an output file.

``POST /batches`` answers ``validating`` (as Groq does); the batch is run right away, so the next
``GET /batches/{id}`` finds it ``completed`` with an ``output_file_id`` (one JSON answer per request line) and,
when some lines failed, an ``error_file_id``. ``POST /batches/{id}/cancel`` answers ``cancelling``, then the
batch is ``cancelled``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

from groq_vcr.testing._call import Call, Reject, bad_request
from groq_vcr.testing._chat import chat_body, validate_chat
from groq_vcr.testing._completion import complete
from groq_vcr.testing._files import stored_file
from groq_vcr.testing._replies import FakeReply
from groq_vcr.testing._responses import dumps, json_response
from groq_vcr.testing._store import StoredFile

__all__ = ["cancel_batch", "create_batch", "get_batch", "list_batches"]

_ENDPOINTS = ("/v1/chat/completions",)
_WINDOWS = {"24h": 86_400, "7d": 604_800}


def _answer_line(call: Call, n: int, line: dict[str, Any], endpoint: str) -> tuple[dict[str, Any] | None, str]:
    """A request line's ``chat.completion``, or None and the reason it failed."""
    body = line.get("body")
    if line.get("url") != endpoint or line.get("method", "POST") != "POST" or not isinstance(body, dict):
        return None, f"line {n + 1}: 'url' must be {endpoint} with method POST and a JSON 'body'"
    try:
        validate_chat(body)
    except Reject as reject:
        return None, str(reject.reply.json_body["error"]["message"])
    info = call.config.model(str(body.get("model")))
    if info is None or info.kind != "chat":
        return None, f"The model `{body.get('model')}` does not exist or you do not have access to it."
    completion_id = f"chatcmpl-{uuid.UUID(bytes=call.derived_bytes(f'chatcmpl-{n}', 16), version=4)}"
    return chat_body(call, body, complete(call, body), completion_id), ""


def _run(call: Call, content: bytes, endpoint: str) -> tuple[list[bytes], list[bytes]]:
    """The output and error lines for a batch input file."""
    outputs: list[bytes] = []
    errors: list[bytes] = []
    for n, raw in enumerate(content.decode("utf-8", "replace").splitlines()):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            line = {}
        custom_id = line.get("custom_id") if isinstance(line, dict) else None
        line_id = call.object_id("batch_req", f"line-{n}")
        answer, reason = _answer_line(call, n, line, endpoint) if isinstance(line, dict) else (None, "not JSON")
        if answer is None:
            error = {"code": "invalid_request", "message": reason}
            errors.append(dumps({"id": line_id, "custom_id": custom_id, "response": None, "error": error}))
        else:
            response = {"status_code": 200, "request_id": answer["x_groq"]["id"], "body": answer}
            outputs.append(dumps({"id": line_id, "custom_id": custom_id, "response": response, "error": None}))
    return outputs, errors


def _store_output(call: Call, label: str, lines: list[bytes]) -> str | None:
    if not lines:
        return None
    content = b"\n".join(lines) + b"\n"
    file_id = call.object_id("file", label)
    info = {
        "id": file_id,
        "object": "file",
        "bytes": len(content),
        "created_at": call.created + 1,
        "filename": f"{label}.jsonl",
        "purpose": "batch_output",
    }
    with call.config._store.lock:
        call.config._store.files[file_id] = StoredFile(info, content)
    return file_id


async def create_batch(call: Call) -> Response:
    """``POST /batches``: validate the request, run the batch, answer it as ``validating``."""
    payload = call.payload
    if payload is None:
        raise bad_request("The request body must be a JSON object.")
    endpoint = payload.get("endpoint")
    if endpoint not in _ENDPOINTS:
        raise bad_request(f"endpoint must be one of {', '.join(_ENDPOINTS)}", "invalid_value")
    window = payload.get("completion_window")
    if window not in _WINDOWS:
        raise bad_request(f"completion_window must be one of {', '.join(_WINDOWS)}", "invalid_value")
    input_file = stored_file(call, str(payload.get("input_file_id")))
    outputs, errors = _run(call, input_file.content, str(endpoint))
    created = call.created
    batch: dict[str, Any] = {
        "id": call.object_id("batch", "batch"),
        "object": "batch",
        "endpoint": endpoint,
        "errors": None,
        "input_file_id": input_file.info["id"],
        "completion_window": window,
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": created,
        "in_progress_at": None,
        "expires_at": created + _WINDOWS[str(window)],
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": payload.get("metadata"),
    }
    done = {
        **batch,
        "status": "completed",
        "output_file_id": _store_output(call, "batch_output", outputs),
        "error_file_id": _store_output(call, "batch_errors", errors),
        "in_progress_at": created + 1,
        "finalizing_at": created + 2,
        "completed_at": created + 3,
        "request_counts": {"total": len(outputs) + len(errors), "completed": len(outputs), "failed": len(errors)},
    }
    with call.config._store.lock:
        call.config._store.batches[batch["id"]] = done
    return json_response(call, batch)


def _stored_batch(call: Call) -> dict[str, Any]:
    batch_id = str(call.request.path_params["batch_id"])
    with call.config._store.lock:
        found = call.config._store.batches.get(batch_id)
    if found is None:
        raise Reject(FakeReply.error(404, f"batch {batch_id} not found", "invalid_request_error", "not_found"))
    return found


async def get_batch(call: Call) -> Response:
    """``GET /batches/{batch_id}``."""
    return json_response(call, dict(_stored_batch(call)))


async def list_batches(call: Call) -> Response:
    """``GET /batches``: every batch, oldest first."""
    with call.config._store.lock:
        data = [dict(b) for b in call.config._store.batches.values()]
    return json_response(call, {"object": "list", "data": data})


async def cancel_batch(call: Call) -> Response:
    """``POST /batches/{batch_id}/cancel``: ``cancelling`` now, ``cancelled`` from then on."""
    batch = _stored_batch(call)
    at = call.created + 1
    cancelled = {**batch, "status": "cancelled", "cancelling_at": at, "cancelled_at": at + 1}
    with call.config._store.lock:
        call.config._store.batches[batch["id"]] = cancelled
    return json_response(call, {**cancelled, "status": "cancelling", "cancelled_at": None})
