"""A series' constants: the values at the base and after each patch,
and what each patch changed (``ConstantChange``).  The hazards are
read from it by ``patchlens.checks``.

Hunks that did not apply and ``series.rebuilt`` fragments of an archive
reply are read in patch-only mode (``patchonly.py``) and laid onto the
tree's definitions.  Without a series, :func:`tree_history` is one
step: the base.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from patchlens.c.evaluate import Value
from patchlens.diff import Hunk
from patchlens.extract.constants import (evaluate_model, extract_constants,
                                         model_from, model_inputs, model_of)
from patchlens.extract.definitions import Constant, ConstantTable, Model
from patchlens.extract.patchonly import (PatchOnlyNote, hunk_enum_tag, line_entry,
                                         hunk_shifts, lay_hunk, lay_preimage,
                                         preimage_values, removed_enumerators,
                                         shows_enum_opening)
from patchlens.extract.profile import Profile
from patchlens.mail.model import Series
from patchlens.search import SearchContext
from patchlens.tree.apply import AppliedSeries
from patchlens.tree.source import TreeSource

__all__ = ["ConstantChange", "DefinitionMove", "Step", "ConstantHistory",
           "constant_history", "tree_history"]


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
    # By how much the value moves, when the patch proves it although
    # the values are unknown (a hunk inside an enum whose start is not
    # in the tree nor in the hunk); else after - before, or None.
    delta: int | None = None

    @property
    def patch_only(self) -> bool:
        """Read from the patch text alone: no tree fact checked it."""
        return self.origin.startswith("patch-only")


@dataclass(frozen=True)
class DefinitionMove:
    """A family definition that leaves one file for another along the
    series: a whole enum (``what`` "enum irq_domain_bus_token") or
    macros moved together.  Values are compared apart: ``changed``
    names the moved constants whose value differs after the move (a
    move that also renumbers is both)."""
    what: str                     # "enum irq_domain_bus_token", "MSI_FLAG_X"
    family: str                   # family key
    names: tuple[str, ...]
    old_file: str
    old_line: int
    new_file: str
    new_line: int
    old_guard: str | None         # the #if chain around it: "CONFIG_X"
    new_guard: str | None
    added_by: str                 # the patch after which the new one exists
    removed_by: str               # the patch after which the old one is gone
    changed: tuple[str, ...] = ()
    # One side was read from the patch text (a hunk that did not apply):
    # its #if guard is not known (None then means "unknown", not "none").
    patch_only: bool = False

    @property
    def patch(self) -> str:
        """"1/1", or "1/2, 2/2" when one patch adds the new definition
        and a later one removes the old."""
        return self.added_by if self.added_by == self.removed_by \
            else f"{self.added_by}, {self.removed_by}"

    @property
    def guard_changed(self) -> bool:
        """The guards differ (never said when one is unknown)."""
        return not self.patch_only and \
            _norm_guard(self.old_guard) != _norm_guard(self.new_guard)


def _norm_guard(guard: str | None) -> str:
    return "".join((guard or "").split())


@dataclass(frozen=True)
class Step:
    """The table after one patch (``label`` "27/33"; "base" for the tree).

    ``before``: the table just before this patch as the patch's own
    pre-image shows it, when that says more than the previous step (a
    hunk that did not apply shows an enum the tree lacks: its context
    and ``-`` lines existed before the patch).  The patch's changes are
    measured from it."""
    label: str
    index: int                    # patch index n of n/m; 0 for the base
    table: ConstantTable
    before: ConstantTable | None = None


@dataclass(frozen=True)
class ConstantHistory:
    steps: tuple[Step, ...]       # steps[0] is the base
    changes: tuple[ConstantChange, ...]
    patch_only: tuple[PatchOnlyNote, ...] = ()
    missing_files: tuple[str, ...] = ()  # files the series needs, absent
    moves: tuple[DefinitionMove, ...] = ()

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
    # Where each failed hunk nearly fits (by the hunk's id): its added
    # names are placed there when no enumerator anchors them.
    near: dict[int, int] = {}
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
                if h.near is not None:
                    near[id(h.hunk)] = h.near.line
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
    prev_state = applied.base
    prev_n = -1

    def origin_of(m: int, path: str, reason: str) -> str:
        return f"patch-only: {labels.get(m, m)}: {path}: {reason}"

    # Files the series creates (applied): their definitions are a patch's
    # own post-image, which a failed hunk elsewhere does not undo.
    written: set[str] = set()
    # Files of failed hunks the base has: the patch text is laid onto the
    # tree's own definitions there (its context proves nothing more).
    tree_files = frozenset(path for hunks in failed.values()
                           for path, _, _ in hunks
                           if applied.base.read(path) is not None)
    # The last step's model with its failed hunks laid, and what it was
    # made of: a state with the same files and the same created files
    # starts from it and lays only its own failed hunks (laying every
    # earlier one again on a fresh model gives the same model).
    last: tuple[tuple[tuple[str, bytes], ...], frozenset[str], Model] | None = None
    for n in indexes:
        state = applied.state_after(n) if n else applied.base
        before = _preimage(prev_state, n, failed, profile, hint_t, context,
                           origin_of, frozenset(written))
        inputs = model_inputs(state, profile, hint_t, context)
        if n:
            written |= {p for p in applied.changed_by(n)
                        if applied.base.read(p) is None
                        and state.read(p) is not None}
        keep = frozenset(written)
        if last is not None and last[0] == inputs and last[1] == keep:
            done = last[2]
            model = Model(list(done.enums), list(done.macros),
                          list(done.files), list(done.notes))
            todo = [m for m in sorted(failed) if prev_n < m <= n]
        else:
            model = model_of(inputs, context.cache)
            todo = [m for m in sorted(failed) if m <= n]
        for m in todo:
            for path, hunk, reason in failed[m]:
                origin = origin_of(m, path, reason)
                if lay_hunk(model, path, hunk, profile, origin,
                            near.get(id(hunk)), keep,
                            path not in tree_files,
                            _removed_names(failed[m])) and m == n:
                    notes.append(PatchOnlyNote(labels.get(m, str(m)), path,
                                               reason))
        last = (inputs, keep, model)
        steps.append(Step(labels.get(n, str(n)), n,
                          evaluate_model(model, profile), before))
        prev_state = state
        prev_n = n
    changes = _changes(steps)
    changes += _proven_shifts(steps, failed, profile, origin_of)
    return ConstantHistory(tuple(steps), tuple(changes), tuple(notes),
                           tuple(missing_files), _moves(steps))


def _preimage(prev_state: TreeSource, n: int,
              failed: dict[int, list[tuple[str, Hunk, str]]],
              profile: Profile, hint: tuple[str, ...],
              context: SearchContext,
              origin_of: Callable[[int, str, str], str],
              keep: frozenset[str] = frozenset()
              ) -> ConstantTable | None:
    """The table before patch ``n`` with its failed hunks' pre-image laid
    on (``Step.before``), or None when that adds nothing (``keep``: the
    files the series created before ``n``)."""
    # Explicit values of the pre-image count only where the tree has no
    # file to hold the names (else they are the tree's business).
    mine = [(path, hunk, reason) for path, hunk, reason in failed.get(n, ())
            if shows_enum_opening(hunk) or (
                (preimage_values(hunk, profile)
                 or removed_enumerators(hunk, profile))
                and prev_state.read(path) is None)]
    if not n or not mine:
        return None
    model = model_from(prev_state, profile, hint, context)
    for m in sorted(i for i in failed if i < n):
        for path, hunk, reason in failed[m]:
            lay_hunk(model, path, hunk, profile, origin_of(m, path, reason),
                     keep=keep, context_defines=prev_state.read(path) is None,
                     removed=_removed_names(failed[m]))
    laid = [lay_preimage(model, path, hunk, profile,
                         origin_of(n, path, reason), keep,
                         explicit=prev_state.read(path) is None)
            for path, hunk, reason in mine]
    return evaluate_model(model, profile) if any(laid) else None


def _removed_names(hunks: list[tuple[str, Hunk, str]]) -> frozenset[str]:
    """The names on the ``-`` lines of a patch's failed hunks."""
    out = set()
    for _, hunk, _ in hunks:
        for hl in hunk.lines:
            entry = line_entry(hl.text) if hl.kind == "-" else None
            if entry is not None:
                out.add(entry[1])
    return frozenset(out)


