"""The words for how a series applied: the summary line, what a hunk
git would not take says, and patches already in the tree."""

from __future__ import annotations

from patchlens.text import WIDTH, fit, wrap
from patchlens.tree.apply import AppliedSeries, HunkResult, HunkStatus, PatchResult

__all__ = ["summary_line", "rules_line", "hunk_detail", "already_lines",
           "already_note", "git_refusal"]


def summary_line(applied: AppliedSeries) -> str:
    """``NN of NN hunks clean, NN offset, NN with fuzz, NN failed``, with
    the hunks already in the tree, 3-way merged or in conflict when
    there are some."""
    c = applied.counts()
    total = sum(c.values())
    if applied.base.info.kind == "none":
        # Nothing to apply to: no hunk failed, none is "in the tree" (a
        # deleted file's hunk found no file to delete, which says nothing).
        return f"{total} hunks read from the patch text (no tree to apply " \
            "them to)"
    line = (f"{c[HunkStatus.CLEAN]} of {total} hunks clean, "
            f"{c[HunkStatus.OFFSET]} offset, {c[HunkStatus.FUZZ]} with fuzz, ")
    for status, words in ((HunkStatus.ALREADY, "already in the tree"),
                          (HunkStatus.MERGED, "3-way merged"),
                          (HunkStatus.CONFLICT, "in conflict")):
        if c[status]:
            line += f"{c[status]} {words}, "
    return line + f"{c[HunkStatus.FAILED]} failed"


def rules_line(applied: AppliedSeries) -> str | None:
    """Said only when the rules are not git's."""
    if applied.rules.fuzz is None:
        return None
    return (f"rules:  {applied.rules.name} (hunks placed by fuzz are ones "
            "git would refuse)")


def hunk_detail(h: HunkResult) -> list[str]:
    """The lines under a hunk that is already in the tree or in conflict
    (indented for ``patchlens apply``; a merged file says it once)."""
    if h.status is HunkStatus.ALREADY:
        at = f" at line {h.already_at}" if h.already_at else ""
        return wrap(f"its result is{at}: not applied again", "      ")
    if h.status is HunkStatus.CONFLICT and h.conflict is not None:
        c = h.conflict
        out = wrap(f"3-way merge conflict at line {c.line}: the tree and "
                   "the patch both change these lines", "      ")
        out += [fit("        tree:  " + t.strip(), WIDTH) for t in c.ours] \
            or [fit("        tree:  (removes them)", WIDTH)]
        out += [fit("        patch: " + t.strip(), WIDTH) for t in c.theirs] \
            or [fit("        patch: (removes them)", WIDTH)]
        return out
    return []


def already_note(applied: AppliedSeries, r: PatchResult) -> str | None:
    """What to say of patch ``r`` when it is already in the tree."""
    if not r.already:
        return None
    k = applied.applied_prefix
    if k and r.index == k:
        first = applied.results[0].label
        span = r.label if k == 1 else f"{first}-{r.label}"
        return (f"already in the tree: not applied again; patches {span} "
                f"are in the tree: the series is partly applied")
    return "already in the tree: not applied again"


def git_refusal(applied: AppliedSeries, r: PatchResult) -> str | None:
    """What ``git apply --check`` / ``git am`` would do with patch ``r``
    when it would refuse it, although some of its hunks went in (git
    takes a patch whole or not at all; patchlens goes on hunk by hunk)."""
    if r.already or r.git_applies or applied.base.info.kind == "none":
        return None
    counts: dict[str, int] = {}
    for h in r.hunks:
        if not h.git_applies:
            counts[h.describe.split(":")[0]] = counts.get(h.describe.split(":")[0], 0) + 1
    why = ", ".join(f"{n} {'hunk' if n == 1 else 'hunks'} {what}"
                    for what, n in sorted(counts.items()))
    return ("git apply --check refuses this patch as a whole"
            + (f" ({why})" if why else "")
            + "; the rest is analysed as applied")


def already_lines(applied: AppliedSeries) -> list[str]:
    """One line for the series: which patches the tree already has."""
    done = applied.already
    if not done:
        return []
    k = applied.applied_prefix
    if k:
        span = done[0].label if k == 1 else f"{done[0].label}-{done[-1].label}"
        return wrap(f"already in the tree: {span} (the series is partly "
                    f"applied; those patches are not applied again)")
    return wrap("already in the tree: " + ", ".join(r.label for r in done)
                + " (not applied again)")
