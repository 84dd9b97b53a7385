"""The fail-closed scan: every secret left in a text, located by line and, in a cassette, by interaction and field.

A raw pass runs the text rules over the whole text, so nothing hides from it whatever the layout; when the text
is a cassette, its YAML is composed (not loaded) to place each finding and to run the structural rules on
headers, URLs, bodies (``!!binary`` ones decoded) and form fields.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from groq_vcr.cassette import Cassette, Request, Response, structure_error
from groq_vcr.redaction._detect import Detector, merge_spans
from groq_vcr.redaction._rules import mask_secret

__all__ = ["Finding", "ModelHit", "hit_findings", "model_hits", "refusal_message", "scan", "value_hits"]


@dataclass(frozen=True)
class Finding:
    """One secret found by a scan. Holds no secret: ``excerpt`` is masked."""

    rule: str
    line: int
    """1-based line in the scanned text (for a secret inside a ``!!binary`` body: the body's line)."""
    column: int
    excerpt: str
    source: str | None = None
    interaction: int | None = None
    """Index of the interaction in the cassette, when the text is a cassette."""
    field: str | None = None
    """Where in the interaction: ``request.headers.Authorization[0]``, ``response.body``, ``request.url``."""

    @property
    def where(self) -> str:
        """``interaction 0, request.headers.Authorization[0]`` (empty when not in a cassette)."""
        parts = []
        if self.interaction is not None:
            parts.append(f"interaction {self.interaction}")
        if self.field:
            parts.append(self.field)
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.source or '<text>'}:{self.line}: {self.rule}: {self.excerpt}"
        return f"{text}  ({self.where})" if self.where else text


def refusal_message(findings: Sequence[Finding], path: str | Path | None) -> str:
    """Why a cassette about to be written to ``path`` was not written: each finding, and how to fix it."""
    target = str(path) if path is not None else "the cassette"
    count = f"{len(findings)} secret{'s' if len(findings) != 1 else ''}"
    lines = [f"Refusing to write {target}: it still holds {count}, so nothing was written."]
    for finding in findings[:20]:
        where = f", {finding.where}" if finding.where else ""
        lines.append(f"  line {finding.line}{where}: rule {finding.rule}: {finding.excerpt}")
    if len(findings) > 20:
        lines.append(f"  … and {len(findings) - 20} more")
    lines.append(
        "Something put the secret back after redaction (a before-save hook or custom serializer), or no rule "
        "covers it: remove it there, or add a rule under [tool.groq-vcr.redact] (headers, json-fields, "
        "query-params, patterns)."
    )
    return "\n".join(lines)


# --- scanning raw text (with the cassette structure when there is one) ---------------------------------


@dataclass
class _Located:
    """A scalar of a composed cassette: where it is in the text and in the model."""

    node: yaml.ScalarNode
    interaction: int
    field: str
    kind: str  # "text" | "header" | "url" | "body" | "form"
    header: str = ""
    content_type: str | None = None


_BINARY_TAG = "tag:yaml.org,2002:binary"


@dataclass
class _Hit:
    """A secret the structural rules found in a scalar, before its excerpt is built."""

    loc: _Located
    rule: str
    secret: str
    line: int
    column: int
    offset: int | None
    """Where the secret is in the raw text (None: not there verbatim, e.g. inside ``!!binary``)."""
    start: int
    """Where it is in the scalar's decoded value."""
    shown: str
    siblings: list[tuple[int, int, str]]


