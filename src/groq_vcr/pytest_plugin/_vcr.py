"""The one module that touches vcrpy internals: a vcrpy ``Cassette`` backed by a :class:`CassetteSession`.

pytest-recording builds a ``vcr.VCR`` per test and calls ``vcr.use_cassette(name, **config)``. :func:`install`
makes that call open a :class:`GroqCassette` instead of vcrpy's own, so that

- the file is a go-vcr v2 cassette read and written by :mod:`groq_vcr.cassette` (atomic, redacted, scanned);
- httpx and httpx2 go through :mod:`groq_vcr.engine` (streaming record, event-by-event replay) instead of
  vcrpy's draining stubs, which are skipped;
- the libraries vcrpy still patches itself (requests, aiohttp, ...) use the same indexed matching.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
from collections.abc import Callable
from typing import Any

from vcr import VCR
from vcr.cassette import Cassette as VcrCassette
from vcr.cassette import CassetteContextDecorator, _run_hooks
from vcr.request import Request as VcrRequest

from groq_vcr.cassette import Interaction, Probe, Request, Response, body_text_or_bytes, canonical_header_name
from groq_vcr.engine import CassetteSession, RecordMode, SessionOptions, patch_triples

OPTIONS_KEY = "groq_vcr_options"

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


def _record_mode_name(value: Any) -> str:
    return str(getattr(value, "value", value))


class GroqCassette(VcrCassette):  # type: ignore[misc]
    """A vcrpy cassette whose storage, matching and httpx handling are groq-vcr's."""

    def __init__(self, path: str, *, groq_vcr_options: SessionOptions | None = None, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        options = groq_vcr_options or SessionOptions()
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
        request = self._before_record_request(to_vcrpy_request(interaction.request))
        if request is None:
            return None
        response = self._before_record_response(to_vcrpy_response(interaction.response))
        if response is None:
            return None
        if self._before_save_interaction:
            hooked = _run_hooks(self._before_save_interaction, request, response, self)
            if hooked is None:
                return None
            request, response = hooked
        return Interaction(
            merge_vcrpy_request(interaction.request, request),
            merge_vcrpy_response(interaction.response, response),
            interaction.id,
        )

    # --- what vcrpy's own stubs (requests, aiohttp, ...) call --------------------------------------------
    def _probe(self, vcr_request: VcrRequest) -> Probe:
        assert self.session is not None
        body = vcr_request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            body = vcr_request.body_bytes or b""
        return self.session.probe(vcr_request.method, vcr_request.uri, body, dict(vcr_request.headers))

    def can_play_response_for(self, request: VcrRequest) -> bool:
        assert self.session is not None
        found = self.session.lookup(self._probe(request))
        if found is None:
            return False
        self._answers[id(request)] = found.interaction
        return True

    def play_response(self, request: VcrRequest) -> dict[str, Any]:
        found = self._answers.pop(id(request), None)
        if found is None:
            assert self.session is not None
            played = self.session.lookup(self._probe(request))
            if played is None:
                raise LookupError(f"no recorded response for {request.method} {request.uri}")
            found = played.interaction
        return to_vcrpy_response(found.response)

    @property
    def write_protected(self) -> bool:
        return self.session is not None and not self.session.may_record

    def append(self, request: VcrRequest, response: dict[str, Any]) -> None:
        assert self.session is not None
        pending = self.session.begin_recording(from_vcrpy_request(request), from_vcrpy_response(response))
        pending.feed(_vcrpy_body(response))
        pending.finish()

    def find_requests_with_most_matches(self, request: VcrRequest) -> list[Any]:
        return []

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


def _vcrpy_body(response: dict[str, Any]) -> bytes:
    body = response.get("body", {}).get("string", b"")
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


def from_vcrpy_request(request: VcrRequest) -> Request:
    """vcrpy's request object -> the model."""
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers: dict[str, list[str]] = {}
    for name, value in dict(request.headers).items():
        values = value if isinstance(value, list) else [value]
        headers.setdefault(canonical_header_name(name), []).extend(str(v) for v in values)
    return Request(
        content_length=len(body),
        body=body_text_or_bytes(body),
        headers=headers,
        url=request.uri,
        method=request.method,
    )


def from_vcrpy_response(response: dict[str, Any]) -> Response:
    """vcrpy's response dict -> the model (vcrpy records neither protocol nor timing)."""
    status = response.get("status", {})
    code = int(status.get("code", 200))
    message = status.get("message") or ""
    headers: dict[str, list[str]] = {}
    for name, value in (response.get("headers") or {}).items():
        values = value if isinstance(value, list) else [value]
        headers.setdefault(canonical_header_name(name), []).extend(str(v) for v in values)
    return Response(headers=headers, status=f"{code} {message}".rstrip(), code=code)


def to_vcrpy_request(request: Request) -> VcrRequest:
    """The model -> vcrpy's request object (what vcrpy's hooks receive)."""
    headers = {name: values[0] for name, values in request.headers.items() if values}
    return VcrRequest(request.method, request.url, request.body_bytes, headers)


def _vcrpy_headers(value: Any) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, values in dict(value or {}).items():
        values = values if isinstance(values, list | tuple) else [values]
        headers.setdefault(canonical_header_name(str(name)), []).extend(str(v) for v in values)
    return headers


def merge_vcrpy_request(original: Request, hooked: VcrRequest) -> Request:
    """``original`` with what a vcrpy hook changed in method, URL, headers and body (nothing else is lost)."""
    body = hooked.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
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


def to_vcrpy_response(response: Response) -> dict[str, Any]:
    """The model -> vcrpy's response dict, for vcrpy's own stubs."""
    return {
        "status": {"code": response.code, "message": response.status.partition(" ")[2]},
        "headers": {name: list(values) for name, values in response.headers.items()},
        "body": {"string": response.body_bytes},
    }


def use_cassette(vcr: VCR, path: str, options: SessionOptions, **kwargs: Any) -> CassetteContextDecorator:
    """Like ``vcr.use_cassette(path, **kwargs)``, opening a :class:`GroqCassette` with ``options``."""

    def args() -> dict[str, Any]:
        config: dict[str, Any] = vcr.get_merged_config(path=path, **kwargs)
        config["skip_patchers"] = tuple(sorted({*config.get("skip_patchers", ()), *_ALWAYS_SKIPPED}))
        config[OPTIONS_KEY] = options
        return config

    return _GroqCassetteContext(GroqCassette, args)


class _GroqCassetteContext(CassetteContextDecorator):  # type: ignore[misc]
    """vcrpy's context manager, raising a save error only after the patches are removed."""

    def __exit__(self, *exc_info: Any) -> None:
        cassette = self._CassetteContextDecorator__cassette
        super().__exit__(*exc_info)
        error = getattr(cassette, "save_error", None)
        if error is not None:
            raise error


def install(vcr: VCR, make_options: Callable[[dict[str, Any]], SessionOptions]) -> None:
    """Make ``vcr.use_cassette`` open groq-vcr cassettes; ``make_options`` turns the config into options."""

    @functools.wraps(vcr.use_cassette)
    def groq_use_cassette(path: str, **kwargs: Any) -> CassetteContextDecorator:
        options = make_options(kwargs)
        known = {k: v for k, v in kwargs.items() if not k.startswith("groq_vcr_")}
        return use_cassette(vcr, path, options, **known)

    vcr.use_cassette = groq_use_cassette
