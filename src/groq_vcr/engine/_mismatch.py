"""Why a request matched nothing: the candidates and how each differs, the closest recording, the message.

Only ever runs on a miss (or for the match log), so its cost never touches a replay that finds its answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from groq_vcr.cassette import Probe, body_digest
from groq_vcr.engine._player import Player


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _path(parts: list[Any]) -> str:
    return "body" + "".join(f"[{p!r}]" for p in parts)


def _walk_diff(old: Any, new: Any, parts: list[Any], out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in new:
                out.append(f"{_path([*parts, key])}: recorded {_short(old[key])}, missing now")
            elif key not in old:
                out.append(f"{_path([*parts, key])}: {_short(new[key])} not in the recording")
            else:
                _walk_diff(old[key], new[key], [*parts, key], out, limit)
        return
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append(f"{_path(parts)}: {len(new)} items != {len(old)} recorded")
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            _walk_diff(a, b, [*parts, index], out, limit)
        return
    if old != new:
        out.append(f"{_path(parts)}: {_short(new)} != {_short(old)} (recorded)")


def explain_difference(request: Probe, recorded: Probe, limit: int = 5) -> list[str]:
    """Path-addressed reasons why ``request`` does not match ``recorded`` (empty when they match)."""
    reasons: list[str] = []
    if request.method != recorded.method:
        reasons.append(f"method: {request.method} != {recorded.method} (recorded)")
    if request.url != recorded.url:
        old, new = urlsplit(recorded.url), urlsplit(request.url)
        if (old.scheme, old.netloc, old.path) != (new.scheme, new.netloc, new.path):
            reasons.append(f"url: {new.scheme}://{new.netloc}{new.path} != {old.scheme}://{old.netloc}{old.path}")
        if old.query != new.query:
            reasons.append(f"query: {new.query or '(none)'!r} != {old.query or '(none)'!r} (recorded)")
    if request.tag != recorded.tag:
        reasons.append(f"matched headers: {request.tag!r} != {recorded.tag!r} (recorded)")
    if body_digest(request.body) != body_digest(recorded.body):
        _walk_diff(recorded.body, request.body, [], reasons, limit)
        if not reasons:
            reasons.append("body: differs")
    return reasons[:limit]


def similarity(request: Probe, recorded: Probe) -> tuple[int, int]:
    """Ordering for "closest interaction": more matching parts first, then fewer body differences."""
    score = (request.method == recorded.method) * 4
    old, new = urlsplit(recorded.url), urlsplit(request.url)
    score += (old.path == new.path) * 3 + (old.netloc == new.netloc) + (old.query == new.query)
    same_body = body_digest(request.body) == body_digest(recorded.body)
    score += same_body * 2
    differences = 0 if same_body else len(explain_difference(request, recorded, limit=50))
    return score, -differences


def rejections(player: Player, request: Probe) -> tuple[bool, list[tuple[int, list[str]]]]:
    """Why no interaction answered ``request`` (for the match log; only called on a miss).

    Returns ``(same_bucket, [(index, reasons), ...])``: the candidates are the interactions recorded with
    the same method and URL, or every interaction when there are none.
    """
    same = player.candidates(request.key)
    indices = same if same is not None else range(len(player.interactions))
    rejected: list[tuple[int, list[str]]] = []
    for index in indices:
        reasons = explain_difference(request, player.recorded_probe(index))
        if not reasons:
            count = player.play_counts[index]
            reasons = [f"same request, already played {count} time{'s' if count != 1 else ''} (each replays once)"]
        rejected.append((index, reasons))
    return same is not None, rejected


def closest(player: Player, request: Probe) -> tuple[int, list[str]] | None:
    """The recorded interaction most like ``request`` and why it differs (only called on a miss)."""
    player.stats.closest_searches += 1
    best: tuple[tuple[int, int], int] | None = None
    for index in range(len(player.interactions)):
        score = similarity(request, player.recorded_probe(index))
        if best is None or score > best[0]:
            best = (score, index)
    if best is None:
        return None
    return best[1], explain_difference(request, player.recorded_probe(best[1]))


def describe_miss(
    request: Probe,
    player: Player,
    *,
    cassette_path: str,
    rerecord_hint: str,
    record_mode: str,
    missing: bool = False,
    record_hint: str = "pytest --record-mode=once",
    repeats_hint: str = "vcr_config={'allow_playback_repeats': True}",
) -> str:
    """The message of a replay miss: the request, where we looked, the closest interaction and the fix.

    ``missing``: there is no cassette file at all (deleted, or never recorded); the fix is ``record_hint``.
    The message goes through the request's masker: it never prints a secret (URL, decoded body differences).
    """
    return request.masked(
        _describe_miss(request, player, cassette_path, rerecord_hint, record_mode, missing, record_hint, repeats_hint)
    )


def _describe_miss(
    request: Probe,
    player: Player,
    cassette_path: str,
    rerecord_hint: str,
    record_mode: str,
    missing: bool,
    record_hint: str,
    repeats_hint: str,
) -> str:
    lines = [f"No recorded interaction matches {request.method} {request.raw_url}"]
    if missing:
        lines.append(f"  cassette file is missing: {cassette_path} (record mode {record_mode!r})")
        lines.append(f"  record it: {record_hint}")
        return "\n".join(lines)
    lines.append(f"  cassette: {cassette_path} ({player.played} of {len(player)} played, record mode {record_mode!r})")
    if player.was_used_up(request.key):
        lines.append(
            "  a matching interaction exists but was already played: this request was made more times than "
            f"it was recorded (allow repeats with {repeats_hint})"
        )
    else:
        found = closest(player, request) if len(player) else None
        if found is None:
            lines.append("  closest: (the cassette is empty)")
        else:
            index, reasons = found
            recorded = player.interactions[index].request
            lines.append(f"  closest: #{index} {recorded.method} {recorded.url}")
            lines.extend(f"    differs at {reason}" for reason in reasons)
    lines.append(f"  re-record: {rerecord_hint}")
    return "\n".join(lines)