def _mapping_get(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _content_type_of(message: yaml.Node) -> str | None:
    headers = _mapping_get(message, "headers")
    if not isinstance(headers, yaml.MappingNode):
        return None
    for k, v in headers.value:
        if isinstance(k, yaml.ScalarNode) and k.value.lower() == "content-type":
            if isinstance(v, yaml.SequenceNode) and v.value and isinstance(v.value[0], yaml.ScalarNode):
                return str(v.value[0].value)
            if isinstance(v, yaml.ScalarNode):
                return str(v.value)
    return None


def _collect(
    node: yaml.Node, interaction: int, path: str, out: list[_Located], content_type: str | None = None
) -> None:
    """Every scalar under an interaction node, with its model field path and the rules that apply."""
    if isinstance(node, yaml.ScalarNode):
        out.append(_Located(node, interaction, path, "text"))
        return
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect(item, interaction, f"{path}[{index}]", out, content_type)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
        child = f"{path}.{key}" if path else key
        if isinstance(key_node, yaml.ScalarNode):
            out.append(_Located(key_node, interaction, f"{child} (key)", "text"))
        if key in ("headers", "trailer") and isinstance(value, yaml.MappingNode):
            for name_node, values in value.value:
                if not isinstance(name_node, yaml.ScalarNode):
                    continue
                name = str(name_node.value)
                out.append(_Located(name_node, interaction, f"{child}.{name} (name)", "text"))
                items = values.value if isinstance(values, yaml.SequenceNode) else [values]
                for index, item in enumerate(items):
                    if isinstance(item, yaml.ScalarNode):
                        suffix = f"[{index}]" if isinstance(values, yaml.SequenceNode) else ""
                        out.append(_Located(item, interaction, f"{child}.{name}{suffix}", "header", header=name))
        elif key in ("url", "uri", "request_uri") and isinstance(value, yaml.ScalarNode):
            out.append(_Located(value, interaction, child, "url"))
        elif key == "body" and isinstance(value, yaml.ScalarNode):
            out.append(_Located(value, interaction, child, "body", content_type=_content_type_of(node)))
        elif (
            key == "body"
            and isinstance(value, yaml.MappingNode)
            and isinstance(_mapping_get(value, "string"), yaml.ScalarNode)
        ):
            # vcrpy v1: body: {string: ...}
            inner = _mapping_get(value, "string")
            assert isinstance(inner, yaml.ScalarNode)
            out.append(_Located(inner, interaction, f"{child}.string", "body", content_type=_content_type_of(node)))
        elif key == "form" and isinstance(value, yaml.MappingNode):
            for name_node, values in value.value:
                if isinstance(name_node, yaml.ScalarNode):
                    out.append(_Located(name_node, interaction, f"{child}.{name_node.value} (name)", "text"))
                    items = values.value if isinstance(values, yaml.SequenceNode) else [values]
                    for index, item in enumerate(items):
                        if isinstance(item, yaml.ScalarNode):
                            out.append(
                                _Located(
                                    item,
                                    interaction,
                                    f"{child}.{name_node.value}[{index}]",
                                    "form",
                                    header=str(name_node.value),
                                )
                            )
        else:
            _collect(value, interaction, child, out, content_type)


class _Scan:
    def __init__(self, detector: Detector, text: str, source: str | None) -> None:
        self.detector = detector
        self.text = text
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.located: list[_Located] = []
        self.located_starts: list[int] = []

    def _compose(self) -> None:
        head = self.text[:4096]
        if "interactions" not in self.text:
            return
        if not (head.lstrip().startswith(("---", "version", "{", "interactions", "#")) or "\ninteractions:" in head):
            return
        refused = structure_error(self.text, aliases=True)  # walking the nodes would expand aliases
        if refused is not None:
            raise refused.with_path(self.source) if self.source else refused
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            root = yaml.compose(self.text, Loader=loader)
        except yaml.YAMLError:
            return
        interactions = _mapping_get(root, "interactions") if root is not None else None
        if not isinstance(interactions, yaml.SequenceNode):
            return
        for index, item in enumerate(interactions.value):
            _collect(item, index, "", self.located)
        self.located.sort(key=lambda loc: loc.node.start_mark.index)
        self.located_starts = [loc.node.start_mark.index for loc in self.located]

    def _locate(self, offset: int) -> _Located | None:
        index = bisect.bisect_right(self.located_starts, offset) - 1
        if index >= 0:
            loc = self.located[index]
            if offset < loc.node.end_mark.index:
                return loc
        return None

    def _position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def run(self) -> list[Finding]:
        self._compose()
        raw: list[tuple[int, int, str]] = [
            (s.start, s.end, s.rule) for s in merge_spans(self.detector.text_spans(self.text))
        ]
        covered = {(s, e) for s, e, _ in raw}
        structural = [hit for loc in self.located for hit in self._structural(loc, raw, covered)]
        # Every secret found on a line is masked in every excerpt of that line, whichever pass found it.
        every = [*raw, *((h.offset, h.offset + len(h.secret), h.rule) for h in structural if h.offset is not None)]
        findings: list[Finding] = []
        for start, end, rule in raw:
            line, column = self._position(start)
            loc = self._locate(start)
            findings.append(
                Finding(
                    rule=rule,
                    line=line,
                    column=column,
                    excerpt=self._excerpt(self.text, start, end, every),
                    source=self.source,
                    interaction=loc.interaction if loc else None,
                    field=loc.field if loc else None,
                )
            )
        for hit in structural:
            if hit.offset is not None:
                excerpt = self._excerpt(self.text, hit.offset, hit.offset + len(hit.secret), every)
            else:
                excerpt = self._excerpt(hit.shown, hit.start, hit.start + len(hit.secret), hit.siblings)
            findings.append(
                Finding(hit.rule, hit.line, hit.column, excerpt, self.source, hit.loc.interaction, hit.loc.field)
            )
        findings.sort(key=lambda f: (f.line, f.column, f.rule))
        return findings

    def _structural(self, loc: _Located, raw: list[tuple[int, int, str]], covered: set[tuple[int, int]]) -> list[_Hit]:
        node = loc.node
        value = str(node.value)
        detector = self.detector
        binary = node.tag == _BINARY_TAG
        if binary:
            try:
                value = base64.b64decode("".join(value.split()), validate=True).decode("latin-1")
            except (binascii.Error, ValueError):
                return []
        if loc.kind == "header":
            spans = detector.header_spans(loc.header, value)
        elif loc.kind == "url":
            spans = detector.url_spans(value)
        elif loc.kind == "body":
            spans = detector.body_spans(value, loc.content_type)
        elif loc.kind == "form":
            spans = detector.form_value_spans(loc.header, value)
        else:
            spans = []
        if binary:
            spans.extend(detector.text_spans(value))  # the raw pass cannot see inside base64
        hits = []
        merged = merge_spans(spans)
        shown = "".join(c if c.isprintable() else "." for c in value)
        siblings = [(s.start, s.end, s.rule) for s in merged]
        for span in merged:
            secret = value[span.start : span.end]
            line, column, offset = self._find_in_text(node, secret)
            if offset is not None and any(s <= offset < e for s, e, _ in raw):
                continue  # the raw pass already reported it
            hits.append(_Hit(loc, span.rule, secret, line, column, offset, span.start, shown, siblings))
        return hits

    def _find_in_text(self, node: yaml.ScalarNode, secret: str) -> tuple[int, int, int | None]:
        """Where ``secret`` (from the scalar's value) is in the raw text; the scalar's start when not found."""
        if node.tag != _BINARY_TAG and secret:
            offset = self.text.find(secret, node.start_mark.index, node.end_mark.index)
            if offset >= 0:
                line, column = self._position(offset)
                return line, column, offset
        return node.start_mark.line + 1, node.start_mark.column + 1, None

    @staticmethod
    def _excerpt(text: str, start: int, end: int, spans: Iterable[tuple[int, int, str]], width: int = 30) -> str:
        """The line around ``text[start:end]`` with every secret on it masked."""
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        pieces: list[str] = []
        pos = line_start
        target = 0
        for s, e, _ in sorted({(s, e, r) for s, e, r in spans if s < line_end and e > line_start}):
            s, e = max(s, line_start), min(e, line_end)
            if s < pos:
                continue
            pieces.append(text[pos:s])
            if s == start:
                target = sum(len(p) for p in pieces)
            pieces.append(mask_secret(text[s:e]))
            pos = e
        pieces.append(text[pos:line_end])
        masked = "".join(pieces)
        left = max(0, target - width)
        right = min(len(masked), target + len(mask_secret(text[start:end])) + width)
        excerpt = masked[left:right].strip()
        return ("…" if left > 0 else "") + excerpt + ("…" if right < len(masked) else "")


def scan(detector: Detector, text: str, source: str | None = None) -> list[Finding]:
    """Every secret ``detector`` finds in ``text`` (named ``source`` in the findings), in text order."""
    return _Scan(detector, text, source).run()


@dataclass(frozen=True)
class ModelHit:
    """A secret found in a cassette's model (its decoded values), before any text exists to place it in."""

    interaction: int | None
    field: str
    rule: str


def _header_rules(
    detector: Detector, name: str, value: str | None, seen: dict[tuple[str, str | None], list[str]]
) -> list[str]:
    """The rules a header name (``value`` None) or value breaks; a cassette repeats them, so each is checked once."""
    key = (name, value)
    rules = seen.get(key)
    if rules is None:
        spans = (
            detector.text_spans(name)
            if value is None
            else [*detector.header_spans(name, value), *detector.text_spans(value)]
        )
        rules = seen[key] = [span.rule for span in spans]
    return rules


def _message_hits(
    detector: Detector,
    message: Request | Response,
    where: str,
    index: int,
    seen: dict[tuple[str, str | None], list[str]],
) -> Iterable[ModelHit]:
    content_type = next((v[0] for k, v in message.headers.items() if k.lower() == "content-type" and v), None)
    for group in ("headers", "trailer"):
        for name, values in getattr(message, group).items():
            for rule in _header_rules(detector, name, None, seen):
                yield ModelHit(index, f"{where}.{group}.{name} (name)", rule)
            for position, value in enumerate(values):
                for rule in _header_rules(detector, name, value, seen):
                    yield ModelHit(index, f"{where}.{group}.{name}[{position}]", rule)
    body = message.body if isinstance(message.body, str) else message.body.decode("latin-1")
    for span in (*detector.body_spans(body, content_type), *detector.text_spans(body)):
        yield ModelHit(index, f"{where}.body", span.rule)
    texts = [message.proto, *message.transfer_encoding]
    if isinstance(message, Request):
        for span in (*detector.url_spans(message.url), *detector.text_spans(message.url)):
            yield ModelHit(index, f"{where}.url", span.rule)
        for name, values in message.form.items():
            for position, value in enumerate(values):
                for span in (*detector.form_value_spans(name, value), *detector.text_spans(value)):
                    yield ModelHit(index, f"{where}.form.{name}[{position}]", span.rule)
            texts.append(name)
        texts += [message.host, message.remote_addr, message.request_uri, message.method]
    else:
        texts.append(message.status)
    for text in texts:
        for span in detector.text_spans(text):
            yield ModelHit(index, f"{where} (a field)", span.rule)


def value_hits(detector: Detector, value: object, field: str) -> Iterable[ModelHit]:
    """Every secret in the strings of ``value`` (nested dicts, lists, bytes), by field."""
    if isinstance(value, str):
        yield from (ModelHit(None, field, span.rule) for span in detector.text_spans(value))
    elif isinstance(value, bytes):
        yield from value_hits(detector, value.decode("latin-1"), field)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from value_hits(detector, key, f"{field} (key)")
            yield from value_hits(detector, item, f"{field}.{key}")
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            yield from value_hits(detector, item, f"{field}[{position}]")


def model_hits(detector: Detector, cassette: Cassette) -> list[ModelHit]:
    """Every secret in the values of ``cassette`` (decoded: whatever escapes its YAML text will use), without
    writing or parsing any text. The text rules run on every string, the structural ones where they apply."""
    hits: list[ModelHit] = []
    seen: dict[tuple[str, str | None], list[str]] = {}
    for index, interaction in enumerate(cassette.interactions):
        hits.extend(_message_hits(detector, interaction.request, "request", index, seen))
        hits.extend(_message_hits(detector, interaction.response, "response", index, seen))
    hits.extend(value_hits(detector, cassette.extra, "top level"))
    return hits


def hit_findings(hits: Sequence[ModelHit], text: str, source: str | None) -> list[Finding]:
    """Findings for secrets the text scan could not place (escaped in the text): each at its interaction's line."""
    findings = []
    for hit in hits:
        line = 1
        if hit.interaction is not None:
            found = re.search(rf"(?m)^\s*- id: {hit.interaction}\s*$", text)
            line = text.count("\n", 0, found.start()) + 1 if found else 1
        findings.append(Finding(hit.rule, line, 1, "(escaped in the text)", source, hit.interaction, hit.field))
    return findings
