"""The one module that touches vcrpy and pytest-recording: it routes each ``@pytest.mark.vcr`` cassette.

pytest-recording builds a ``vcr.VCR`` per test and calls ``vcr.use_cassette(name, **config)``. vcrpy has no
public way to choose the cassette class, so :func:`install` replaces that call on the instance with one that
routes the test:

- **a cassette vcrpy wrote** (its ``version: 1`` YAML, or any other serializer such as ``serializer="json"``)
  stays vcrpy's, unless the project says ``vcrpy-cassettes = "convert"``: vcrpy's own ``Cassette`` plays and
  records it exactly as it did before groq-vcr was installed (matching, filters, hooks, exceptions), saving
  through :class:`SafePersister` (vcrpy's public persister interface), which redacts, refuses to write a
  secret, writes atomically and keeps the file whole when the test failed;
- **everything else** opens a :class:`GroqCassette`: a go-vcr v2 file (go-vcr format 1 and vcrpy files are read
  too) played and recorded by :mod:`groq_vcr.engine` (streaming record, event-by-event replay, indexed
  canonical matching). The user's vcrpy configuration still counts there: ``before_record_request`` with the
  ``filter_*``/``ignore_*`` options runs on live requests before they are matched (as it ran on the recorded
  ones), an explicit ``match_on`` or registered matcher replaces canonical matching, extra cassettes
  (``@pytest.mark.vcr("shared.yaml")``) are replayed with the test's own, and vcrpy's hooks run on new
  interactions before they are saved.

vcrpy internals used, pinned to the versions in :data:`CHECKED_VCRPY` by a test: the ``Cassette`` subclass
overrides ``_load``/``_save`` (what vcrpy's context manager calls), and reads the save hooks vcrpy composed in
``Cassette.__init__`` (``_before_save_interaction``, with ``filter_sensitive_data``; vcrpy 9 and later).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vcr import VCR
from vcr.cassette import Cassette as VcrCassette
from vcr.cassette import CassetteContextDecorator
from vcr.matchers import requests_match
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize

from groq_vcr._content_coding import content_codings, decode_body
from groq_vcr._settings import VcrpyCassettes
from groq_vcr.cassette import (
    MISSING,
    VCRPY,
    Interaction,
    Probe,
    Request,
    Response,
    body_text_or_bytes,
    canonical_header_name,
    cassette_kind,
    response_content_length,
    save_error,
    structure_error,
    write_atomic,
)
from groq_vcr.engine import CassetteSession, RecordMode, RetryAfter, SessionOptions, SessionStats, patch_triples
from groq_vcr.engine._reply import retry_after_headers
from groq_vcr.redaction import Redactor

OPTIONS_KEY = "groq_vcr_options"

CHECKED_VCRPY = ("8.2.0", "9.4.2")
"""The oldest and the newest vcrpy releases this module was checked against (CI runs both)."""

# vcrpy patcher group -> the module it patches. Groups whose library is not installed are skipped: vcrpy
# would find nothing to patch, but still pays for trying on every cassette.
_PATCHER_MODULES = {
    "requests": "requests",
    "boto3": "botocore",
    "urllib3": "urllib3",
    "httplib2": "httplib2",
    "tornado": "tornado",
    "aiohttp": "aiohttp",
}


def _uninstalled_patchers() -> set[str]:
    return {group for group, module in _PATCHER_MODULES.items() if importlib.util.find_spec(module) is None}


# httpx and httpx2 are handled by the engine's interception instead of vcrpy's draining stubs.
_ALWAYS_SKIPPED = frozenset({"httpx", "httpx2", *_uninstalled_patchers()})

# vcrpy 9.4 can skip patchers; before it, the engine's httpx patches (custom patches, applied last) replace
# vcrpy's on the same transport methods.
_SKIP_PATCHERS = "skip_patchers" in inspect.signature(VcrCassette.__init__).parameters

# The vcrpy options that make before_record_request do something: given, it must run before matching too.
_FILTER_OPTIONS = (
    "before_record_request",
    "before_record",
    "filter_headers",
    "filter_query_parameters",
    "filter_post_data_parameters",
    "ignore_hosts",
    "ignore_localhost",
)


def _record_mode_name(value: Any) -> str:
    return str(getattr(value, "value", value))


@functools.cache
def _default_match_on() -> tuple[str, ...]:
    return tuple(VCR().match_on)


def _configured(vcr: VCR, kwargs: dict[str, Any], name: str) -> bool:
    """Whether the user set a vcrpy option, in the ``use_cassette`` call or on the VCR object."""
    return bool(kwargs.get(name)) or bool(getattr(vcr, name, None))


def _explicit_matching(vcr: VCR, kwargs: dict[str, Any]) -> bool:
    """Whether the user chose how requests match (canonical matching stays the default otherwise)."""
    return "match_on" in kwargs or bool(kwargs.get("additional_matchers")) or tuple(vcr.match_on) != _default_match_on()


# --- conversions between vcrpy's request/response forms and the model --------------------------------------


def _vcrpy_body(response: dict[str, Any]) -> bytes:
    body = response.get("body", {}).get("string", b"")
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


def _vcrpy_headers(value: Any) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, values in dict(value or {}).items():
        values = values if isinstance(values, list | tuple) else [values]
        headers.setdefault(canonical_header_name(str(name)), []).extend(str(v) for v in values)
    return headers


def _request_body(request: VcrRequest) -> bytes:
    body = request.body or b""
    if isinstance(body, dict | list):  # aiohttp's ``json=``, which vcrpy's stub hands over unserialised
        return json.dumps(body).encode("utf-8")  # what aiohttp sends (its default serializer is json.dumps)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def from_vcrpy_request(request: VcrRequest) -> Request:
    """vcrpy's request object -> the model."""
    body = _request_body(request)
    return Request(
        content_length=len(body),
        body=body_text_or_bytes(body),
        headers=_vcrpy_headers(request.headers),
        url=request.uri,
        method=request.method,
    )


