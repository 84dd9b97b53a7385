"""Request specs: what the ``groq-vcr record`` command sends (or imports), whatever it was written as.

A :class:`RequestSpec` comes from a curl command (:mod:`groq_vcr.cli.record._curl`) or from a YAML/JSON spec file
(:func:`load_request_specs`)::

    - method: POST                       # default: POST when there is a body, else GET
      url: https://api.groq.com/openai/v1/chat/completions
      headers: {Content-Type: application/json}
      json: {model: llama-3.1-8b-instant, messages: [{role: user, content: hi}]}
    - url: https://api.groq.com/openai/v1/audio/translations
      form: {model: whisper-large-v3}     # multipart/form-data text fields
      files: {file: clip.ogg}             # multipart file parts (paths relative to the spec file)

Exactly one body kind per request: ``json`` (serialised compactly, as the SDKs send it), ``body`` (text or
``!!binary`` bytes, sent as-is) or ``form``/``files`` (multipart/form-data, like ``curl --form``).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from groq_vcr.cassette import nesting_error
from groq_vcr.errors import InputError

__all__ = [
    "MISSING_FILE_PLACEHOLDER",
    "FilePart",
    "RequestSpec",
    "load_request_specs",
    "parse_request_specs",
]

MISSING_FILE_PLACEHOLDER = (
    "groq-vcr: this file was not available when the response was imported, so its bytes are unknown: {path}"
)
"""The content recorded for an upload whose file is missing during ``record --response`` (nothing is sent)."""

_SPEC_KEYS = {"method", "url", "headers", "json", "body", "form", "files", "name"}


@dataclass(frozen=True)
class FilePart:
    """A multipart file part: ``curl --form 'field=@path;type=...;filename=...'``."""

    field: str
    path: str
    filename: str | None = None
    content_type: str | None = None

    @property
    def upload_name(self) -> str:
        """The filename sent in the part header (curl sends the path's last component)."""
        if self.filename is not None:
            return self.filename
        return self.path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]

    @property
    def upload_type(self) -> str:
        """The part's Content-Type: the given one, else guessed from the name, else octet-stream."""
        if self.content_type:
            return self.content_type
        guessed, _ = mimetypes.guess_type(self.upload_name)
        return guessed or "application/octet-stream"


