"""Where a cassette's YAML comments are: a ``#`` inside any kind of scalar is not one."""

from __future__ import annotations

from groq_vcr.cassette._layout import comment_lines, line_list

TEXT = """\
# a head comment
version: 2 # trailing
interactions:
    - id: 0  # é before it
      request:
        body: |
            # inside a literal block
            data: {"a": "#"}
        url: https://api.groq.com/x#fragment
        method: "GET # quoted"
        form:
            q:
                - 'it''s # single-quoted'
                - a #b
# tail
"""


def test_comment_lines_are_found_outside_scalars_only() -> None:
    assert comment_lines(TEXT) == [1, 2, 4, 14, 15]


def test_text_without_a_hash_has_no_comments() -> None:
    assert comment_lines("version: 2\ninteractions: []\n") == []


def test_line_list_reads_as_words() -> None:
    assert line_list([3]) == "line 3"
    assert line_list([1, 2, 3, 4, 5, 6]) == "lines 1, 2, 3, 4, 5, ..."
