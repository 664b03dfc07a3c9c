"""The doctor's report as text (one line per check, the fix below it) or as JSON."""

from __future__ import annotations

import json
import textwrap

from .results import Report

WIDTH = 99


def as_text(report: Report) -> str:
    """Return the report as lines: status, check, what was found; then how to fix it."""
    width = max((len(finding.name) for finding in report.findings), default=8)
    lines: list[str] = []
    for finding in report.findings:
        lines.append(f"{finding.status:<5} {finding.name:<{width}}  {finding.summary}")
        if finding.fix and finding.status in ("warn", "fail"):
            indent = " " * (8 + width)
            lines += textwrap.wrap(
                f"fix: {finding.fix}", WIDTH, initial_indent=indent, subsequent_indent=indent
            )
    counts = report.counts()
    summary = ", ".join(f"{counts[status]} {status}" for status in counts)
    verdict = "FAILED" if report.failed else "passed"
    lines.append("")
    lines.append(f"lamba_check {verdict}: {summary}")
    return "\n".join(lines)


def as_json(report: Report) -> str:
    """Return the report as a JSON document (``{"ok", "summary", "checks": [...]}``)."""
    return json.dumps(report.as_dict(), indent=2, default=str)
