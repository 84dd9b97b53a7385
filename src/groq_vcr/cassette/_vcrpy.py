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
from groq_vcr.cassette._read_once import SMALL_FILE_BYTES, fingerprint, keep
from groq_vcr.cassette._storage import load_cassette
from groq_vcr.cassette._vcrpy_read import (
    FIELDS_KEY,
    encode_parsed_body,
    header_names_to_keep,
    original_headers,
    request_key,
)
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
        if value and "string" not in value:  # refuse rather than convert it to an empty body
            raise _Invalid(f"{what} has no `string` (it has {', '.join(map(str, value))}): no body to read")
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


_REQUEST_KEYS = frozenset({"body", "parsed_body", "headers", "method", "uri"})
_RESPONSE_KEYS = frozenset({"body", "parsed_body", "headers", "status"})
_INTERACTION_KEYS = frozenset({"request", "response"})


def _json_body(part: dict[str, Any], headers: Headers, what: str) -> Body:
    """The body of a vcrpy request or response: ``body`` (text, bytes or ``{string: ...}``), or ``parsed_body``
    (JSON kept as YAML data by custom serializers) encoded as it was sent."""
    parsed = part.get("parsed_body")
    if parsed is None:
        return _body(part.get("body"), what)
    return encode_parsed_body(parsed, _content_length(headers, -1) if "Content-Length" in headers else None)


def _kept_fields(rq: dict[str, Any], rs: dict[str, Any], item: dict[str, Any], code: int) -> dict[str, Any]:
    """What vcrpy wrote for one interaction that the v2 model has no field for (empty when nothing)."""
    kept: dict[str, Any] = {}
    for key, raw in (("request_headers", rq.get("headers")), ("response_headers", rs.get("headers"))):
        if isinstance(raw, dict):
            names = header_names_to_keep(raw)
            if names is not None:
                kept[key] = names
    if "body" in rq and rq["body"] is None and rq.get("parsed_body") is None:
        kept["request_body_null"] = True
    status = rs.get("status")
    message = status.get("message") if isinstance(status, dict) else None
    if message in ("", None) and _status_text(code, "") != str(code):
        kept["status_message"] = message  # the v2 status text got the standard phrase instead
    for key, part, known in (
        ("request_extra", rq, _REQUEST_KEYS),
        ("response_extra", rs, _RESPONSE_KEYS),
        ("interaction_extra", item, _INTERACTION_KEYS),
    ):
        extra = {k: v for k, v in part.items() if k not in known}
        if extra:
            kept[key] = extra
    body = rs.get("body")
    if isinstance(body, dict) and set(body) - {"string"}:
        kept["response_body_extra"] = {k: v for k, v in body.items() if k != "string"}
    return kept


def v1_to_v2(data: Any) -> Cassette:
    """A vcrpy cassette (as loaded from its YAML or JSON) as a go-vcr v2 :class:`Cassette`.

    ``version`` may be missing (vcrpy does not check it). Top-level keys other than ``interactions`` and
    ``version`` (``metadata``...) become :attr:`Cassette.extra`; what vcrpy wrote that v2 has no field for
    goes to the :data:`FIELDS_KEY` entry of it, so :func:`v2_to_v1` gives the same data back. Raises
    ``ValueError`` with a readable reason when ``data`` is not a vcrpy cassette.
    """
    if not isinstance(data, dict) or "interactions" not in data:
        raise _Invalid("not a vcrpy cassette: expected a mapping with `interactions` (and `version: 1`)")
    if data.get("version", VCRPY_VERSION) != VCRPY_VERSION:
        hint = " (it is already a go-vcr cassette)" if data.get("version") == 2 else ""
        raise _Invalid(f"not a vcrpy version 1 cassette: `version` is {data.get('version')!r}{hint}")
    raw = data["interactions"] or []
    if not isinstance(raw, list):
        raise _Invalid("`interactions` must be a list")
    interactions = []
    kept_all: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"interaction {i}"
        if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
            raise _Invalid(f"{where} must have a `request` mapping")
        if not isinstance(item.get("response"), dict):
            raise _Invalid(f"{where} must have a `response` mapping")
        rq, rs = item["request"], item["response"]
        req_headers = _headers(rq.get("headers"), f"{where} request headers")
        req_body = _json_body(rq, req_headers, f"{where} request body")
        status = rs.get("status") or {}
        if not isinstance(status, dict):
            raise _Invalid(f"{where} response status must be a mapping with `code` and `message`")
        try:
            code = int(status.get("code", 200))
        except (TypeError, ValueError):
            raise _Invalid(f"{where} response status code must be an integer") from None
        resp_headers = _headers(rs.get("headers"), f"{where} response headers")
        resp_body = _json_body(rs, resp_headers, f"{where} response body")
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
        kept_all.append(_kept_fields(rq, rs, item, code))
    extra = {k: v for k, v in data.items() if k not in ("interactions", "version")}
    if any(kept_all):
        extra[FIELDS_KEY] = kept_all
    return Cassette(interactions=interactions, extra=extra)


