"""Hunks that did not apply cleanly, as findings.

How a hunk applied is the tree stage's business (``tree/apply.py``);
this module only says it to a reviewer: a hunk that failed, one that
needed fuzz, one that applies only to the patch's pre-image because
the tree has moved on.
"""

from __future__ import annotations

from patchlens.findings import Evidence, Finding, Severity, declare
from patchlens.tree.apply import (AppliedSeries, FileResult, HunkResult,
                                  HunkStatus, NearMiss, PatchResult)

__all__ = ["HUNK_FAILED", "TREE_MOVED_ON", "HUNK_FUZZ", "hunk_findings"]

HUNK_FAILED = declare(
    "hunk-failed", Severity.WARNING, Evidence.BOTH,
    "a hunk does not apply to the tree",
    "Neither at its line, nor at an offset, nor with fuzz 2, nor on the "
    "patch's pre-image blob. The finding names where it nearly fits; "
    "values it defines are read from the patch text alone.")
TREE_MOVED_ON = declare(
    "tree-moved-on", Severity.CHECK, Evidence.BOTH,
    "a hunk applies only to the patch's pre-image: the tree has moved on",
    "The diff's index line names a blob the git tree holds; the hunk "
    "applies there but not to the file at the revision analysed.")
HUNK_FUZZ = declare(
    "hunk-fuzz", Severity.CHECK, Evidence.BOTH,
    "a hunk applies only with fuzz",
    "Context lines at its edges were ignored (GNU patch's --fuzz); the "
    "tree's own lines there are kept.")


def hunk_findings(applied: AppliedSeries) -> tuple[Finding, ...]:
    """Failed, fuzzy and pre-image hunks, in patch and hunk order."""
    out: list[Finding] = []
    for r in applied.results:
        for f in r.files:
            for h in f.hunks:
                finding = _finding(r, f, h)
                if finding is not None:
                    out.append(finding)
    return tuple(out)


def _finding(r: PatchResult, f: FileResult, h: HunkResult) -> Finding | None:
    if h.status is HunkStatus.FAILED:
        detail = tuple(f" {t}" for t in h.context)
        if h.near is not None:
            detail += (_near_text(h.near),)
        return HUNK_FAILED.finding(
            f"hunk {h.number} of {f.path} does not apply: {h.message}",
            file=f.path, line=h.near.line if h.near else h.hunk.old_start,
            patch=r.label, detail=detail)
    if h.status is HunkStatus.PREIMAGE:
        return TREE_MOVED_ON.finding(
            f"hunk {h.number} of {f.path} applies only to the patch's "
            f"pre-image {f.preimage}: the tree has moved on",
            file=f.path, line=h.new_start, patch=r.label)
    if h.status is HunkStatus.FUZZ:
        return HUNK_FUZZ.finding(
            f"hunk {h.number} of {f.path} applies with fuzz {h.fuzz}",
            file=f.path, line=h.new_start, patch=r.label)
    return None


def _near_text(near: NearMiss) -> str:
    return (f"nearest fit at line {near.line}: {near.matched} of "
            f"{near.total} lines match")
