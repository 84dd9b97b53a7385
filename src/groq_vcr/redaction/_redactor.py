"""The redactor: every secret the detectors find, replaced in strings, bodies, requests, responses, cassettes.

Header shapes a client needs are kept (``Bearer gsk_REDACTED``, ``__cf_bm=REDACTED; path=/; HttpOnly``).
Redaction is deterministic and idempotent; bytes outside the secrets stay identical.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from groq_vcr._content_coding import content_codings, decode_body
from groq_vcr.cassette import Body, Cassette, Headers, Interaction, Request, Response, body_text_or_bytes
from groq_vcr.errors import SecretFoundError
from groq_vcr.redaction._detect import Detector, Span, apply_spans
from groq_vcr.redaction._rules import PLACEHOLDER, RedactionRules
from groq_vcr.redaction._scan import Finding, hit_findings, model_hits, refusal_message, scan, value_hits

__all__ = ["Redactor"]


_MASKED_URLS_KEPT = 4096


_MEMO_LIMIT = 4096
"""Entries a memo keeps before it starts over (bounded memory for cassettes of all-different values)."""


class Redactor:
    """Applies the built-in rules plus ``rules`` to strings, bodies, URLs, interactions and cassettes.

    Every ``redact_*`` method returns a new value and never mutates its argument.
    """

    def __init__(self, rules: RedactionRules | None = None) -> None:
        self.rules = rules or RedactionRules()
        self._detector = Detector(self.rules)
        self._masked_urls: dict[str, str] = {}
        """URL -> its redacted form: a suite sends the same few URLs thousands of times."""
        self._names: dict[str, str] = {}
        self._headers: dict[tuple[str, str], str] = {}
        """(name, value) -> the redacted value: a cassette repeats the same headers in every interaction."""

    def learn(self, headers: Headers, url: str = "") -> None:
        """Take every credential value in ``headers``/``url`` as a secret from now on (see ``Detector.learn``)."""
        if self._detector.learn(headers, url):
            # memoised results were computed without the new secret
            self._masked_urls.clear()
            self._headers.clear()

    def learn_interaction(self, interaction: Interaction) -> None:
        """Learn the credentials a recorded exchange carries (the request's, and the cookies the server set)."""
        self.learn(interaction.request.headers, interaction.request.url)
        self.learn(interaction.response.headers)

    def _redact(self, text: str, structural: Callable[[str], list[Span]] | None = None) -> str:
        # Replacing can in rare overlaps leave a fresh match; loop to the fixed point (bounded).
        for _ in range(4):
            spans = self._detector.text_spans(text)
            if structural is not None:
                spans.extend(structural(text))
            if not spans:
                return text
            text = apply_spans(text, spans)
        return text

    # -- public redaction --

    def redact_text(self, text: str) -> str:
        """``text`` with every text-rule secret replaced (keys, bearer tokens, cookies, user patterns)."""
        return self._redact(text)

    def redact_url(self, url: str) -> str:
        """``url`` with secret query parameters, URL passwords and keys replaced; the rest byte-identical."""
        return self._redact(url, self._detector.url_spans)

    def redact_header(self, name: str, value: str) -> str:
        """One header value, redacted for its header ``name``."""
        key = (name, value)
        done = self._headers.get(key)
        if done is None:
            done = self._redact(value, lambda v: self._detector.header_spans(name, v))
            if len(self._headers) >= _MEMO_LIMIT:
                self._headers.clear()
            self._headers[key] = done
        return done

    def redact_headers(self, headers: Headers) -> Headers:
        """A new header map with names and values redacted."""
        names = self._names
        out: Headers = {}
        for name, values in headers.items():
            redacted = names.get(name)
            if redacted is None:
                if len(names) >= _MEMO_LIMIT:
                    names.clear()
                redacted = names[name] = self.redact_text(name)
            out[redacted] = [self.redact_header(name, v) for v in values]
        return out

    def redact_body(self, body: Body, content_type: str | None = None) -> Body:
        """A body (``str`` or ``bytes``) redacted by its content type; the type is kept.

        Bytes are searched too (through a byte-for-byte latin-1 view, so binary data is never altered outside
        the secrets themselves).
        """
        if isinstance(body, bytes):
            text = body.decode("latin-1")
            redacted = self._redact(text, lambda t: self._detector.body_spans(t, content_type))
            return body if redacted == text else redacted.encode("latin-1")
        return self._redact(body, lambda t: self._detector.body_spans(t, content_type))

    def mask(self, url: str, body: bytes, content_type: str) -> tuple[str, bytes]:
        """A live request's URL and body as they would be saved, so it matches its redacted recording.

        The matcher's view of a request (a :data:`~groq_vcr.cassette.Masker`): a real key sent now matches the
        placeholder recorded then.
        """
        masked_url = self._masked_urls.get(url)
        if masked_url is None:
            if len(self._masked_urls) >= _MASKED_URLS_KEPT:
                self._masked_urls.clear()
            masked_url = self._masked_urls[url] = self.redact_url(url)
        if not body:
            return masked_url, body
        redacted = self.redact_body(body, content_type or None)
        return masked_url, redacted if isinstance(redacted, bytes) else redacted.encode("utf-8")

    def _redact_message(
        self, body: Body, headers: Headers, content_length: int, content_type: str | None
    ) -> tuple[Body, Headers, int]:
        """A message's redacted body and headers, with its length (field and header) following the body."""
        redacted = self.redact_body(body, content_type)
        new_headers = self.redact_headers(headers)
        if redacted != body:
            content_length = _adjusted_length(content_length, body, redacted)
            _adjust_content_length_header(new_headers, body, redacted)
        return redacted, new_headers, content_length

    def redact_request(self, request: Request) -> Request:
        """A redacted copy of ``request`` (also used to normalise a live request before matching).

        A compressed body is decoded first and stored decoded, without its ``Content-Encoding``.
        """
        self.learn(request.headers, request.url)
        decoded = _decoded(request.body, request.headers)
        if decoded is not None:
            body, headers = decoded
            length = len(body) if isinstance(body, bytes) else len(body.encode("utf-8"))
            request = dataclasses.replace(request, body=body, headers=headers, content_length=length)
        body, headers, content_length = self._redact_message(
            request.body, request.headers, request.content_length, request.header("Content-Type")
        )
        return dataclasses.replace(
            request,
            content_length=content_length,
            transfer_encoding=[self.redact_text(v) for v in request.transfer_encoding],
            trailer=self.redact_headers(request.trailer),
            host=self.redact_text(request.host),
            remote_addr=self.redact_text(request.remote_addr),
            request_uri=self.redact_url(request.request_uri),
            body=body,
            form={
                self.redact_text(name): [
                    PLACEHOLDER if self._detector.form_value_spans(name, v) else self.redact_text(v) for v in values
                ]
                for name, values in request.form.items()
            },
            headers=headers,
            url=self.redact_url(request.url),
            method=self.redact_text(request.method),
        )

    def redact_response(self, response: Response) -> Response:
        """A redacted copy of ``response``; a compressed body is stored decoded (``uncompressed: true``)."""
        self.learn(response.headers)
        decoded = _decoded(response.body, response.headers)
        if decoded is not None:
            body, headers = decoded
            response = dataclasses.replace(response, body=body, headers=headers, content_length=-1, uncompressed=True)
        body, headers, content_length = self._redact_message(
            response.body, response.headers, response.content_length, response.header("Content-Type")
        )
        return dataclasses.replace(
            response,
            transfer_encoding=[self.redact_text(v) for v in response.transfer_encoding],
            trailer=self.redact_headers(response.trailer),
            content_length=content_length,
            body=body,
            headers=headers,
            status=self.redact_text(response.status),
        )

    def redact_interaction(self, interaction: Interaction) -> Interaction:
        """A redacted copy of ``interaction``."""
        self.learn_interaction(interaction)
        return Interaction(
            request=self.redact_request(interaction.request),
            response=self.redact_response(interaction.response),
            id=interaction.id,
        )

    def redact_cassette(self, cassette: Cassette) -> Cassette:
        """A redacted copy of ``cassette`` (extra top-level keys included).

        Every credential in the cassette is learnt first, so a cookie set by a later response is also removed
        where an earlier body quoted it.
        """
        for interaction in cassette.interactions:
            self.learn_interaction(interaction)
        return Cassette(
            interactions=[self.redact_interaction(i) for i in cassette.interactions],
            version=cassette.version,
            extra=self._redact_value(cassette.extra),
        )

    def _redact_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, bytes):
            return self.redact_body(value)
        if isinstance(value, Mapping):
            return {self._redact_value(k): self._redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._redact_value(v) for v in value)
        return value

    # -- scanning --

    def scan_text(self, text: str, *, source: str | None = None) -> list[Finding]:
        """Every secret in ``text`` (a cassette or any text file), by line, with masked excerpts.

        When ``text`` is a cassette, findings also name the interaction and field, and the structural rules
        run too (sensitive headers, query parameters, JSON fields, ``!!binary`` bodies decoded).
        """
        return scan(self._detector, text, source)

    def assert_clean_cassette(self, cassette: Cassette, text: str, path: str | Path | None = None) -> None:
        """Raise :class:`SecretFoundError` when ``cassette``, whose YAML is ``text``, holds a secret.

        The check runs on the cassette's decoded values (so no escape in the text can hide a secret) and needs no
        parsing; only when it finds something is ``text`` scanned, to name the line of each finding.
        """
        hits = model_hits(self._detector, cassette)
        if not hits:
            return
        source = str(path) if path is not None else None
        findings = self.scan_text(text, source=source) or hit_findings(hits, text, source)
        raise SecretFoundError(refusal_message(findings, path))

    def assert_clean_values(self, value: Any, text: str, path: str | Path | None = None) -> None:
        """Like :meth:`assert_clean_cassette` for any document (a vcrpy cassette's dict) serialised as ``text``:
        its decoded strings are checked, so no escape the writer chose (a leading U+FEFF makes every character
        an escape) can hide a secret from the check."""
        hits = list(value_hits(self._detector, value, "cassette"))
        if not hits:
            return
        source = str(path) if path is not None else None
        findings = self.scan_text(text, source=source) or hit_findings(hits, text, source)
        raise SecretFoundError(refusal_message(findings, path))

    def assert_clean(self, text: str, path: str | Path | None = None) -> None:
        """Raise :class:`SecretFoundError` when ``text`` (about to be written to ``path``) holds a secret."""
        findings = self.scan_text(text, source=str(path) if path is not None else None)
        if findings:
            raise SecretFoundError(refusal_message(findings, path))