def _proven_shifts(steps: list[Step],
                   failed: dict[int, list[tuple[str, Hunk, str]]],
                   profile: Profile,
                   origin_of: Callable[[int, str, str], str]
                   ) -> list[ConstantChange]:
    """Shifts a failed hunk proves by itself where the values are unknown
    (the enum's start is neither in the tree nor in the hunk): an
    enumerator the hunk keeps, with enumerators inserted or removed
    before it."""
    out: list[ConstantChange] = []
    for prev, cur in zip(steps, steps[1:]):
        a = (cur.before or prev.table).by_name
        b = cur.table.by_name
        for path, hunk, reason in failed.get(cur.index, ()):
            tag = hunk_enum_tag(hunk)
            fams = [f for f in profile.families
                    if tag is not None and f.enum == tag]
            for name, delta, line in hunk_shifts(hunk):
                fam = next((f.key for f in profile.families
                            if f.has_name(name)), None) or \
                    (fams[0].key if fams else None)
                if fam is None:
                    continue
                known = [t[name] for t in (a, b) if name in t
                         and t[name].value.value is not None]
                if known:
                    continue        # the tables say it (or say it does not move)
                why = (f"the start of its enum is neither in the tree nor "
                       f"in {cur.label}'s hunk")
                out.append(ConstantChange(
                    name, fam, "changed", cur.label, Value(None, why),
                    Value(None, why), None, path, line, implicit=True,
                    origin=origin_of(cur.index, path, reason), delta=delta))
    return out



