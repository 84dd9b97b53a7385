"""vcrpy's own cassettes (``version: 1``) <-> the go-vcr v2 model.

vcrpy records neither the HTTP version nor timing, so an imported interaction gets ``HTTP/1.1`` and ``0s``; its
header names are put in Go's canonical case (``content-type`` -> ``Content-Type``), repeated names merged.
Going back, the v2 fields vcrpy has no place for (proto, duration, content length...) are dropped.
"""

from __future__ import annotations

import http
import os
import re
from pathlib import Path
from typing import Any

import yaml

from groq_vcr.cassette._guard import structure_error
from groq_vcr.cassette._model import Body, Cassette, Headers, Interaction, Request, Response, canonical_header_name
from groq_vcr.cassette._storage import load_cassette
from groq_vcr.errors import CassetteFormatError

__all__ = ["GO_VCR", "MISSING", "VCRPY", "cassette_kind", "dump_v1", "load_any", "load_v1", "v1_to_v2", "v2_to_v1"]

VCRPY_VERSION = 1

_BaseLoader: type[yaml.SafeLoader]
_BaseDumper: type[yaml.SafeDumper]
try:
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment]
    _BaseDumper = yaml.CSafeDumper  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader, _BaseDumper = yaml.SafeLoader, yaml.SafeDumper


class _V1Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """vcrpy's safe cassette loader: YAML 1.1 types plus the harmless python/str, python/unicode, python/tuple."""


_V1Loader.add_constructor("tag:yaml.org,2002:python/str", lambda loader, node: loader.construct_scalar(node))
_V1Loader.add_constructor("tag:yaml.org,2002:python/unicode", lambda loader, node: loader.construct_scalar(node))
_V1Loader.add_constructor("tag:yaml.org,2002:python/tuple", lambda loader, node: tuple(loader.construct_sequence(node)))


class _Invalid(ValueError):
    pass


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    raise _Invalid(f"{what} must be text, found {type(value).__name__}")


def _body(value: Any, what: str) -> Body:
    if isinstance(value, dict):
        value = value.get("string", "")
    if value is None:
        return ""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    if isinstance(value, str):
        return value
    raise _Invalid(f"{what} must be text or bytes, found {type(value).__name__}")


def _headers(value: Any, what: str) -> Headers:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid(f"{what} must be a mapping of header names to values, found {type(value).__name__}")
    out: Headers = {}
    for name, values in value.items():
        items = values if isinstance(values, list | tuple) else [values]
        out.setdefault(canonical_header_name(_text(name, what)), []).extend(
            _text(v, f"{what}[{name!r}]") for v in items
        )
    return out


def _content_length(headers: Headers, default: int) -> int:
    for value in headers.get("Content-Length", [])[:1]:
        try:
            return int(value)
        except ValueError:
            break
    return default


def _status_text(code: int, message: str) -> str:
    if not message:
        try:
            message = http.HTTPStatus(code).phrase
        except ValueError:
            return str(code)
    return f"{code} {message}"


def v1_to_v2(data: Any) -> Cassette:
    """A vcrpy version-1 cassette (as loaded from its YAML) as a go-vcr v2 :class:`Cassette`.

    Raises ``ValueError`` with a readable reason when ``data`` is not a vcrpy cassette.
    """
    if not isinstance(data, dict) or "interactions" not in data:
        raise _Invalid("not a vcrpy cassette: expected a mapping with `interactions` and `version: 1`")
    if data.get("version") != VCRPY_VERSION:
        hint = " (it is already a go-vcr cassette)" if data.get("version") == 2 else ""
        raise _Invalid(f"not a vcrpy version 1 cassette: `version` is {data.get('version')!r}{hint}")
    raw = data["interactions"] or []
    if not isinstance(raw, list):
        raise _Invalid("`interactions` must be a list")
    interactions = []
    for i, item in enumerate(raw):
        where = f"interaction {i}"
        if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
            raise _Invalid(f"{where} must have a `request` mapping")
        if not isinstance(item.get("response"), dict):
            raise _Invalid(f"{where} must have a `response` mapping")
        rq, rs = item["request"], item["response"]
        req_body = _body(rq.get("body"), f"{where} request body")
        req_headers = _headers(rq.get("headers"), f"{where} request headers")
        status = rs.get("status") or {}
        if not isinstance(status, dict):
            raise _Invalid(f"{where} response status must be a mapping with `code` and `message`")
        try:
            code = int(status.get("code", 200))
        except (TypeError, ValueError):
            raise _Invalid(f"{where} response status code must be an integer") from None
        resp_body = _body(rs.get("body"), f"{where} response body")
        resp_headers = _headers(rs.get("headers"), f"{where} response headers")
        request = Request(
            content_length=len(req_body.encode("utf-8") if isinstance(req_body, str) else req_body),
            body=req_body,
            headers=req_headers,
            url=_text(rq.get("uri"), f"{where} request uri"),
            method=_text(rq.get("method"), f"{where} request method").upper(),
        )
        response = Response(
            content_length=_content_length(resp_headers, -1),
            body=resp_body,
            headers=resp_headers,
            status=_status_text(code, _text(status.get("message"), f"{where} status message")),
            code=code,
            duration=0,
        )
        interactions.append(Interaction(request=request, response=response, id=i))
    return Cassette(interactions=interactions)