def _adjusted_length(recorded: int, old: Body, new: Body) -> int:
    old_length = len(old.encode("utf-8") if isinstance(old, str) else old)
    if recorded != old_length:
        return recorded  # -1 (streamed) or not the body's length: leave it as recorded
    return len(new.encode("utf-8") if isinstance(new, str) else new)


def _adjust_content_length_header(headers: Headers, old: Body, new: Body) -> None:
    old_length = str(len(old.encode("utf-8") if isinstance(old, str) else old))
    new_length = str(len(new.encode("utf-8") if isinstance(new, str) else new))
    for name, values in headers.items():
        if name.lower() == "content-length":
            headers[name] = [new_length if v == old_length else v for v in values]


def _decoded(body: Body, headers: Headers) -> tuple[Body, Headers] | None:
    """``body`` decoded by its ``Content-Encoding`` with the headers a decoded body has, or None when plain.

    Never edit bytes inside a compressed frame: a secret there would survive (or the frame break). Raises
    :class:`~groq_vcr._content_coding.UndecodableBody` when the body cannot be decoded, so it is never stored.
    """
    if not isinstance(body, bytes) or not body:
        return None  # a text body was decoded already (the header is left from the live exchange)
    codings = content_codings(headers)
    if not codings:
        return None
    plain = decode_body(codings, body)
    length = str(len(plain))
    kept: Headers = {}
    for name, values in headers.items():
        lowered = name.lower()
        if lowered == "content-encoding":
            continue
        kept[name] = [length] * len(values) if lowered == "content-length" else list(values)
    return body_text_or_bytes(plain), kept
