"""Uses of a changed constant: a removed or renamed constant still
referenced (``stale-reference``), and a new enumerator a filter over
its enum does not handle (``unhandled-enumerator``: what ``-Wswitch``
would say, and what happens at run time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from patchlens.c.lexical import code_only
from patchlens.checks.treewide import TreeHits
from patchlens.extract.definitions import ConstantTable
from patchlens.extract.facts import Facts
from patchlens.extract.filters import FilterAction
from patchlens.findings import (PATCH_LINE, TREE_LINE, ConstantRef, Evidence,
                                Finding, Location, Number, Severity, Text,
                                declare)
from patchlens.mail.model import Series
from patchlens.tree.apply import AppliedSeries
from patchlens.tree.source import TreeSource

__all__ = ["STALE_REFERENCE", "UNHANDLED_ENUMERATOR", "stale_references",
           "unhandled_enumerators", "new_constants"]

STALE_REFERENCE = declare(
    "stale-reference", Severity.ERROR, Evidence.BOTH,
    "a removed or renamed constant is still used",
    "Uses left in the tree after the series, or added by a later patch "
    "of it, of a name a patch removes or renames and no patch defines "
    "again: the tree does not build.  Comments and strings are not "
    "uses; a use that a hunk of the series removes but which did not "
    "apply is left to hunk-failed.")
UNHANDLED_ENUMERATOR = declare(
    "unhandled-enumerator", Severity.WARNING, Evidence.BOTH,
    "a new enumerator is not handled by a filter over its enum",
    "A switch (or if chain) over the enum lists other enumerators and its "
    "default refuses the new one.",
    lesser=Severity.CHECK,
    lesser_when="the default refuses quietly (no WARN)")


def stale_references(hits: TreeHits, final_tree: TreeSource, series: Series,
                     final: ConstantTable | None = None,
                     applied: AppliedSeries | None = None) -> list[Finding]:
    """Uses of a name the series removes (or renames), left in the final
    tree or added by a later patch.  ``final``: the table after the
    series (a name defined again by then is not gone); ``applied``: the
    hunks that did not apply (a use one of them removes is no use left
    behind by the series, it is a hunk that failed)."""
    out: list[Finding] = []
    for ch in hits.gone:
        old = ch.old_name or ch.name
        if final is not None and final.get(old) is not None:
            continue
        unapplied = _unapplied_removals(applied, old)
        where = [u for u in _references(final_tree, hits.files, old)
                 if (u[0], u[2]) not in unapplied]
        later = _later_uses(series, ch.patch, old)
        if not where and not later:
            continue
        what = "renamed to " + ch.name if ch.action == "renamed" else "removed"
        first = (where or later)[0]
        out.append(STALE_REFERENCE.finding(
            f"{old} is {what} by {ch.patch} but still used "
            f"({len(where)} place(s) in the tree, {len(later)} later "
            "in the series)",
            file=first[0], line=first[1], patch=ch.patch, subject=old,
            detail=tuple(f"{p}:{n}: {t}" for p, n, t in (where + later)[:8]),
            patch_only=ch.patch_only,
            facts=(ConstantRef(old, ch.family, ch.before.value
                               if ch.before is not None else None),
                   Number("in_tree", len(where)),
                   Number("later_in_series", len(later)),
                   *(Location(p, n, TREE_LINE if i < len(where) else
                              PATCH_LINE, "use", t)
                     for i, (p, n, t) in enumerate((where + later)[:8])),
                   *((Text("renamed_to", ch.name),)
                     if ch.action == "renamed" else ()))))
    return out


def _unapplied_removals(applied: AppliedSeries | None, name: str
                        ) -> frozenset[tuple[str, str]]:
    """(file, line text) of the ``-`` lines naming ``name`` in hunks of
    the series that did not apply."""
    if applied is None:
        return frozenset()
    rx = re.compile(r"\b" + re.escape(name) + r"\b")
    return frozenset((f.path, l.text.strip()) for r in applied.results
                     for f in r.files for h in f.hunks if not h.applied
                     for l in h.hunk.lines if l.kind == "-"
                     and rx.search(l.text))


def _references(source: TreeSource, hits: Iterable[str], name: str
                ) -> list[tuple[str, int, str]]:
    """Uses of ``name`` in code (comments and strings blanked)."""
    rx = re.compile(r"\b" + re.escape(name) + r"\b")
    out = []
    for p in hits:
        data = source.read(p)
        if data is None or name.encode() not in data:
            continue
        text = data.decode("utf-8", "replace")
        for no, (line, code) in enumerate(zip(text.split("\n"),
                                              code_only(text).split("\n")),
                                          1):
            if rx.search(code):
                out.append((p, no, line.strip()))
    return out


def _later_uses(series: Series, label: str, name: str
                ) -> list[tuple[str, int, str]]:
    rx = re.compile(r"\b" + re.escape(name) + r"\b")
    try:
        n = int(label.split("/")[0])
    except ValueError:
        return []
    out = []
    for p in series.patches:
        if p.index <= n:
            continue
        for fp in p.files:
            for h in fp.hunks:
                for l in h.added:
                    # One line out of context: a comment line of a block
                    # ("* ...") is taken as comment.
                    if l.text.lstrip().startswith("*") or \
                            not rx.search(code_only(l.text)):
                        continue
                    out.append((fp.path, l.new_no or 0,
                                f"{p.label} adds: {l.text.strip()}"))
    return out


def new_constants(facts: Facts) -> list[str]:
    return sorted(n for n in facts.final if n not in facts.base)


def unhandled_enumerators(facts: Facts) -> list[Finding]:
    """A new value some parent's decision on a child's token
    (``FilterPath.decides == "child"``: a switch on the child's
    ``info->bus_token`` in ``init_dev_msi_info``/``msi_prepare``) does
    not handle.  Lookup selections, a domain's own token, lookup keys
    and core helpers are not such decisions, and a value the code uses
    only as a lookup key or a domain's own token
    (``Facts.lookup_tokens``) never reaches one."""
    out = []
    for name in new_constants(facts):
        const = facts.final[name]
        if const.bit or name in facts.lookup_tokens:
            continue
        family = {c.name for c in facts.family_members(const.family)}
        for f in facts.filters:
            if f.decides != "child" or name in f.accepted:
                continue
            if (f.file, f.function, name) in facts.added_cases or \
                    (f.file, "", name) in facts.added_cases:
                # The series adds the case there itself; if its hunk did
                # not apply, the hunk findings say so.
                continue
            if not (f.accepted & family) or f.action not in (
                    FilterAction.REJECT, FilterAction.WARN):
                continue
            warns = f.action is FilterAction.WARN or "WARN" in f.default
            out.append(UNHANDLED_ENUMERATOR.finding(
                f"{f.function}() does not handle {name}; its default "
                f"({f.default}) refuses it", file=f.file, line=f.line,
                patch=facts.introduced_by(name), subject=name,
                detail=(f"handles: {', '.join(sorted(f.accepted))}",),
                lesser=not warns,
                facts=(_ref(facts, name, "subject"),
                       Location(f.file, f.line, TREE_LINE, "filter",
                                f.function),
                       Text("default", f.default),
                       *(_ref(facts, n, "handled")
                         for n in sorted(f.accepted)))))
    return out


def _ref(facts: Facts, name: str, role: str) -> ConstantRef:
    """``name`` as a fact, with its value after the series when known."""
    c = facts.final.get(name)
    return ConstantRef(name, c.family if c else None,
                       c.value if c else None, role, bits=bool(c and c.bit))
