"""Plain-text tables for the CLI's reports: aligned columns that read the same in a terminal, a pipe and a CI log."""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = ["text_table"]

_GAP = "  "


def text_table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Collection[int] = ()
) -> list[str]:
    """``title``, then ``header`` and ``rows`` in columns two spaces apart, under a rule of dashes.

    Columns whose index is in ``right`` are right-aligned; the last column is not padded, so put a long
    free-text column last.
    """
    widths = [max(len(str(cells[i])) for cells in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        if len(header) - 1 not in right:
            padded[-1] = cells[-1]
        return _GAP.join(padded).rstrip()

    return [title, line(header), _GAP.join("-" * width for width in widths), *(line(cells) for cells in rows)]
