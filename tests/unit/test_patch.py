"""Minimal edits of cassette text (``cassette/_patch.py``): only the changed characters are replaced."""

from __future__ import annotations

import dataclasses

from groq_vcr.cassette import Cassette, Interaction, Request, Response, dump_cassette
from groq_vcr.cassette._patch import _changed_runs, patch_text


def _cassette(body: str) -> Cassette:
    request = Request(body=body, url="https://api.groq.com/openai/v1/chat/completions", method="POST")
    return Cassette(interactions=[Interaction(request=request, response=Response(body="ok"))])


def test_runs_are_found_left_to_right_in_a_large_text() -> None:
    filler = "lorem ipsum dolor sit amet " * 80_000  # about 2 MB between the two secrets
    old = "A-SECRET-ONE " + filler + " B-SECRET-TWO"
    new = "XXX " + filler + " YYY"
    assert _changed_runs(old, new) == [("A-SECRET-ONE", "XXX"), ("B-SECRET-TWO", "YYY")]


def test_a_body_edit_keeps_the_rest_of_a_large_file() -> None:
    filler = '{"role": "user", "content": "hello"}, ' * 50_000
    before = _cassette("[" + filler + '{"key": "SECRET-VALUE-1234567890"}]')
    after = _cassette("[" + filler + '{"key": "REDACTED"}]')
    text = "# a comment\n" + dump_cassette(before)
    patched = patch_text(text, before, after)
    assert patched == text.replace("SECRET-VALUE-1234567890", "REDACTED")


def test_a_change_of_shape_is_refused() -> None:
    before = _cassette("body")
    after = dataclasses.replace(before, interactions=before.interactions * 2)
    assert patch_text(dump_cassette(before), before, after) is None


def test_the_result_is_proven_by_loading_it() -> None:
    before, after = _cassette("note SECRET"), _cassette("note #tag")
    text = dump_cassette(before)
    assert "body: note SECRET\n" in text
    # Substituted in place, " #tag" would start a comment and the body would read back as "note".
    assert patch_text(text, before, after) is None
    assert patch_text(text, before, _cassette("note REDACTED")) == text.replace("SECRET", "REDACTED")
