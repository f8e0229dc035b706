"""A series' constants: the values at the base and after each patch,
and what each patch changed (``ConstantChange``).  The hazards are
read from it by ``patchlens.checks``.

Hunks that did not apply and ``series.rebuilt`` fragments of an archive
reply are read in patch-only mode (``patchonly.py``) and laid onto the
tree's definitions.  Without a series, :func:`tree_history` is one
step: the base.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchlens.c.evaluate import Value
from patchlens.diff import Hunk
from patchlens.extract.constants import evaluate_model, extract_constants, model_from
from patchlens.extract.definitions import ConstantTable
from patchlens.extract.patchonly import PatchOnlyNote, lay_hunk
from patchlens.extract.profile import Profile
from patchlens.mail.model import Series
from patchlens.search import SearchContext
from patchlens.tree.apply import AppliedSeries
from patchlens.tree.source import TreeSource

__all__ = ["ConstantChange", "Step", "ConstantHistory", "constant_history",
           "tree_history"]


@dataclass(frozen=True)
class ConstantChange:
    """What one patch did to one constant."""
    name: str
    family: str
    action: str                   # "added", "removed", "renamed", "changed"
    patch: str                    # "27/33"
    before: Value | None
    after: Value | None
    old_name: str | None = None   # for "renamed"
    file: str | None = None
    line: int | None = None
    implicit: bool = False        # the value changed only by position
    origin: str = "tree"


@dataclass(frozen=True)
class Step:
    """The table after one patch (``label`` "27/33"; "base" for the tree)."""
    label: str
    index: int                    # patch index n of n/m; 0 for the base
    table: ConstantTable



@dataclass(frozen=True)
class ConstantHistory:
    steps: tuple[Step, ...]       # steps[0] is the base
    changes: tuple[ConstantChange, ...]
    patch_only: tuple[PatchOnlyNote, ...] = ()
    missing_files: tuple[str, ...] = ()  # files the series needs, absent

    @property
    def base(self) -> ConstantTable:
        return self.steps[0].table

    @property
    def final(self) -> ConstantTable:
        return self.steps[-1].table

    def values(self, name: str) -> tuple[tuple[str, Value | None], ...]:
        """(step label, value or None when absent) for every step."""
        out = []
        for s in self.steps:
            c = s.table.get(name)
            out.append((s.label, c.value if c else None))
        return tuple(out)

    def changes_of(self, name: str) -> tuple[ConstantChange, ...]:
        return tuple(c for c in self.changes
                     if c.name == name or c.old_name == name)


def constant_history(applied: AppliedSeries, series: Series, profile: Profile,
                     context: SearchContext | None = None) -> ConstantHistory:
    """Values at the base and after each patch, and what each patch
    changed (the hazards are ``patchlens.checks.constant_findings``).

    Hunks that did not apply (the
    file is missing, the tree moved on) and ``series.rebuilt`` fragments
    of an archive reply are read in patch-only mode and laid onto the
    tree's definitions.  ``context``: the run's searches.
    """
    context = context or SearchContext()
    hint: set[str] = set()
    for k in range(len(applied.results) + 1):
        hint |= set(applied.changed(k))
    for fp in series.rebuilt:
        hint.add(fp.path)
    hint_t = tuple(sorted(hint))

    # The failed hunks (and rebuilt fragments) of each patch index.
    failed: dict[int, list[tuple[str, Hunk, str]]] = {}
    notes: list[PatchOnlyNote] = []
    missing_files: list[str] = []
    labels: dict[int, str] = {}
    for r in applied.results:
        labels[r.index] = r.label
        for f in r.files:
            for h in f.hunks:
                if h.applied:
                    continue
                reason = h.message or "did not apply"
                failed.setdefault(r.index, []).append((f.path, h.hunk, reason))
                if "not in the tree" in reason and f.path not in missing_files:
                    missing_files.append(f.path)
    for fp, idx in zip(series.rebuilt, series.rebuilt_index):
        n = idx if idx is not None else 0
        labels.setdefault(n, f"{n}/{series.total}" if n else "quoted")
        for quoted in fp.hunks:
            failed.setdefault(n, []).append(
                (fp.path, quoted, "rebuilt from a quoted reply"))

    indexes = sorted(set(labels))
    steps: list[Step] = []
    base_model = model_from(applied.base, profile, hint_t, context)
    steps.append(Step("base", 0, evaluate_model(base_model, profile)))
    for n in indexes:
        state = applied.state_after(n) if n else applied.base
        model = model_from(state, profile, hint_t, context)
        for m in sorted(i for i in failed if i <= n):
            for path, hunk, reason in failed[m]:
                origin = f"patch-only: {labels.get(m, m)}: {path}: {reason}"
                if lay_hunk(model, path, hunk, profile, origin) and m == n:
                    notes.append(PatchOnlyNote(labels.get(m, str(m)), path,
                                               reason))
        steps.append(Step(labels.get(n, str(n)), n,
                          evaluate_model(model, profile)))
    changes = _changes(steps)
    return ConstantHistory(tuple(steps), tuple(changes), tuple(notes),
                           tuple(missing_files))


def tree_history(source: TreeSource, profile: Profile,
                 context: SearchContext | None = None) -> ConstantHistory:
    """The history of a tree without a series: one step, the base."""
    return ConstantHistory((Step("base", 0, extract_constants(
        source, profile, context=context)),), ())


def _changes(steps: list[Step]) -> list[ConstantChange]:
    out: list[ConstantChange] = []
    for prev, cur in zip(steps, steps[1:]):
        a, b = prev.table.by_name, cur.table.by_name
        removed = [n for n in a if n not in b]
        added = [n for n in b if n not in a]
        renamed: dict[str, str] = {}
        for new in added:
            cb = b[new]
            for old in removed:
                ca = a[old]
                if old in renamed.values() or ca.family != cb.family:
                    continue
                if ca.value.value is not None and ca.value.value == cb.value.value \
                        and ca.kind == cb.kind:
                    renamed[new] = old
                    break
        for new in added:
            c = b[new]
            if new in renamed:
                old = renamed[new]
                out.append(ConstantChange(new, c.family, "renamed", cur.label,
                                          a[old].value, c.value, old, c.file,
                                          c.line, origin=c.origin))
            else:
                out.append(ConstantChange(new, c.family, "added", cur.label,
                                          None, c.value, None, c.file, c.line,
                                          origin=c.origin))
        for old in removed:
            if old in renamed.values():
                continue
            c = a[old]
            out.append(ConstantChange(old, c.family, "removed", cur.label,
                                      c.value, None, None, c.file, c.line))
        for name in a:
            if name in b and a[name].value.value != b[name].value.value:
                c = b[name]
                out.append(ConstantChange(name, c.family, "changed", cur.label,
                                          a[name].value, c.value, None,
                                          c.file, c.line,
                                          implicit=c.implicit and a[name].implicit,
                                          origin=c.origin))
    return out
