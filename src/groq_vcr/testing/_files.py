"""``/files``: multipart uploads (JSONL batch input), listing, info, content download and deletion."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.responses import Response

from groq_vcr.testing._call import Call, Reject, bad_request
from groq_vcr.testing._replies import FakeReply
from groq_vcr.testing._responses import groq_headers, json_response
from groq_vcr.testing._store import StoredFile

__all__ = ["create_file", "delete_file", "file_content", "file_info", "list_files", "stored_file"]

_PURPOSES = ("batch",)


def stored_file(call: Call, file_id: str) -> StoredFile:
    """The file with this id; raises Groq's 404 when there is none."""
    store = call.config._store
    with store.lock:
        found = store.files.get(file_id)
    if found is None:
        raise Reject(FakeReply.error(404, f"file {file_id} not found", "invalid_request_error", "not_found"))
    return found


async def create_file(call: Call) -> Response:
    """``POST /files``: store the uploaded ``file`` for ``purpose`` (``batch``: one JSON request per line)."""
    form = call.form
    if form is None:
        raise bad_request("The request must be multipart/form-data with 'file' and 'purpose' fields.")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise bad_request("file must be provided", "missing_required_parameter")
    purpose = form.get("purpose")
    if purpose not in _PURPOSES:
        raise bad_request(f"purpose must be one of {', '.join(_PURPOSES)}", "invalid_value")
    content = await upload.read()
    if not content:
        raise bad_request("file is empty", "invalid_file")
    info: dict[str, object] = {
        "id": call.object_id("file", "file"),
        "object": "file",
        "bytes": len(content),
        "created_at": call.created,
        "filename": upload.filename or "upload.jsonl",
        "purpose": str(purpose),
    }
    with call.config._store.lock:
        call.config._store.files[str(info["id"])] = StoredFile(info, content)
    return json_response(call, dict(info))


async def list_files(call: Call) -> Response:
    """``GET /files``: every stored file, oldest first."""
    with call.config._store.lock:
        data = [dict(f.info) for f in call.config._store.files.values()]
    return json_response(call, {"object": "list", "data": data})


async def file_info(call: Call) -> Response:
    """``GET /files/{file_id}``: the file object."""
    return json_response(call, dict(stored_file(call, str(call.request.path_params["file_id"])).info))


async def file_content(call: Call) -> Response:
    """``GET /files/{file_id}/content``: the file's bytes, as uploaded or as a batch wrote them."""
    found = stored_file(call, str(call.request.path_params["file_id"]))
    return Response(found.content, headers=groq_headers(call, content_type="application/octet-stream"))


async def delete_file(call: Call) -> Response:
    """``DELETE /files/{file_id}``."""
    file_id = str(call.request.path_params["file_id"])
    stored_file(call, file_id)
    with call.config._store.lock:
        call.config._store.files.pop(file_id, None)
    return json_response(call, {"id": file_id, "object": "file", "deleted": True})