@dataclass(frozen=True)
class RequestSpec:
    """One HTTP request to record: method, URL, headers and a body (raw bytes or multipart parts)."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    form: list[tuple[str, str]] = field(default_factory=list)
    """multipart/form-data text fields, in order."""
    files: list[FilePart] = field(default_factory=list)
    """multipart/form-data file parts, in order."""
    part_order: list[tuple[str, int]] = field(default_factory=list)
    """The order of multipart parts as given: ("form", index) / ("file", index)."""
    follow_redirects: bool = False
    source: str = "request"
    """Where the spec came from, for messages: ``curl command 2 (notes.txt:65) "curl --location ..."``."""
    base_dir: Path | None = None
    """Directory relative upload paths are resolved against (the spec file's; else the working directory)."""

    @property
    def is_multipart(self) -> bool:
        """Whether the body is multipart/form-data built from ``form``/``files``."""
        return bool(self.form or self.files)

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (case-insensitive), or None."""
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found

    def with_header(self, name: str, value: str) -> RequestSpec:
        """A copy where header ``name`` has exactly the value ``value`` (replacing every previous one)."""
        headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        headers.append((name, value))
        return replace(self, headers=headers)

    def resolve_path(self, path: str) -> Path:
        """An upload path as a filesystem path (relative ones against ``base_dir``)."""
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and self.base_dir is not None:
            candidate = self.base_dir / candidate
        return candidate

    def missing_files(self) -> list[str]:
        """Upload paths that do not name a readable file."""
        return [part.path for part in self.files if not self.resolve_path(part.path).is_file()]

    def encode(self, *, missing_files: str = "error") -> tuple[list[tuple[str, str]], bytes]:
        """The headers and body bytes to send.

        Multipart bodies get a boundary derived from their content (re-recording the same call gives the same
        bytes) and a ``Content-Type`` carrying it, replacing a bare ``multipart/form-data`` as curl does.
        ``missing_files="placeholder"`` records :data:`MISSING_FILE_PLACEHOLDER` for an upload whose file does
        not exist (used by ``--response`` imports, which send nothing); ``"error"`` raises :class:`InputError`.
        """
        if not self.is_multipart:
            return list(self.headers), self.body or b""
        parts: list[tuple[str, str | None, str | None, bytes]] = []  # name, filename, content type, data
        order = self.part_order or [("form", i) for i in range(len(self.form))] + [
            ("file", i) for i in range(len(self.files))
        ]
        for kind, index in order:
            if kind == "form":
                name, value = self.form[index]
                parts.append((name, None, None, value.encode("utf-8")))
                continue
            part = self.files[index]
            path = self.resolve_path(part.path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                if missing_files != "placeholder":
                    raise InputError(
                        f"{self.source}: the upload file {part.path!r} cannot be read ({exc.strerror or exc}); "
                        "fix the path, or import a response you already have with --response (sends nothing)"
                    ) from None
                data = MISSING_FILE_PLACEHOLDER.format(path=part.path).encode("utf-8")
            parts.append((part.field, part.upload_name, part.upload_type, data))
        digest = hashlib.sha256()
        for name, filename, content_type, data in parts:
            digest.update(repr((name, filename, content_type, len(data))).encode())
            digest.update(data)
        boundary = "groq-vcr-" + digest.hexdigest()[:32]
        body = bytearray()
        for name, filename, content_type, data in parts:
            body += f"--{boundary}\r\n".encode()
            disposition = f'Content-Disposition: form-data; name="{_quote(name)}"'
            if filename is not None:
                disposition += f'; filename="{_quote(filename)}"'
            body += disposition.encode("utf-8") + b"\r\n"
            if content_type is not None:
                body += f"Content-Type: {content_type}\r\n".encode()
            body += b"\r\n" + data + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-type"]
        headers.append(("Content-Type", f"multipart/form-data; boundary={boundary}"))
        return headers, bytes(body)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "%0D").replace("\n", "%0A")


def is_json_content_type(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON (``application/json``, ``application/problem+json``...)."""
    if not content_type:
        return False
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def check_json_body(spec: RequestSpec, *, locate: Any = None) -> None:
    """Raise :class:`InputError` when ``spec`` declares a JSON body that does not parse.

    ``locate(position) -> str`` turns a character offset in the body into a location such as ``notes.txt:17``.
    """
    if spec.is_multipart or not spec.body or not is_json_content_type(spec.header("Content-Type")):
        return
    try:
        text = spec.body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{spec.source}: the JSON body is not UTF-8 text; fix its encoding") from None
    try:
        json.loads(text)
    except RecursionError:
        raise InputError(f"{spec.source}: the JSON body is nested too deeply to read; fix the JSON") from None
    except json.JSONDecodeError as exc:
        where = locate(exc.pos) if locate is not None else None
        at = f" at {where}" if where else f" (body line {exc.lineno}, column {exc.colno})"
        raise InputError(
            f"{spec.source}: the JSON body is invalid{at}: {exc.msg}; fix the JSON (nothing was sent)"
        ) from None


def _check_url(url: str, source: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{source}: {url!r} is not an http(s) URL; write it in full, like https://api.groq.com/...")


def parse_request_specs(
    data: Any, *, source: str = "request spec", base_dir: Path | None = None, lines: list[int | None] | None = None
) -> list[RequestSpec]:
    """Spec data (a mapping, or a list of them) already loaded from YAML/JSON -> request specs."""
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InputError(f"{source}: holds no request; write a mapping with at least a 'url'")
    specs = []
    for index, item in enumerate(items):
        line = lines[index] if lines is not None and index < len(lines) else None
        where = f"{source}:{line}" if line is not None else source
        label = f"request {index + 1} ({where})" if isinstance(data, list) else f"request ({where})"
        specs.append(_spec_from_mapping(item, label, base_dir))
    return specs


def _spec_from_mapping(item: Any, label: str, base_dir: Path | None) -> RequestSpec:
    if not isinstance(item, dict):
        raise InputError(
            f"{label}: expected a mapping with 'url' (and 'method', 'headers', 'json'...), got {type(item).__name__}"
        )
    if isinstance(item.get("name"), str):
        label = f"{label} {item['name']!r}"
    unknown = sorted(str(k) for k in item if k not in _SPEC_KEYS)
    if unknown:
        raise InputError(f"{label}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_SPEC_KEYS))}")
    url = item.get("url")
    if not isinstance(url, str) or not url:
        raise InputError(f"{label}: 'url' is missing; add the full URL, like https://api.groq.com/openai/v1/models")
    _check_url(url, label)
    headers = _headers_of(item.get("headers"), label)
    body_kinds = [k for k in ("json", "body") if k in item] + (
        ["form/files"] if "form" in item or "files" in item else []
    )
    if len(body_kinds) > 1:
        raise InputError(f"{label}: give only one of json, body or form/files (got {', '.join(body_kinds)})")
    body: bytes | None = None
    form: list[tuple[str, str]] = []
    files: list[FilePart] = []
    if "json" in item:
        body = json.dumps(item["json"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
    elif "body" in item:
        raw = item["body"]
        if isinstance(raw, str):
            body = raw.encode("utf-8")
        elif isinstance(raw, bytes):
            body = raw
        else:
            raise InputError(f"{label}: 'body' must be text or !!binary bytes; use 'json' for structured data")
    else:
        form = _form_of(item.get("form"), label)
        files = _files_of(item.get("files"), label)
    method = item.get("method") or ("POST" if body is not None or form or files else "GET")
    if not isinstance(method, str) or not method.isalpha():
        raise InputError(f"{label}: 'method' must be an HTTP method such as GET or POST, got {method!r}")
    spec = RequestSpec(
        method=method.upper(),
        url=url,
        headers=headers,
        body=body,
        form=form,
        files=files,
        source=label,
        base_dir=base_dir,
    )
    check_json_body(spec)
    return spec


def _headers_of(raw: Any, label: str) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise InputError(f"{label}: 'headers' must be a mapping of name to value (or list of values)")
    headers = []
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        for one in values:
            if not isinstance(one, str | int | float):
                raise InputError(f"{label}: header {name!r} must be text, got {type(one).__name__}")
            headers.append((str(name), str(one)))
    return headers


def _form_of(raw: Any, label: str) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise InputError(f"{label}: 'form' must be a mapping of field name to text value")
    fields: list[tuple[str, str]] = []
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        fields.extend((str(name), v if isinstance(v, str) else json.dumps(v)) for v in values)
    return fields


def _files_of(raw: Any, label: str) -> list[FilePart]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise InputError(
            f"{label}: 'files' must be a mapping of field name to a path (or {{path, filename, content_type}}}})"
        )
    parts = []
    for name, value in raw.items():
        if isinstance(value, str):
            parts.append(FilePart(field=str(name), path=value))
        elif isinstance(value, dict) and isinstance(value.get("path"), str):
            parts.append(
                FilePart(
                    field=str(name),
                    path=value["path"],
                    filename=value.get("filename"),
                    content_type=value.get("content_type"),
                )
            )
        else:
            raise InputError(f"{label}: file {name!r} must be a path or a mapping with 'path'")
    return parts


def load_request_specs(path: str | Path) -> list[RequestSpec]:
    """Read a YAML or JSON request spec file (one request, or a list of them)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the request spec {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"the request spec {str(path)!r} is not UTF-8 text") from None
    lines: list[int | None] | None = None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except RecursionError:
            raise InputError(f"{path}: the request spec is JSON nested too deeply to read") from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{exc.lineno}:{exc.colno}: the request spec is not valid JSON: {exc.msg}"
            ) from None
    else:
        too_deep = nesting_error(text)
        if too_deep is not None:
            raise InputError(f"{path}:{too_deep.line}: the request spec is not valid YAML: {too_deep.problem}")
        try:
            node = yaml.compose(text, Loader=_Loader)
            data = yaml.load(text, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            raise InputError(f"{where}: the request spec is not valid YAML: {exc.problem}") from None
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: the request spec is not valid YAML: {exc}") from None
        except (ValueError, TypeError) as exc:  # a tagged value PyYAML cannot build, e.g. !!timestamp 2001-99-99
            raise InputError(f"{path}: the request spec holds a value that cannot be read: {exc}") from None
        if isinstance(node, yaml.SequenceNode):
            lines = [child.start_mark.line + 1 for child in node.value]
        elif node is not None:
            lines = [node.start_mark.line + 1]
    return parse_request_specs(data, source=str(path), base_dir=path.parent, lines=lines)


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
