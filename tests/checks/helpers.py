"""A constant history together with its constant checks, for tests that
read both (``h.final`` and ``h.hazards``) as one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patchlens.checks import constant_findings
from patchlens.extract.history import ConstantHistory, constant_history
from patchlens.extract.profile import Profile
from patchlens.findings import Finding
from patchlens.mail.model import Series
from patchlens.tree.apply import AppliedSeries

__all__ = ["Checked", "checked_history"]


@dataclass(frozen=True)
class Checked:
    history: ConstantHistory
    hazards: tuple[Finding, ...]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.history, name)


def checked_history(applied: AppliedSeries, series: Series, profile: Profile
                    ) -> Checked:
    history = constant_history(applied, series, profile)
    return Checked(history, constant_findings(history, profile, applied,
                                              series))
