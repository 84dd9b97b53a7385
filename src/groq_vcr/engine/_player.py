"""Indexed, ordered replay of recorded interactions, and explanations when nothing matches.

Interactions are bucketed by (method, normalised URL, the values of the headers the user matches on) and,
within a bucket, queued by body digest in recorded order. A lookup costs one dict access per level, whatever
the cassette's size; bodies of a bucket are canonicalised once, the first time the bucket is asked for. The
"closest interaction" search runs only on a miss.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from groq_vcr.cassette import (
    Interaction,
    Masker,
    Probe,
    RequestKey,
    header_tag,
    mask_secrets,
    normalise_url,
    probe_recorded,
)


@dataclass(frozen=True, slots=True)
class Played:
    """The recorded interaction chosen to answer a request, and its position in the cassette."""

    index: int
    interaction: Interaction


@dataclass
class PlayerStats:
    """Counters that let tests check the cost of matching without timing it."""

    lookups: int = 0
    bodies_canonicalised: int = 0
    closest_searches: int = 0


@dataclass
class _Group:
    """Recorded interactions of one bucket whose request bodies are byte-identical, in recorded order."""

    indices: list[int]
    pending: deque[int]
    last: int | None = None


@dataclass
class _Bucket:
    indices: list[int]
    by_bytes: dict[bytes, _Group] | None = None
    """Recorded body bytes -> group; built without parsing any body."""
    by_form: dict[str, list[_Group]] | None = None
    """Canonical body digest -> groups; built the first time a live body is not byte-identical to a recording."""


class Player:
    """Answers requests from a fixed list of recorded interactions, each at most once (unless repeats)."""

    def __init__(
        self,
        interactions: Sequence[Interaction],
        *,
        allow_repeats: bool = False,
        mask: Masker = mask_secrets,
        match_headers: tuple[str, ...] = (),
    ) -> None:
        self.interactions = list(interactions)
        self.allow_repeats = allow_repeats
        self.match_headers = match_headers
        """Headers whose values tell otherwise identical requests apart (part of the bucket key)."""
        self.play_counts = [0] * len(self.interactions)
        """How many times each interaction answered a request (complete or not: a faulted one counts)."""
        self._taken = [False] * len(self.interactions)
        """Whether each interaction is used up (played, and not given back by :meth:`release`)."""
        self._group_of: dict[int, _Group] = {}
        self.stats = PlayerStats()
        self._mask = mask
        self._buckets: dict[tuple[str, str, str], _Bucket] | None = None
        self._probes: dict[int, Probe] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.interactions)

    @property
    def played(self) -> int:
        """How many recorded interactions have been played at least once."""
        return sum(1 for count in self.play_counts if count)

    def unused(self) -> list[int]:
        """Indices of interactions never played."""
        return [i for i, count in enumerate(self.play_counts) if not count]

    def recorded_probe(self, index: int) -> Probe:
        """The normalised form of recorded interaction ``index`` (computed once)."""
        cached = self._probes.get(index)
        if cached is None:
            cached = probe_recorded(self.interactions[index].request, self._mask, self.match_headers)
            self.stats.bodies_canonicalised += 1
            self._probes[index] = cached
        return cached

    def key_of(self, interaction: Interaction) -> RequestKey:
        """The matching key of any interaction, masked as this player masks (not cached)."""
        return probe_recorded(interaction.request, self._mask, self.match_headers).key

    def _bucket_index(self) -> dict[tuple[str, str, str], _Bucket]:
        if self._buckets is None:
            buckets: dict[tuple[str, str, str], _Bucket] = {}
            for index, interaction in enumerate(self.interactions):
                request = interaction.request
                masked_url, _ = self._mask(request.url, b"", "")
                tag = header_tag(request.headers, self.match_headers) if self.match_headers else ""
                bucket_key = (request.method.upper(), normalise_url(masked_url), tag)
                buckets.setdefault(bucket_key, _Bucket([])).indices.append(index)
            self._buckets = buckets
        return self._buckets

    def _groups(self, bucket: _Bucket) -> dict[bytes, _Group]:
        if bucket.by_bytes is None:
            groups: dict[bytes, _Group] = {}
            for index in bucket.indices:
                raw = self.interactions[index].request.body_bytes
                group = groups.get(raw)
                if group is None:
                    group = groups[raw] = _Group([index], deque([index]))
                else:
                    group.indices.append(index)
                    group.pending.append(index)
                self._group_of[index] = group
            bucket.by_bytes = groups
        return bucket.by_bytes

    def _forms(self, bucket: _Bucket) -> dict[str, list[_Group]]:
        if bucket.by_form is None:
            forms: dict[str, list[_Group]] = {}
            for group in self._groups(bucket).values():
                forms.setdefault(self.recorded_probe(group.indices[0]).key.body, []).append(group)
            bucket.by_form = forms
        return bucket.by_form

    def play(self, request: Probe) -> Played | None:
        """The interaction that answers ``request`` (marked played), or None.

        A live body byte-identical to a recorded one is found by a dict lookup on its bytes, with nothing
        parsed. Any other body is masked and canonicalised, and matched against the recordings with the same
        canonical form (key order, whitespace, multipart boundary and secrets ignored), oldest first.
        """
        with self._lock:
            self.stats.lookups += 1
            bucket = self._bucket_index().get((request.method, request.url, request.tag))
            if bucket is None:
                return None
            group = self._groups(bucket).get(request.raw_body)
            if group is None or not group.pending:
                same_form = self._forms(bucket).get(request.key.body, [])
                waiting = [g for g in same_form if g.pending]
                if waiting:
                    group = min(waiting, key=lambda g: g.pending[0])
                elif group is None:
                    played = [g for g in same_form if g.last is not None]
                    group = max(played, key=lambda g: g.last or 0) if played else None
            if group is None:
                return None
            if group.pending:
                index = group.pending.popleft()
                group.last = index
            elif self.allow_repeats and group.last is not None:
                index = group.last
            else:
                return None
            self.play_counts[index] += 1
            self._taken[index] = True
            return Played(index, self.interactions[index])

    def release(self, index: int) -> None:
        """Give interaction ``index`` back: a fault stopped its answer before the client had all of it, so the
        next identical request (the SDK's retry) gets it again, in recorded order among its equals."""
        with self._lock:
            self._taken[index] = False
            group = self._group_of.get(index)
            if group is not None and index not in group.pending:
                group.pending = deque(sorted([*group.pending, index]))

    def play_where(self, accepts: Callable[[int], bool]) -> Played | None:
        """vcrpy's order with a custom matcher: the first unplayed interaction ``accepts``; with repeats
        allowed, else the first it accepts at all. Costs one call per recorded interaction."""
        with self._lock:
            self.stats.lookups += 1
            first: int | None = None
            for index in range(len(self.interactions)):
                if not accepts(index):
                    continue
                if not self._taken[index]:
                    first = index
                    break
                if first is None and self.allow_repeats:
                    first = index
            if first is None:
                return None
            self.play_counts[first] += 1
            self._taken[first] = True
            return Played(first, self.interactions[first])

    def was_used_up(self, key: RequestKey) -> bool:
        """Whether interactions with this key exist but have all been played already."""
        bucket = self._bucket_index().get((key.method, key.url, key.tag))
        if bucket is None:
            return False
        same_form = self._forms(bucket).get(key.body, [])
        return bool(same_form) and not any(g.pending for g in same_form)

    def candidates(self, key: RequestKey) -> list[int] | None:
        """Indices of the interactions recorded with the method and URL of ``key``; None when there are none."""
        bucket = self._bucket_index().get((key.method, key.url, key.tag))
        return None if bucket is None else bucket.indices

    def candidate_count(self, key: RequestKey) -> int:
        """How many interactions were recorded with the method and URL of ``key`` (played or not)."""
        bucket = self._bucket_index().get((key.method, key.url, key.tag))
        return 0 if bucket is None else len(bucket.indices)
