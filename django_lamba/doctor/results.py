"""What one doctor check found: a status, one line, and the fix when something is wrong."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "fail", "skip")


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report. Never carries a token or a secret."""

    name: str
    status: Status
    summary: str
    #: What to do about it (empty when there is nothing to do).
    fix: str = ""
    #: Facts for scripts (``--json``): status codes, durations, trace ids, key ids.
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """Every finding of one doctor run, in the order they were made."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding

    def counts(self) -> dict[str, int]:
        return {status: sum(f.status == status for f in self.findings) for status in STATUSES}

    @property
    def failed(self) -> bool:
        return any(finding.status == "fail" for finding in self.findings)

    def get(self, name: str) -> Finding | None:
        """Return the first finding called ``name``."""
        return next((f for f in self.findings if f.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.failed,
            "summary": self.counts(),
            "checks": [finding.as_dict() for finding in self.findings],
        }
