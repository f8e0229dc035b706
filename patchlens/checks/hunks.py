"""Hunks that did not apply cleanly, as findings.

How a hunk applied is the tree stage's business (``tree/apply.py``);
this module only says it to a reviewer: a hunk that failed, one that
needed fuzz (git would refuse it), one that applies only to the
patch's pre-image because the tree has moved on (merged 3-way, as
``git am -3`` does), one whose 3-way merge conflicts, and a patch (or
a hunk) already in the tree.
"""

from __future__ import annotations

from patchlens.findings import (PATCH_LINE, TREE_LINE, Evidence, Fact,
                                Finding, Location, Number, Severity, Text,
                                declare)
from patchlens.tree.apply import (AppliedSeries, FileResult, HunkResult,
                                  HunkStatus, NearMiss, PatchResult)

__all__ = ["HUNK_FAILED", "TREE_MOVED_ON", "HUNK_FUZZ", "HUNK_CONFLICT",
           "ALREADY_APPLIED", "HUNK_CODES", "hunk_findings"]

HUNK_FAILED = declare(
    "hunk-failed", Severity.WARNING, Evidence.BOTH,
    "a hunk does not apply to the tree",
    "Not at its line nor at any offset with its context exactly as git "
    "wants it (or with --fuzz N, not with fuzz either), and there is no "
    "pre-image blob to merge from. The finding names where it nearly "
    "fits; values it defines are read from the patch text alone.")
TREE_MOVED_ON = declare(
    "tree-moved-on", Severity.CHECK, Evidence.BOTH,
    "a hunk applies only to the patch's pre-image: the tree has moved on",
    "The diff's index line names a blob the git tree holds; the hunk "
    "applies there, and the result merges cleanly onto the file at the "
    "revision analysed (git am -3 would apply it).")
HUNK_FUZZ = declare(
    "hunk-fuzz", Severity.CHECK, Evidence.BOTH,
    "a hunk applies only with fuzz: git would refuse it",
    "Context lines at its edges were ignored (GNU patch's --fuzz, asked "
    "for with --fuzz N); the tree's own lines there are kept. git apply "
    "and git am need every context line, so they refuse the patch.")
HUNK_CONFLICT = declare(
    "hunk-conflict", Severity.WARNING, Evidence.BOTH,
    "a hunk conflicts in the 3-way merge from the patch's pre-image",
    "The hunk applies to the pre-image blob its index line names, but "
    "the tree changed the same lines since (git am -3 stops there). The "
    "finding shows both sides; the file keeps the tree's lines and the "
    "hunk's values are read from the patch text alone.")
ALREADY_APPLIED = declare(
    "already-applied", Severity.CHECK, Evidence.BOTH,
    "a patch (or a hunk) is already in the tree: not applied again",
    "Its post-image is in the tree already (it reverse-applies): the tree "
    "has the change, from an earlier git am or upstream. It is not "
    "applied twice; the analysis reads the tree as it is. git am would "
    "refuse it.")

# The codes about how hunks applied: the report folds them into its
# Applied line (``patchlens apply`` shows each).
HUNK_CODES = frozenset(m.code for m in (HUNK_FAILED, TREE_MOVED_ON, HUNK_FUZZ,
                                        HUNK_CONFLICT, ALREADY_APPLIED))


def hunk_findings(applied: AppliedSeries) -> tuple[Finding, ...]:
    """Failed, fuzzy, merged and conflicting hunks, and patches already
    in the tree, in patch and hunk order.  None without a tree: a
    patch-only analysis has nothing to apply to, so nothing fails (the
    report and check say once that the analysis is patch-only)."""
    out: list[Finding] = []
    if applied.base.info.kind == "none":
        return ()
    for r in applied.results:
        if r.already:
            f = r.files[0]
            out.append(ALREADY_APPLIED.finding(
                f"patch {r.label} is already in the tree: not applied again",
                file=f.path, line=f.hunks[0].already_at if f.hunks else None,
                patch=r.label, location_kind=TREE_LINE,
                facts=(Text("patch", r.label),)))
            continue
        for f in r.files:
            for h in f.hunks:
                finding = _finding(r, f, h)
                if finding is not None:
                    out.append(finding)
    return tuple(out)


def _facts(h: HunkResult, path: str) -> tuple[Fact, ...]:
    """The hunk's number, and where it nearly fits (a failed hunk: the
    line and how many of its lines match there) or is already."""
    out: list[Fact] = [Number("hunk", h.number)]
    if h.near is not None:
        out += [Location(path, h.near.line, TREE_LINE, "nearly-fits"),
                Number("matched", h.near.matched),
                Number("total", h.near.total)]
    if h.already_at is not None:
        out.append(Location(path, h.already_at, TREE_LINE, "already"))
    return tuple(out)


def _finding(r: PatchResult, f: FileResult, h: HunkResult) -> Finding | None:
    if h.status is HunkStatus.FAILED:
        detail = tuple(f" {t}" for t in h.context)
        if h.near is not None:
            detail += (_near_text(h.near),)
        return HUNK_FAILED.finding(
            f"hunk {h.number} of {f.path} does not apply: {h.message}",
            file=f.path, line=h.near.line if h.near else h.hunk.old_start,
            patch=r.label, detail=detail,
            # The nearly-fits line is the tree's; without one, the
            # hunk's own pre-image line.
            location_kind=TREE_LINE if h.near else PATCH_LINE,
            facts=_facts(h, f.path)
            + tuple(Text("context", t) for t in h.context))
    if h.status is HunkStatus.MERGED:
        return TREE_MOVED_ON.finding(
            f"hunk {h.number} of {f.path} applies only to the patch's "
            f"pre-image {f.preimage}: the tree has moved on",
            file=f.path, line=h.new_start, patch=r.label,
            location_kind=TREE_LINE,
            facts=_facts(h, f.path) + (Text("preimage", str(f.preimage)),))
    if h.status is HunkStatus.CONFLICT:
        c = h.conflict
        detail = () if c is None else (
            tuple(f"tree:  {t}" for t in c.ours)
            + tuple(f"patch: {t}" for t in c.theirs))
        return HUNK_CONFLICT.finding(
            f"hunk {h.number} of {f.path} conflicts in a 3-way merge from "
            f"the pre-image {f.file.old_id}: the tree changed these lines",
            file=f.path, line=c.line if c else h.hunk.old_start,
            patch=r.label, detail=detail,
            location_kind=TREE_LINE if c else PATCH_LINE,
            facts=_facts(h, f.path) + (Text("preimage", str(f.file.old_id)),)
            + (() if c is None else
               tuple(Text("tree", t) for t in c.ours)
               + tuple(Text("patch", t) for t in c.theirs)))
    if h.status is HunkStatus.FUZZ:
        return HUNK_FUZZ.finding(
            f"hunk {h.number} of {f.path} applies with fuzz {h.fuzz}: "
            "git would refuse it",
            file=f.path, line=h.new_start, patch=r.label,
            location_kind=TREE_LINE,
            facts=_facts(h, f.path) + (Number("fuzz", h.fuzz),
                                       Number("offset", h.offset)))
    if h.status is HunkStatus.ALREADY:
        return ALREADY_APPLIED.finding(
            f"hunk {h.number} of {f.path} is already in the tree: not "
            "applied again", file=f.path, line=h.already_at, patch=r.label,
            location_kind=TREE_LINE, facts=_facts(h, f.path))
    return None


def _near_text(near: NearMiss) -> str:
    return (f"nearest fit at line {near.line}: {near.matched} of "
            f"{near.total} lines match")
