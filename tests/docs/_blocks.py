"""Read the fenced code blocks of the README and the manual (docs/)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^(`{3,})([\w-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    """One fenced block: the file, the line its fence opens on, its language and its text."""

    path: Path
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def file_name(self) -> str | None:
        """``tests/test_x.py`` when the block's first line is ``# tests/test_x.py`` (a file to save)."""
        first = self.text.split("\n", 1)[0]
        match = re.fullmatch(r"# ([\w/.-]+\.py)", first)
        return match.group(1) if match else None


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown file, in order."""
    text = path.read_text(encoding="utf-8")
    return [Block(path, text.count("\n", 0, m.start()) + 1, m.group(2), m.group(3)) for m in _FENCE.finditer(text)]


def pages() -> list[Path]:
    """The README and every page of the manual."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
