"""Read go-vcr cassettes: any YAML layout go-vcr accepts, with the file, line and reason of every problem.

PyYAML's libyaml loader (``CSafeLoader``; the pure-Python one when libyaml is missing) with a resolver limited
to what the format needs (decimal integers, ``true``/``false``, null), so every other plain scalar stays the
exact text go-vcr would read. The model is built straight from libyaml's events, each interaction as soon as it
has been read (from a file, in chunks: :func:`load_cassette_stream`), with short strings shared, so loading
peaks well under three times the file's size. Only when something is wrong is the text read whole and the YAML
re-composed to find the line and column to report.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import yaml

from groq_vcr.cassette._bulk import gc_paused, string_sharer
from groq_vcr.cassette._durations import parse_go_duration
from groq_vcr.cassette._guard import MAX_NESTING, libyaml_depth_error, structure_error, too_deep_error
from groq_vcr.cassette._model import Body, Cassette, Headers, Interaction, Request, Response
from groq_vcr.cassette._resolve import GO_BOOL_WORDS
from groq_vcr.errors import CassetteFormatError

__all__ = [
    "MAX_NESTING",
    "load_cassette_stream",
    "load_cassette_text",
    "nesting_error",
    "validate_cassette_text",
]

_BaseLoader: type[yaml.SafeLoader]
try:
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class _CassetteLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that resolves only decimal ints, true/false and null; every other plain scalar is text."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry


_CassetteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"-?(?:0|[1-9][0-9]*)\Z"), list("-0123456789")
)
_CassetteLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"(?:true|false)\Z"), list("tf"))
_CassetteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"(?:~|null|Null|NULL|)\Z"), ["~", "n", "N", ""]
)

Path_ = tuple[Any, ...]


class _Invalid(Exception):
    def __init__(self, path: Path_, problem: str, *, at_key: bool = False) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem
        self.at_key = at_key


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _where(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def _to_str(value: Any, path: Path_) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    raise _Invalid(path, f"`{_where(path)}` must be text, found {_describe(value)}")


def _to_int(value: Any, path: Path_) -> int:
    if type(value) is int:
        return value
    if value is None:
        return 0
    raise _Invalid(path, f"`{_where(path)}` must be an integer, found {_describe(value)}")


def _to_bool(value: Any, path: Path_) -> bool:
    if type(value) is bool:
        return value
    if value is None:
        return False
    if type(value) is str and value in GO_BOOL_WORDS:
        return GO_BOOL_WORDS[value]
    raise _Invalid(path, f"`{_where(path)}` must be true or false, found {_describe(value)}")


def _to_body(value: Any, path: Path_) -> Body:
    if type(value) is str:
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return _to_str(value, path)


def _to_str_list(value: Any, path: Path_) -> list[str]:
    if type(value) is list:
        if all(type(v) is str for v in value):
            return value
        return [_to_str(v, (*path, i)) for i, v in enumerate(value)]
    if value is None:
        return []
    raise _Invalid(path, f"`{_where(path)}` must be a list (`- value` lines), found {_describe(value)}")


def _to_headers(value: Any, path: Path_) -> Headers:
    if type(value) is dict:
        if all(type(name) is str for name in value):  # the usual case: keep the loaded mapping, no copy
            for name, values in value.items():
                converted = _to_str_list(values, (*path, name))
                if converted is not values:
                    value[name] = converted
            return value
        out: Headers = {}
        for name, values in value.items():
            key = name if type(name) is str else _to_str(name, (*path, name))
            out[key] = _to_str_list(values, (*path, name))
        return out
    if value is None:
        return {}
    raise _Invalid(path, f"`{_where(path)}` must be a mapping of names to lists of values, found {_describe(value)}")


def _to_duration(value: Any, path: Path_) -> int:
    if value is None or value == "":  # go-vcr format 1 writes an unset duration as ""
        return 0
    if type(value) is str:
        try:
            return parse_go_duration(value)
        except ValueError as exc:
            raise _Invalid(path, f"`{_where(path)}` is not a Go duration: {exc}") from None
    raise _Invalid(
        path,
        f"`{_where(path)}` must be Go duration text such as '94.9ms' or '0s', found {_describe(value)}"
        " (go-vcr rejects a bare number)",
    )


_Converter = Callable[[Any, Path_], Any]
_REQUEST_FIELDS: tuple[tuple[str, _Converter, Any], ...] = (
    ("proto", _to_str, ""),
    ("proto_major", _to_int, 0),
    ("proto_minor", _to_int, 0),
    ("content_length", _to_int, 0),
    ("transfer_encoding", _to_str_list, None),
    ("trailer", _to_headers, None),
    ("host", _to_str, ""),
    ("remote_addr", _to_str, ""),
    ("request_uri", _to_str, ""),
    ("body", _to_body, ""),
    ("form", _to_headers, None),
    ("headers", _to_headers, None),
    ("url", _to_str, ""),
    ("method", _to_str, ""),
)
_RESPONSE_FIELDS: tuple[tuple[str, _Converter, Any], ...] = (
    ("proto", _to_str, ""),
    ("proto_major", _to_int, 0),
    ("proto_minor", _to_int, 0),
    ("transfer_encoding", _to_str_list, None),
    ("trailer", _to_headers, None),
    ("content_length", _to_int, 0),
    ("uncompressed", _to_bool, False),
    ("body", _to_body, ""),
    ("headers", _to_headers, None),
    ("status", _to_str, ""),
    ("code", _to_int, 0),
    ("duration", _to_duration, 0),
)
_REQUIRED = {"request": ("url", "method"), "response": ("code",)}


def _no_response() -> dict[str, Any]:
    """go-vcr's zero ``Response`` (code 0), what it loads for an interaction whose request failed when recorded."""
    return {
        name: ({} if convert is _to_headers else []) if zero is None else zero
        for name, convert, zero in _RESPONSE_FIELDS
    }