def _fields_of(cassette: Cassette) -> list[dict[str, Any]]:
    """The :data:`FIELDS_KEY` entries, one per interaction; empty ones when missing or no longer aligned."""
    kept = cassette.extra.get(FIELDS_KEY)
    if isinstance(kept, list) and len(kept) == len(cassette.interactions):
        return [k if isinstance(k, dict) else {} for k in kept]
    return [{} for _ in cassette.interactions]


def v2_to_v1(cassette: Cassette) -> dict[str, Any]:
    """A go-vcr v2 cassette as vcrpy's version-1 dict (what vcrpy's YAML serializer writes).

    A cassette converted from vcrpy gives back what vcrpy wrote: header names in their own case, ``body: ''``
    and ``body: null`` as they were, status messages, other keys and top-level keys."""
    interactions = []
    for it, kept in zip(cassette.interactions, _fields_of(cassette), strict=True):
        code_prefix = f"{it.response.code} "
        status = it.response.status
        message = status[len(code_prefix) :] if status.startswith(code_prefix) else status
        if "status_message" in kept and status == _status_text(it.response.code, ""):
            message = kept["status_message"]
        request_body: Body | None = it.request.body
        if kept.get("request_body_null") and it.request.body == "":
            request_body = None
        request: dict[str, Any] = {
            "body": request_body,
            "headers": original_headers(it.request.headers, kept.get("request_headers")),
            "method": it.request.method,
            "uri": it.request.url,
        }
        response_body: dict[str, Any] = {"string": it.response.body}
        response: dict[str, Any] = {
            "status": {"code": it.response.code, "message": message},
            "headers": original_headers(it.response.headers, kept.get("response_headers")),
            "body": response_body,
        }
        for target, key in (
            (request, "request_extra"),
            (response, "response_extra"),
            (response_body, "response_body_extra"),
        ):
            if isinstance(kept.get(key), dict):
                target.update({k: v for k, v in kept[key].items() if k not in target})
        interaction: dict[str, Any] = {"request": request, "response": response}
        if isinstance(kept.get("interaction_extra"), dict):
            interaction.update({k: v for k, v in kept["interaction_extra"].items() if k not in interaction})
        interactions.append(interaction)
    data: dict[str, Any] = {k: v for k, v in cassette.extra.items() if k not in (FIELDS_KEY, "interactions", "version")}
    data.update({"interactions": interactions, "version": VCRPY_VERSION})
    return data


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
_VCRPY_TAIL = re.compile(rb"^version: 1\s*(?:\.\.\.\s*)?\Z", re.MULTILINE)


def cassette_kind(path: str | os.PathLike[str]) -> str:
    """Which tool's layout a cassette file has: :data:`GO_VCR` (go-vcr format 1 or 2), :data:`VCRPY` (vcrpy's
    YAML or JSON, with or without a ``version`` key) or :data:`MISSING` (no file, or an empty one).

    A file starting with ``version: 1`` or ``interactions:`` is told by the key of its first request's URL
    (vcrpy's ``uri``, go-vcr's ``url``). Anything else counts as go-vcr, whose loader says what is wrong."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            info = os.fstat(f.fileno())
            if info.st_size <= SMALL_FILE_BYTES:  # read whole, once: the load that follows takes these bytes
                whole: bytes | None = f.read()
                assert whole is not None
                keep(p, fingerprint(info), whole)
                head, tail = whole[:_SNIFF_BYTES], whole[-64:]
            else:
                whole = None
                head = f.read(_SNIFF_BYTES)
                f.seek(max(0, info.st_size - 64))
                tail = f.read()
    except OSError:
        return MISSING
    if not head.strip():
        return MISSING
    for line in head.removeprefix(b"\xef\xbb\xbf").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith((b"#", b"---", b"%")):
            continue
        if stripped.startswith(b"{"):
            return VCRPY  # go-vcr never writes JSON
        starts_with_interactions = stripped.startswith(b"interactions:")
        if starts_with_interactions or re.match(rb"version:\s*1\s*(#.*)?$", stripped):
            key = request_key(p, whole)
            if key is not None:
                return VCRPY if key == "uri" else GO_VCR
            # no request to tell by: vcrpy's sorted keys put `version: 1` last
            return VCRPY if starts_with_interactions and _VCRPY_TAIL.search(tail.rstrip()) else GO_VCR
        return GO_VCR
    return GO_VCR


def load_any(path: str | os.PathLike[str]) -> Cassette:
    """Load a go-vcr cassette (format 1 or 2) or a vcrpy YAML cassette, whichever ``path`` holds."""
    return load_v1(path) if cassette_kind(path) == VCRPY else load_cassette(path)
