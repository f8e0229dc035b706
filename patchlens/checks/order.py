"""Series order: each patch must build on its own.  Patch k uses a
constant only a later patch defines (``used-before-defined``), or one
an earlier patch removed (``used-after-removed``)."""

from __future__ import annotations

import re

from patchlens.extract.facts import Facts
from patchlens.findings import Evidence, Finding, Severity, declare
from patchlens.mail.model import Series
from patchlens.tree.apply import AppliedSeries

__all__ = ["USED_BEFORE_DEFINED", "USED_AFTER_REMOVED", "mid_series_breakage"]

USED_BEFORE_DEFINED = declare(
    "used-before-defined", Severity.ERROR, Evidence.BOTH,
    "a patch uses a constant only a later patch defines",
    "The series does not bisect: the patch does not build on its own.")
USED_AFTER_REMOVED = declare(
    "used-after-removed", Severity.ERROR, Evidence.BOTH,
    "a patch uses a constant an earlier patch removed",
    "The series does not bisect: the patch does not build on its own.")

_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def mid_series_breakage(series: Series | None, applied: AppliedSeries,
                        facts: Facts) -> list[Finding]:
    """Names a patch uses that are not defined in the tree after it
    (``series``: unused, kept for the callers' shape)."""
    known: set[str] = set()
    for st in facts.states:
        known |= set(st)
    out = []
    for k, r in enumerate(applied.results, start=1):
        state = facts.states[k] if k < len(facts.states) else facts.final
        for f in r.files:
            seen: set[str] = set()
            for h in f.hunks:
                for l in h.hunk.lines:
                    if l.kind != "+":
                        continue
                    for word in _WORD.findall(l.text):
                        if word not in known or word in state or word in seen:
                            continue
                        seen.add(word)
                        line = (l.new_no or 0) + h.offset
                        later = next((facts.labels[j - 1] for j in
                                      range(k + 1, len(facts.states))
                                      if word in facts.states[j]), None)
                        earlier = any(word in facts.states[j]
                                      for j in range(0, k))
                        if later:
                            out.append(USED_BEFORE_DEFINED.finding(
                                f"uses {word}, which only {later} defines: "
                                "this patch does not build on its own",
                                file=f.path, line=line, patch=r.label,
                                subject=word))
                        elif earlier:
                            out.append(USED_AFTER_REMOVED.finding(
                                f"uses {word}, which an earlier patch removed",
                                file=f.path, line=line, patch=r.label,
                                subject=word))
    return out