_VCRPY_HINT = " (this looks like a vcrpy cassette: convert it with `groq-vcr convert --to v2 FILE`)"


def _is_go_vcr_v1(interactions: Any) -> bool:
    """Whether a ``version: 1`` file is go-vcr's format 1 (requests have ``url``), not vcrpy's (``uri``)."""
    if type(interactions) is not list:
        return False
    for item in interactions:
        if type(item) is Interaction:
            return True
        request = item.get("request") if type(item) is dict else None
        if type(request) is dict:
            return "url" in request and "uri" not in request
    return True  # no interaction tells: an empty go-vcr file


class _Builder:
    """Builds the model from loaded data; raises the first problem, or collects all of them."""

    def __init__(self, collect: bool, *, fresh: bool = False) -> None:
        self.collect = collect
        # Whether every mapping in the data is its own object (the event builder's); PyYAML shares aliased ones,
        # and the model's header mappings must not be shared between interactions.
        self.fresh = fresh
        self.problems: list[_Invalid] = []
        self.go_vcr_v1 = False

    def fail(self, problem: _Invalid) -> None:
        if not self.collect:
            raise problem
        self.problems.append(problem)

    def cassette(self, data: Any) -> Cassette:
        if not isinstance(data, dict):
            raise _Invalid(
                (), f"a cassette must be a YAML mapping with `version: 2` and `interactions`, found {_describe(data)}"
            )
        if "version" not in data:
            hint = "" if _is_go_vcr_v1(data.get("interactions")) else _VCRPY_HINT  # requests with `uri`: vcrpy's
            self.fail(_Invalid((), f"`version` is missing; a go-vcr cassette starts with `version: 2`{hint}"))
        else:
            version = data["version"]
            if type(version) is int and version == 1 and _is_go_vcr_v1(data.get("interactions")):
                self.go_vcr_v1 = True  # go-vcr's own format 1 (go-vcr v1 and v2 libraries): a subset of 2
            elif type(version) is not int or version != 2:
                hint = ""
                if version == 1 and isinstance(data.get("interactions"), list):
                    hint = _VCRPY_HINT
                self.fail(_Invalid(("version",), f"`version` must be the integer 2, found {_describe(version)}{hint}"))
        if "interactions" not in data:
            self.fail(_Invalid((), "`interactions` is missing; write `interactions: []` for an empty cassette"))
        raw = data.get("interactions")
        items: list[Any] = []
        if type(raw) is list:
            items = raw
        elif raw is not None:
            self.fail(_Invalid(("interactions",), f"`interactions` must be a list, found {_describe(raw)}"))
        interactions = []
        for i, item in enumerate(items):
            if type(item) is Interaction:  # built while the YAML was read (``_streamed``)
                interactions.append(item)
                continue
            built = self.interaction(item, ("interactions", i))
            if built is not None:
                interactions.append(built)
        extra = {k: v for k, v in data.items() if k != "version" and k != "interactions"}
        return Cassette(interactions=interactions, extra=extra)

    def interaction(self, item: Any, path: Path_) -> Interaction | None:
        if type(item) is not dict:
            self.fail(_Invalid(path, f"interaction {path[-1]} must be a mapping with `request` and `response`"))
            return None
        parts: dict[str, dict[str, Any]] = {}
        for part in ("request", "response"):
            value = item.get(part)
            if type(value) is dict:
                parts[part] = self.fields(
                    value, (*path, part), _REQUEST_FIELDS if part == "request" else _RESPONSE_FIELDS
                )
            elif part == "response" and value is None:
                parts[part] = _no_response()  # go-vcr loads its zero Response; replaying it is an error
            elif part not in item:
                self.fail(_Invalid(path, f"interaction {path[-1]} has no `{part}`"))
            else:
                self.fail(
                    _Invalid((*path, part), f"`{_where((*path, part))}` must be a mapping, found {_describe(value)}")
                )
        if len(parts) < 2:
            return None
        raw_id = item.get("id", path[-1])
        return Interaction(
            request=Request(**parts["request"]),
            response=Response(**parts["response"]),
            id=raw_id if type(raw_id) is int else path[-1],
        )

    def fields(
        self, data: dict[str, Any], path: Path_, spec: tuple[tuple[str, _Converter, Any], ...]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, convert, default in spec:
            if name in data:
                value = data[name]
                if type(value) is dict and not self.fresh:
                    value = dict(value)
                try:
                    out[name] = convert(value, (*path, name))
                    continue
                except _Invalid as exc:
                    self.fail(exc)
            out[name] = ({} if convert is _to_headers else []) if default is None else default
        for name in _REQUIRED[path[-1]]:
            if name not in data:
                self.fail(_Invalid(path, f"`{_where(path)}` has no `{name}`"))
        return out


def _yaml_error(exc: yaml.YAMLError) -> CassetteFormatError:
    too_deep = libyaml_depth_error(exc)
    if too_deep is not None:
        return too_deep
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}, {exc.problem}"
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        return CassetteFormatError(f"YAML syntax error: {problem}", line=line, column=column)
    if isinstance(exc, yaml.reader.ReaderError):
        return CassetteFormatError(f"the file holds a character YAML does not allow: {exc}")
    return CassetteFormatError(f"YAML error: {exc}")


