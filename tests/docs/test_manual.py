"""The manual builds in MkDocs' strict mode, the README stays short and points into it, and the README's
example is the tutorial's tested one."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.docs._blocks import DOCS, ROOT, blocks

from groq_vcr.cli import COMMANDS

README = ROOT / "README.md"
QUICK_START = (
    "uv run groq-vcr demo                  # the whole loop, offline, no key (~10 s the first time, with the install)\n"
    "uv run --extra dev pytest -n auto     # the whole test suite, on every core (what CI runs: .ci/run)\n"
)


def test_the_manual_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
    )
    assert built.returncode == 0, built.stderr
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    for command in COMMANDS:  # the reference is generated from the commands themselves
        assert f"groq-vcr {command}" in cli, command
    assert "--record-as" in cli
    benchmarks = (site / "benchmarks" / "index.html").read_text(encoding="utf-8")
    first_row = (
        (ROOT / "tools" / "bench-results.md").read_text(encoding="utf-8").split("\n| replay, per request | 10 | ")[1]
    )
    assert first_row.split(" |")[0] in benchmarks  # tools/bench-results.md is included, not copied
    assert "--8<--" not in benchmarks
    assert "Keep a Changelog" in (site / "changelog" / "index.html").read_text(encoding="utf-8")


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r": (\w+\.md)$", config, re.MULTILINE))
    assert listed == {p.name for p in DOCS.glob("*.md")}


def test_the_readme_is_short_and_keeps_the_quick_start() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) <= 10 * 1024
    assert f"```bash\n{QUICK_START}```" in text
    for link in re.findall(r"\]\((docs/[\w.]+\.md)\)", text):
        assert (ROOT / link).is_file(), link


def test_the_readme_example_is_the_tutorials() -> None:
    readme = blocks(README)
    tutorial = blocks(DOCS / "tutorial.md")
    (example,) = [b for b in readme if b.language == "python"]
    assert [example.text] == [b.text for b in tutorial if b.language == "python"]
    steps = [shlex.split(line, comments=True) for line in readme[2].text.splitlines()]
    assert steps == [shlex.split(b.text) for b in tutorial if b.language == "bash"][:3]


def test_the_manuals_home_page_is_the_readme_with_its_links() -> None:
    readme = README.read_text(encoding="utf-8")
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    assert blocks(README)[1].text == blocks(DOCS / "index.md")[1].text
    assert (
        readme.split("## The manual")[0].replace("(docs/tutorial.md)", "(tutorial.md)")
        == home.split("## The manual")[0]
    )