def from_vcrpy_response(response: dict[str, Any], request_method: str) -> Response:
    """vcrpy's response dict -> the model (vcrpy records neither protocol nor timing)."""
    status = response.get("status", {})
    code = int(status.get("code", 200))
    message = status.get("message") or ""
    headers = _vcrpy_headers(response.get("headers"))
    declared = next(iter(headers.get("Content-Length", [])), None)
    return Response(
        headers=headers,
        status=f"{code} {message}".rstrip(),
        code=code,
        content_length=response_content_length(code, request_method, declared),
    )


def to_vcrpy_request(request: Request) -> VcrRequest:
    """The model -> vcrpy's request object (what vcrpy's hooks and matchers receive)."""
    headers = {name: values[0] for name, values in request.headers.items() if values}
    return VcrRequest(request.method, request.url, request.body_bytes, headers)


def to_vcrpy_response(response: Response) -> dict[str, Any]:
    """The model -> vcrpy's response dict, for vcrpy's own stubs and hooks."""
    return {
        "status": {"code": response.code, "message": response.status.partition(" ")[2]},
        "headers": {name: list(values) for name, values in response.headers.items()},
        "body": {"string": response.body_bytes},
    }


def _fast_retry_after(response: dict[str, Any], mode: RetryAfter) -> dict[str, Any]:
    """``response`` with ``retry-after`` rewritten as the httpx path does. vcrpy's stubs serve requests, urllib3,
    aiohttp...: clients that read only ``retry-after`` (urllib3's ``Retry(respect_retry_after_header=True)``
    really sleeps on it), so ``fast`` sets it to 0 here, as ``zero`` does."""
    if mode == RetryAfter.FAST:
        mode = RetryAfter.ZERO
    headers = [(name, value) for name, values in response["headers"].items() for value in values]
    rewritten = retry_after_headers(headers, mode)
    if rewritten is headers:
        return response
    merged: dict[str, list[str]] = {}
    for name, value in rewritten:
        merged.setdefault(name, []).append(value)
    return {**response, "headers": merged}