def nesting_error(text: str, limit: int = MAX_NESTING) -> CassetteFormatError | None:
    """A :class:`CassetteFormatError` when ``text`` nests collections deeper than ``limit``, else None (anchors
    and repeated keys allowed: :func:`structure_error` refuses those too).

    Scans libyaml's events, which does not recurse; text that is not YAML gives None (the loader reports it).
    """
    loader = _CassetteLoader(text)
    depth = 0
    try:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > limit:
                    return too_deep_error(event.start_mark, limit)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
            elif event is None or isinstance(event, yaml.StreamEndEvent):
                return None
    except yaml.YAMLError as exc:
        return libyaml_depth_error(exc, limit)
    finally:
        loader.dispose()


class _Unusual(Exception):
    """The document uses something the event builder leaves to PyYAML (anchors, aliases, other tags...)."""


_STR_TAGS = frozenset({None, "!", "tag:yaml.org,2002:str"})
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_NO_KEY = object()


_Source = str | bytes | IO[bytes]
_OnInteraction = Callable[[Any, int], Any]


def _build_from_events(source: _Source, on_interaction: _OnInteraction | None = None) -> Any:
    """Build the document straight from libyaml's events, without PyYAML's node graph and constructors.

    Gives what ``yaml.load(source, Loader=_CassetteLoader)`` gives (equal values), about three times faster and
    in far less memory: ``source`` may be a binary file, read in libyaml-sized chunks; short strings are shared
    (a cassette repeats the same header names and values thousands of times); lists get their exact size; and
    ``on_interaction(item, index)``, when given, replaces each item of the top-level ``interactions`` list as
    soon as it is complete, so the whole tree of plain mappings never exists at once. Raises :class:`_Unusual`
    for documents using anchors, aliases, tags other than str/binary/map/seq, non-scalar keys or several
    documents, which then go the standard way.
    """
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    share = string_sharer()
    loader = _CassetteLoader(source)
    try:
        get = loader.get_event
        get()  # stream start
        if isinstance(get(), yaml.StreamEndEvent):
            return None
        root: Any = None
        # For each open collection: (its parent, None at the document level; where it sits in the parent).
        stack: list[tuple[Any, Any]] = []
        top: Any = None  # the open mapping or sequence, None at the document level
        key: Any = _NO_KEY  # the key waiting for its value in ``top`` when it is a mapping
        while True:
            event = get()
            kind = type(event)
            value: Any
            if kind is scalar_event:
                tag = event.tag
                raw = event.value
                if event.anchor is not None:
                    raise _Unusual
                if tag is None and event.implicit[0]:
                    if raw in _NULL_WORDS:
                        value = None
                    elif raw == "true" or raw == "false":
                        value = raw == "true"
                    elif raw[0] in "-0123456789" and _PLAIN_INT.match(raw):
                        value = int(raw)
                    else:
                        value = share(raw)
                elif tag in _STR_TAGS:
                    value = share(raw)
                elif tag == "tag:yaml.org,2002:binary":
                    try:
                        value = base64.decodebytes(raw.encode("ascii"))
                    except (ValueError, UnicodeError):
                        raise _Unusual from None  # PyYAML's constructor reports it with its line
                else:
                    raise _Unusual
            elif kind is mapping_start:
                if event.anchor is not None or event.tag not in (None, "tag:yaml.org,2002:map"):
                    raise _Unusual
                value = {}
            elif kind is sequence_start:
                if event.anchor is not None or event.tag not in (None, "tag:yaml.org,2002:seq"):
                    raise _Unusual
                value = []
            elif kind is mapping_end or kind is sequence_end:
                done = top
                top, slot = stack.pop()
                key = _NO_KEY
                if kind is sequence_end:
                    done = done[:]  # built by appends, it has spare room; the copy has none
                elif (
                    on_interaction is not None
                    and len(stack) == 2
                    and stack[1][1] == "interactions"
                    and stack[0][0] is None
                    and type(stack[1][0]) is dict
                ):
                    done = on_interaction(done, slot)
                else:
                    continue
                if top is None:
                    root = done
                else:
                    top[slot] = done
                continue
            elif kind is yaml.DocumentEndEvent:
                break
            else:
                raise _Unusual
            if top is None:
                root = value
                slot = None
            elif type(top) is list:
                slot = len(top)
                top.append(value)
            elif key is _NO_KEY:
                if type(value) is dict or type(value) is list or value in top:
                    raise _Unusual  # a repeated key: refused, with both lines, by the standard way
                key = value
                continue
            else:
                top[key] = value
                slot, key = key, _NO_KEY
            if type(value) is dict or type(value) is list:
                stack.append((top, slot))
                top, key = value, _NO_KEY
                if len(stack) > MAX_NESTING:  # stop now: libyaml's parser is quadratic in the depth
                    raise too_deep_error(event.start_mark)
        if not isinstance(get(), yaml.StreamEndEvent):
            raise _Unusual  # several documents: PyYAML reports it
        return root
    finally:
        loader.dispose()