def tree_history(source: TreeSource, profile: Profile,
                 context: SearchContext | None = None) -> ConstantHistory:
    """The history of a tree without a series: one step, the base."""
    return ConstantHistory((Step("base", 0, extract_constants(
        source, profile, context=context)),), ())


def _changes(steps: list[Step]) -> list[ConstantChange]:
    """What each patch changed: measured from the step before it, or
    from the patch's own pre-image when it shows more (``Step.before``)."""
    out: list[ConstantChange] = []
    for prev, cur in zip(steps, steps[1:]):
        a = (cur.before or prev.table).by_name
        b = cur.table.by_name
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
                                      c.value, None, None, c.file, c.line,
                                      origin=c.origin))
        for name in a:
            if name in b and a[name].value.value != b[name].value.value:
                c = b[name]
                va, vb = a[name].value.value, c.value.value
                out.append(ConstantChange(name, c.family, "changed", cur.label,
                                          a[name].value, c.value, None,
                                          c.file, c.line,
                                          implicit=c.implicit and a[name].implicit,
                                          origin=c.origin,
                                          delta=vb - va if va is not None
                                          and vb is not None else None))
    return out


# -- moves -------------------------------------------------------------------

def _moves(steps: list[Step]) -> tuple[DefinitionMove, ...]:
    """Definitions whose file changes between the start and the end of
    the series.  The start is the base, or for a name the base lacks,
    the first pre-image a patch proves (``Step.before``).  An enum
    moves as one; macros moved between the same two files, together."""
    if len(steps) < 2:
        return ()
    final = steps[-1].table
    groups: dict[tuple[str, str | None, str, str],
                 list[tuple[Constant, Constant]]] = {}
    for name in final.names:
        if steps[0].table.get(name):
            old = steps[0].table.all_named(name)
        else:           # proven by a patch's pre-image, read from its text
            old = next((tuple(c for c in s.before.all_named(name)
                              if c.origin.startswith("patch-only"))
                        for s in steps[1:] if s.before is not None
                        and any(c.origin.startswith("patch-only")
                                for c in s.before.all_named(name))), ())
        if not old:
            continue
        new = final.all_named(name)
        gone = [c for c in old if c.file not in {n.file for n in new}]
        came = [c for c in new if c.file not in {o.file for o in old}]
        if not gone or not came:
            continue
        a, b = gone[0], came[0]
        tag = a.enum_name if a.kind == "enumerator" else None
        groups.setdefault((a.family, tag, a.file, b.file), []).append((a, b))
    out = []
    for (family, tag, old_file, new_file), pairs in groups.items():
        names = tuple(a.name for a, _ in pairs)
        first_old, first_new = pairs[0]
        old_line = _enum_line(steps, first_old) if tag is not None \
            else first_old.line
        new_line = _enum_line(steps, first_new) if tag is not None \
            else first_new.line
        what = (f"enum {tag}" if tag else f"the enum of {names[0]}") \
            if tag is not None else ", ".join(names)
        added = next((s.label for s in steps[1:] if any(
            c.file == new_file for n in names for c in s.table.all_named(n))),
            steps[-1].label)
        removed = next((s.label for s in steps[1:] if not any(
            c.file == old_file for n in names for c in s.table.all_named(n))
            and (s.before is None or not s.before.get(names[0])
                 or any(c.file == old_file
                        for c in s.before.all_named(names[0])))
            and _seen(steps, s, names[0], old_file)), steps[-1].label)
        changed = tuple(a.name for a, b in pairs
                        if a.value.value != b.value.value)
        out.append(DefinitionMove(
            what, family, names, old_file, old_line, new_file, new_line,
            first_old.condition, first_new.condition, added, removed,
            changed, any(c.origin.startswith("patch-only")
                         for c in (first_old, first_new))))
    return tuple(out)


def _seen(steps: list[Step], upto: Step, name: str, file: str) -> bool:
    """``name`` was defined in ``file`` at the base, or before ``upto``
    (its pre-image included)."""
    for s in steps:
        tables = [s.before, s.table] if s is not upto else [s.before]
        if s is steps[0]:
            tables = [s.table]
        if any(t is not None and any(c.file == file for c in t.all_named(name))
               for t in tables):
            return True
        if s is upto:
            break
    return False


def _enum_line(steps: list[Step], c: Constant) -> int:
    """The line of the ``enum`` keyword of the enum holding ``c``."""
    for s in steps:
        for tables in (s.table, s.before):
            if tables is None:
                continue
            for e in tables.enums:
                if e.file == c.file and c.name in e.names:
                    return e.line
    return c.line