def merge_vcrpy_request(original: Request, hooked: VcrRequest) -> Request:
    """``original`` with what a vcrpy hook changed in method, URL, headers and body (nothing else is lost)."""
    body = _request_body(hooked)
    headers = original.headers
    if _vcrpy_headers(hooked.headers) != _vcrpy_headers({k: v[0] for k, v in original.headers.items() if v}):
        headers = _vcrpy_headers(hooked.headers)  # the hook changed headers (vcrpy keeps one value per name)
    if body == original.body_bytes:
        return dataclasses.replace(original, method=hooked.method, url=hooked.uri, headers=headers)
    return dataclasses.replace(
        original,
        method=hooked.method,
        url=hooked.uri,
        headers=headers,
        body=body_text_or_bytes(body),
        content_length=len(body),
    )


def merge_vcrpy_response(original: Response, hooked: dict[str, Any]) -> Response:
    """``original`` with what a vcrpy hook changed in status, headers and body."""
    status = hooked.get("status", {})
    code = int(status.get("code", original.code))
    message = status.get("message", original.status.partition(" ")[2])
    body = _vcrpy_body(hooked)
    return dataclasses.replace(
        original,
        code=code,
        status=f"{code} {message}".rstrip(),
        headers=_vcrpy_headers(hooked.get("headers")),
        body=original.body if body == original.body_bytes else body_text_or_bytes(body),
    )


# --- the user's vcrpy configuration as engine options -------------------------------------------------------


def request_filter(before_record_request: Callable[[VcrRequest], VcrRequest | None]) -> Callable[..., Any]:
    """vcrpy's composed ``before_record_request`` as the engine's request filter (runs before matching)."""

    def run(live: Request) -> Request | None:
        hooked = before_record_request(to_vcrpy_request(live))
        return None if hooked is None else merge_vcrpy_request(live, hooked)

    return run


def request_matcher(match_on: tuple[Callable[..., Any], ...]) -> Callable[[Request, Request], bool]:
    """vcrpy's matcher functions as the engine's ``matcher(live, recorded)``."""
    converted: dict[int, VcrRequest] = {}

    def matches(live: Request, recorded: Request) -> bool:
        stored = converted.get(id(recorded))
        if stored is None:
            stored = converted[id(recorded)] = to_vcrpy_request(recorded)
        return bool(requests_match(to_vcrpy_request(live), stored, match_on))

    return matches


# --- the groq-vcr route --------------------------------------------------------------------------------------


