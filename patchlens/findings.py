"""Findings: what a reviewer must look at, with checkpatch's severities.

Shared data: the extract stage reports constant hazards as findings, the
impact stage adds its own checks, the renderers print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["Severity", "Finding"]


class Severity(IntEnum):
    """Ordered so ``finding.severity >= fail_on`` reads naturally."""
    CHECK = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, word: str) -> "Severity":
        return cls[word.strip().upper()]


@dataclass(frozen=True)
class Finding:
    code: str                 # kebab-case: "bit-collision", "enum-shift", ...
    severity: Severity
    message: str              # one sentence, no trailing period needed
    file: str | None = None
    line: int | None = None
    patch: str | None = None  # "27/33"
    subject: str | None = None  # the constant (or other name) it is about
    detail: tuple[str, ...] = ()  # derivation lines, shown under the message