def _parse(text: str) -> Any:
    with gc_paused():
        try:
            try:
                return _build_from_events(text)
            except _Unusual:
                refused = structure_error(text)
                if refused is not None:
                    raise refused from None
                return yaml.load(text, Loader=_CassetteLoader)
        except yaml.YAMLError as exc:
            raise _yaml_error(exc) from None
        except (ValueError, TypeError, UnicodeError) as exc:  # a constructor choking on a value (e.g. bad base64)
            raise CassetteFormatError(f"a value cannot be read: {exc}") from None


def _streamed(source: _Source) -> Cassette:
    """The cassette in ``source``, each interaction built as soon as libyaml has read it.

    Raises :class:`_Unusual`, :class:`_Invalid`, or YAML/value errors; callers then load the text the standard
    way, which reports the problem (and keeps the order in which problems are reported).
    """
    builder = _Builder(collect=False, fresh=True)
    failed = False

    def on_interaction(item: Any, index: int) -> Any:
        nonlocal failed
        if failed:
            return item
        try:
            return builder.interaction(item, ("interactions", index))
        except _Invalid:
            failed = True  # left as it is: Builder.cassette meets it in order and raises
            return item

    with gc_paused():
        return builder.cassette(_build_from_events(source, on_interaction))


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def load_cassette_stream(stream: IO[bytes], text: Callable[[], str]) -> Cassette:
    """Parse a cassette from a binary file, reading it in chunks: its text is never held in memory.

    ``text`` returns the whole text; it is called only when something is wrong or unusual (a problem to report
    with its line, a document using anchors...), and the result is then exactly :func:`load_cassette_text`'s,
    errors included. Call it as ``load_cassette_stream(handle, lambda: path.read_text())`` from a file opened
    with ``open(path, "rb")``.
    """
    if stream.read(2) in _UTF16_BOMS:  # libyaml would read UTF-16; a cassette must be UTF-8
        return load_cassette_text(text())
    stream.seek(0)
    try:
        return _streamed(stream)
    except (_Unusual, _Invalid, yaml.YAMLError, ValueError, TypeError, UnicodeError):
        pass
    return load_cassette_text(text())