class GroqCassette(VcrCassette):  # type: ignore[misc]
    """A vcrpy cassette whose storage, matching and httpx handling are groq-vcr's."""

    def __init__(self, path: str, *, groq_vcr_options: SessionOptions | None = None, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        options = groq_vcr_options or SessionOptions()
        self._record_hooks = (kwargs.get("before_record_request"), kwargs.get("before_record_response"))
        self._options = dataclasses.replace(
            options,
            record_mode=RecordMode(_record_mode_name(self.record_mode)),
            allow_repeats=options.allow_repeats or bool(self.allow_playback_repeats),
            before_save=self._user_hooks,
        )
        self.session: CassetteSession | None = None
        self._answers: dict[int, Interaction] = {}
        self.save_error: BaseException | None = None

    # --- vcrpy life cycle -------------------------------------------------------------------------------
    def _load(self) -> None:
        self.session = CassetteSession(self._path, self._options)
        existing: tuple[Any, ...] = tuple(getattr(self, "custom_patches", ()))
        self.custom_patches = (*existing, *patch_triples(self.session))
        self.rewound = True

    def _save(self, force: bool = False) -> None:
        # vcrpy removes its patches only after _save returns: an error here is kept and raised by
        # _GroqCassetteContext.__exit__ once the patches are gone.
        if self.session is None:
            return
        try:
            self.session.close()
        except BaseException as exc:
            self.save_error = exc

    def _user_hooks(self, interaction: Interaction) -> Interaction | None:
        """vcrpy's ``before_record_request``/``before_record_response`` (with its ``filter_*`` options) and
        ``before_save_interaction`` hooks, run on a new interaction in vcrpy's own request/response form."""
        before_request, before_response = self._record_hooks
        request = to_vcrpy_request(interaction.request)
        if before_request is not None:
            request = before_request(request)
            if request is None:
                return None
        response = to_vcrpy_response(interaction.response)
        if before_response is not None:
            response = before_response(response)
            if response is None:
                return None
        for hook in getattr(self, "_before_save_interaction", ()):  # vcrpy >= 9 (with filter_sensitive_data)
            hooked = hook(request, response, self) if _takes_cassette(hook) else hook(request, response)
            if hooked is None:
                return None
            request, response = hooked
        return Interaction(
            merge_vcrpy_request(interaction.request, request),
            merge_vcrpy_response(interaction.response, response),
            interaction.id,
        )

    # --- what vcrpy's own stubs (requests, aiohttp, ...) call --------------------------------------------
    def _probe(self, vcr_request: VcrRequest) -> Probe | None:
        assert self.session is not None
        body = _request_body(vcr_request)
        return self.session.probe(vcr_request.method, vcr_request.uri, body, dict(vcr_request.headers))

    def can_play_response_for(self, request: VcrRequest) -> bool:
        assert self.session is not None
        found = self._probe(request)
        played = None if found is None else self.session.lookup(found)
        if played is None:
            return False
        self._answers[id(request)] = played.interaction
        return True

    def play_response(self, request: VcrRequest) -> dict[str, Any]:
        found = self._answers.pop(id(request), None)
        if found is None:
            assert self.session is not None
            probed = self._probe(request)
            played = None if probed is None else self.session.lookup(probed)
            if played is None:
                raise LookupError(f"no recorded response for {request.method} {request.uri}")
            found = played.interaction
        assert self.session is not None
        return _fast_retry_after(to_vcrpy_response(found.response), self.session.options.retry_after)

    @property
    def write_protected(self) -> bool:
        return self.session is not None and not self.session.may_record

    def append(self, request: VcrRequest, response: dict[str, Any]) -> None:
        assert self.session is not None
        if self._options.request_filter is not None and self._probe(request) is None:
            return  # an ignored host: vcrpy's stub sent it live; it is not recorded
        head = from_vcrpy_response(response, request.method)
        pending = self.session.begin_recording(from_vcrpy_request(request), head)
        pending.feed(_vcrpy_body(response))
        pending.finish()

    def find_requests_with_most_matches(self, request: VcrRequest) -> list[Any]:
        return []

    @property
    def data(self) -> list[tuple[VcrRequest, dict[str, Any]]]:
        """vcrpy's ``(request, response)`` pairs: what was loaded (extra cassettes too), then what was recorded."""
        if self.session is None:
            return []
        interactions = [*self.session.player.interactions, *self.session.recorded]
        return [(to_vcrpy_request(i.request), to_vcrpy_response(i.response)) for i in interactions]

    @data.setter
    def data(self, value: Any) -> None:
        """vcrpy's ``__init__`` sets an empty list; the session holds the interactions."""

    @property
    def play_count(self) -> int:
        return 0 if self.session is None else sum(self.session.player.play_counts)

    @property
    def all_played(self) -> bool:
        return self.session is not None and not self.session.player.unused()

    def __len__(self) -> int:
        return 0 if self.session is None else len(self.session.player)

    def __contains__(self, request: VcrRequest) -> bool:
        return False


def _takes_cassette(hook: Callable[..., Any]) -> bool:
    """Whether a vcrpy interaction hook takes the cassette as a third argument (as vcrpy decides it)."""
    try:
        inspect.signature(hook).bind(None, None, None)
    except (TypeError, ValueError):
        return False
    return True


class _GroqCassetteContext(CassetteContextDecorator):  # type: ignore[misc]
    """vcrpy's context manager, raising a save error only after the patches are removed."""

    _opened: Any = None

    def __enter__(self) -> Any:
        self._opened = super().__enter__()
        return self._opened

    def __exit__(self, *exc_info: Any) -> None:
        super().__exit__(*exc_info)
        error = getattr(self._opened, "save_error", None)
        if error is not None:
            raise error


# --- the vcrpy route -----------------------------------------------------------------------------------------


class SafePersister:
    """vcrpy's persister for cassettes that stay vcrpy's: loads with the persister pytest-recording registered
    (so extra cassettes still combine), and saves redacted, scanned, atomically, and only when allowed."""

    def __init__(self, inner: Any, redactor: Redactor, may_save: Callable[[], bool] | None) -> None:
        self.inner = inner
        self.redactor = redactor
        self.may_save = may_save
        self.saved = False
        self.extra_paths = getattr(inner, "extra_paths", [])

    def load_cassette(self, cassette_path: str, serializer: Any) -> Any:
        for path in (Path(cassette_path), *(Path(p) for p in self.extra_paths)):
            _refuse_hostile_yaml(path)
        return self.inner.load_cassette(cassette_path, serializer=serializer)

    def save_cassette(self, cassette_path: str, cassette_dict: dict[str, Any], serializer: Any) -> None:
        if self.may_save is not None and not self.may_save():
            return  # a failed test: the committed cassette stays as it was
        redacted = {
            **cassette_dict,
            "requests": [self._request(r) for r in cassette_dict["requests"]],
            "responses": [self._response(r) for r in cassette_dict["responses"]],
        }
        text = serialize(redacted, serializer)
        path = Path(cassette_path)
        values = {"requests": [r._to_dict() for r in redacted["requests"]], "responses": redacted["responses"]}
        self.redactor.assert_clean_values(values, text, path)
        self.redactor.assert_clean(text, path)
        try:
            write_atomic(path, text)
        except OSError as exc:
            raise save_error(path, exc) from None  # one line naming the cassette and the cause
        self.saved = True

    def _request(self, request: VcrRequest) -> VcrRequest:
        redactor = self.redactor
        headers = {name: redactor.redact_header(name, str(value)) for name, value in request.headers.items()}
        body = request.body
        if isinstance(body, dict | list):
            body = _request_body(request)
        if isinstance(body, bytes) and body and _compressed({k: [v] for k, v in headers.items()}):
            body = decode_body(content_codings({k: [v] for k, v in headers.items()}), body)
            headers = {
                k: str(len(body)) if k.lower() == "content-length" else v
                for k, v in headers.items()
                if k.lower() != "content-encoding"
            }
        if isinstance(body, bytes | str) and body:
            content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
            body = redactor.redact_body(body, content_type)
        return VcrRequest(request.method, redactor.redact_url(request.uri), body, headers)

    def _response(self, response: dict[str, Any]) -> dict[str, Any]:
        redactor = self.redactor
        headers = {
            name: [redactor.redact_header(name, str(v)) for v in (values if isinstance(values, list) else [values])]
            for name, values in (response.get("headers") or {}).items()
        }
        body = (response.get("body") or {}).get("string")
        if isinstance(body, bytes) and body and _compressed(headers):
            # decoded before redaction, stored decoded (as vcrpy's decode_compressed_response does)
            body = decode_body(content_codings(headers), body)
            headers = {
                k: [str(len(body))] if k.lower() == "content-length" else v
                for k, v in headers.items()
                if k.lower() != "content-encoding"
            }
            response = {**response, "body": {**response["body"], "string": body}}
        out = {**response, "headers": headers}
        if isinstance(body, bytes | str) and body:
            content_type = next((v[0] for k, v in headers.items() if k.lower() == "content-type" and v), None)
            out["body"] = {**response["body"], "string": redactor.redact_body(body, content_type)}
        return out


def _refuse_hostile_yaml(path: Path) -> None:
    """Raise :class:`CassetteFormatError` when ``path`` nests too deep, repeats a key, or holds aliases that
    expand far past the file (vcrpy's loader would build it, and the next save would write it expanded)."""
    try:
        handle = path.open("rb")
    except OSError:
        return  # missing or unreadable: vcrpy's own loader says so
    with handle:
        refused = structure_error(handle, aliases=True)
    if refused is not None:
        raise refused.with_path(path)


def _compressed(headers: dict[str, list[str]]) -> bool:
    return any(k.lower() == "content-encoding" and any(v.strip() for v in values) for k, values in headers.items())


class _VcrpyContext:
    """vcrpy's own cassette context, telling the plugin what happened when it closes (its summary, its checks)."""

    def __init__(self, inner: Any, persister: SafePersister, options: SessionOptions, path: str) -> None:
        self._inner = inner
        self._persister = persister
        self._options = options
        self._path = path
        self._cassette: Any = None
        self._loaded = 0

    def __enter__(self) -> Any:
        self._cassette = self._inner.__enter__()
        self._loaded = len(self._cassette.data)
        return self._cassette

    def __exit__(self, *exc_info: Any) -> None:
        self._inner.__exit__(*exc_info)
        cassette = self._cassette
        if self._options.on_close is not None and cassette is not None:
            counts = cassette.play_counts
            new = max(0, len(cassette.data) - self._loaded)
            self._options.on_close(
                SessionStats(
                    path=self._path,
                    loaded=self._loaded,
                    replayed=sum(counts.values()),
                    recorded=new if self._persister.saved else 0,
                    discarded=0 if self._persister.saved else new,
                    unused=[index for index in range(self._loaded) if not counts.get(index)],
                    saved=self._persister.saved,
                    record_mode=_record_mode_name(cassette.record_mode),
                )
            )


# --- routing -------------------------------------------------------------------------------------------------


def _stays_vcrpy(serializer: str, source: Path, extras: tuple[Path, ...], choice: VcrpyCassettes) -> bool:
    """Whether vcrpy itself plays and records this cassette (see the module docstring): a vcrpy file, or a new
    cassette played together with vcrpy's (extra cassettes a vcrpy suite shares keep vcrpy's matching)."""
    if serializer != "yaml":
        return True  # vcrpy's JSON (or a registered serializer): a go-vcr file can only be YAML
    if choice is not VcrpyCassettes.KEEP:
        return False
    kind = cassette_kind(source)
    return kind == VCRPY or (kind == MISSING and any(cassette_kind(extra) == VCRPY for extra in extras))


def install(
    vcr: VCR,
    make_options: Callable[[dict[str, Any]], SessionOptions],
    vcrpy_cassettes: Callable[[dict[str, Any]], VcrpyCassettes],
    original_of: Callable[[Path], Path | None] = lambda path: None,
    needs_engine: Callable[[], bool] = lambda: False,
) -> None:
    """Make ``vcr.use_cassette`` route each cassette (see the module docstring).

    ``make_options`` turns the ``use_cassette`` keyword arguments into session options; ``vcrpy_cassettes``
    says what to do with a vcrpy cassette; ``original_of(path)`` names the file's preserved original when
    ``rewrite`` removed it, so its format still decides; ``needs_engine()`` is true for a test that uses what
    only groq-vcr's engine does (faults, verify mode), which then plays even a vcrpy cassette (read as it is).
    """
    original_use_cassette = vcr.use_cassette

    @functools.wraps(vcr.use_cassette)
    def groq_use_cassette(path: str, **kwargs: Any) -> Any:
        options = make_options(kwargs)
        known = {k: v for k, v in kwargs.items() if not k.startswith("groq_vcr_")}
        config: dict[str, Any] = vcr.get_merged_config(path=path, **known)
        full_path = Path(config["path_transformer"](path))
        serializer = known.get("serializer", vcr.serializer)
        source = original_of(full_path) or full_path
        extras = tuple(Path(p) for p in getattr(vcr.persister, "extra_paths", ()) or ())
        if not needs_engine() and _stays_vcrpy(serializer, source, extras, vcrpy_cassettes(kwargs)):
            persister = SafePersister(vcr.persister, options.redactor, options.may_save)
            vcr.register_persister(persister)  # this VCR is the test's own: pytest-recording makes one per test
            inner = original_use_cassette(path, **known)
            return _VcrpyContext(inner, persister, options, os.fspath(full_path))
        filters = any(_configured(vcr, known, name) for name in _FILTER_OPTIONS)
        options = dataclasses.replace(
            options,
            extra_cassettes=extras,
            request_filter=request_filter(config["before_record_request"]) if filters else None,
            matcher=request_matcher(tuple(config["match_on"])) if _explicit_matching(vcr, known) else None,
        )

        def args() -> dict[str, Any]:
            # The configuration merged above: pytest-recording opens the cassette at once, so nothing changed.
            merged = {**config, OPTIONS_KEY: options}
            if _SKIP_PATCHERS:
                merged["skip_patchers"] = tuple(sorted({*config.get("skip_patchers", ()), *_ALWAYS_SKIPPED}))
            return merged

        return _GroqCassetteContext(GroqCassette, args)

    vcr.use_cassette = groq_use_cassette
