"""Run reports: what a pytest run did with its cassettes, written as JSON by the plugin, merged across shards.

The pytest plugin writes one report per run (one machine: the pytest-xdist controller merges its workers'), and
``groq-vcr report merge`` merges the reports of every shard of a suite into one verdict; ``groq-vcr check
--unused`` reads a report too. The format is described in :mod:`groq_vcr.report._model` and ``docs/sharding.md``.
"""

from groq_vcr.report._merge import merge_reports
from groq_vcr.report._model import (
    FORMAT_NAME,
    FORMAT_VERSION,
    CassetteUse,
    DriftFinding,
    Miss,
    RunInfo,
    RunReport,
    read_report,
    relative_path,
    report_from_stats,
)
from groq_vcr.report._render import Labeler, Verdict, render_markdown, render_text, verdict_of

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "CassetteUse",
    "DriftFinding",
    "Labeler",
    "Miss",
    "RunInfo",
    "RunReport",
    "Verdict",
    "merge_reports",
    "read_report",
    "relative_path",
    "render_markdown",
    "render_text",
    "report_from_stats",
    "verdict_of",
]