def v2_to_v1(cassette: Cassette) -> dict[str, Any]:
    """A go-vcr v2 cassette as vcrpy's version-1 dict (what vcrpy's YAML serializer writes)."""
    interactions = []
    for it in cassette.interactions:
        code_prefix = f"{it.response.code} "
        status = it.response.status
        message = status[len(code_prefix) :] if status.startswith(code_prefix) else status
        interactions.append(
            {
                "request": {
                    "body": it.request.body if it.request.body != "" else None,
                    "headers": {k: list(v) for k, v in it.request.headers.items()},
                    "method": it.request.method,
                    "uri": it.request.url,
                },
                "response": {
                    "status": {"code": it.response.code, "message": message},
                    "headers": {k: list(v) for k, v in it.response.headers.items()},
                    "body": {"string": it.response.body},
                },
            }
        )
    return {"interactions": interactions, "version": VCRPY_VERSION}


def dump_v1(cassette: Cassette) -> str:
    """vcrpy's YAML text for ``cassette`` (PyYAML block style with sorted keys, as vcrpy writes it)."""
    return yaml.dump(v2_to_v1(cassette), Dumper=_BaseDumper)


def load_v1(path: str | os.PathLike[str]) -> Cassette:
    """Read a vcrpy version-1 cassette file; :class:`CassetteFormatError` naming the file when it is not one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteFormatError(f"the file cannot be read: {exc}", path=p) from None
    too_deep = structure_error(text, aliases=True)  # PyYAML writes an alias for a shared object
    if too_deep is not None:
        raise too_deep.with_path(p)
    try:
        data = yaml.load(text, Loader=_V1Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise CassetteFormatError(
            f"YAML syntax error: {exc.problem}",
            path=p,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise CassetteFormatError(f"YAML error: {exc}", path=p) from None
    except (ValueError, TypeError) as exc:  # a tagged value PyYAML cannot build, e.g. !!timestamp 2001-99-99
        raise CassetteFormatError(f"a value cannot be read: {exc}", path=p) from None
    try:
        return v1_to_v2(data)
    except ValueError as exc:
        raise CassetteFormatError(str(exc), path=p) from None


GO_VCR = "go-vcr"
VCRPY = "vcrpy"
MISSING = "missing"
_SNIFF_BYTES = 4096
_VCRPY_TAIL = re.compile(rb"^version: 1\s*\Z", re.MULTILINE)
# vcrpy names a request's URL `uri`, go-vcr `url`: a request key at the indentation of either layout.
_VCRPY_URI = re.compile(rb"^(?:- |  )? {0,4}(?:request:\s*\{.*\buri:|uri:)", re.MULTILINE)


def cassette_kind(path: str | os.PathLike[str]) -> str:
    """Which tool's layout a cassette file has, from its first and last bytes: :data:`GO_VCR` (go-vcr format
    1 or 2), :data:`VCRPY` (vcrpy's YAML, whose sorted keys put ``version: 1`` last, or its JSON) or
    :data:`MISSING` (no file, or an empty one). Anything else counts as go-vcr, whose loader says what is wrong."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
            if not head.strip():
                return MISSING
            f.seek(max(0, p.stat().st_size - 64))
            tail = f.read()
    except OSError:
        return MISSING
    for line in head.removeprefix(b"\xef\xbb\xbf").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith((b"#", b"---", b"%")):
            continue
        if stripped.startswith(b"{"):
            return VCRPY
        if stripped.startswith(b"interactions:") and _VCRPY_TAIL.search(tail.rstrip()):
            return VCRPY
        if re.match(rb"version:\s*1\s*(#.*)?$", stripped):  # go-vcr's format 1, or vcrpy's keys in another order
            return VCRPY if _VCRPY_URI.search(p.read_bytes()) else GO_VCR
        return GO_VCR
    return GO_VCR


def load_any(path: str | os.PathLike[str]) -> Cassette:
    """Load a go-vcr cassette (format 1 or 2) or a vcrpy YAML cassette, whichever ``path`` holds."""
    return load_v1(path) if cassette_kind(path) == VCRPY else load_cassette(path)