def _node_at(text: str, path: Path_) -> yaml.Node | None:
    """The YAML node at ``path`` (keys and list indexes), by composing the document; None if not found."""
    if nesting_error(text) is not None:
        return None
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_CassetteLoader)
    except yaml.YAMLError:
        return None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            wanted = str(step).lower() if isinstance(step, bool) else str(step)
            node = next((v for k, v in reversed(node.value) if k.value == wanted), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node


def _located(text: str, problems: Iterable[_Invalid]) -> Iterator[CassetteFormatError]:
    for problem in problems:
        node = _node_at(text, problem.path)
        if node is None:
            yield CassetteFormatError(problem.problem)
        else:
            yield CassetteFormatError(problem.problem, line=node.start_mark.line + 1, column=node.start_mark.column + 1)


def load_cassette_text(text: str) -> Cassette:
    """Parse cassette text (any YAML layout go-vcr can read) into the model.

    Raises :class:`CassetteFormatError` (without a path; callers attach it) for YAML syntax errors and for
    values of the wrong type, with the line and column of the offending value.
    """
    try:
        return _streamed(text)
    except (_Unusual, _Invalid, yaml.YAMLError, ValueError, TypeError, UnicodeError):
        pass  # load it again the standard way, which reports the problem in order and with its line
    data = _parse(text)
    try:
        return _Builder(collect=False).cassette(data)
    except _Invalid as problem:
        raise next(_located(text, [problem])) from None


def validate_cassette_text(text: str) -> list[CassetteFormatError]:
    """Every problem in cassette text (empty when it loads), each with its line and column when known."""
    try:
        data = _parse(text)
    except CassetteFormatError as exc:
        return [exc]
    builder = _Builder(collect=True)
    try:
        builder.cassette(data)
    except _Invalid as problem:
        builder.problems.append(problem)
    return list(_located(text, builder.problems))
