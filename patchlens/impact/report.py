"""``patchlens report``: the reviewer's report, as one :class:`Report`.

Sections in the order a reviewer reads them: the series (which
revision and why, base, how each patch applied), the constants it
changes, the findings, the impact of each new or changed constant,
and the review comments anchored to those constants.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from patchlens.c.lexical import code_only
from patchlens.checks import run_checks
from patchlens.checks.bits import collision_effects
from patchlens.checks.flags import (existed_before, patch_uses, removed_uses,
                                    preimage_value)
from patchlens.checks.hunks import HUNK_CODES
from patchlens.checks.hunks import hunk_findings as _hunk_findings
from patchlens.extract.roles import Role
from patchlens.findings import Finding
from patchlens.impact.accept import verdicts
from patchlens.impact.facts import Facts, Instance, subsystem_of
from patchlens.impact.model import (
    Advertiser, Application, ConstantChange, Impact, PatchApplied,
    RemovedUse, Report, SeriesInfo, Site, SubsystemUse,
)
from patchlens.impact.review import review_notes
from patchlens.mail.model import Series
from patchlens.tree.apply import AppliedSeries
from patchlens.tree.source import TreeInfo

__all__ = ["build_report", "report_findings", "hunk_findings",
           "constant_files", "dedupe", "series_info", "application",
           "constant_changes", "impacts", "removal", "removal_from_patches",
           "FROM_PATCH_TEXT", "patch_only_note",
           "PATCH_ONLY"]

# One line (72 columns) said once at the top of report and check output
# without a tree: what a patch-only analysis cannot know.
PATCH_ONLY = ("patch-only analysis: cannot know if hunks apply, the tree's "
              "values, uses")


def series_info(series: Series, tree: TreeInfo) -> SeriesInfo:
    author = series.cover.author if series.cover else (
        series.patches[0].author or series.patches[0].message.author
        if series.patches else "")
    date = series.cover.date if series.cover else (
        series.patches[0].message.date if series.patches else "")
    return SeriesInfo(
        title=series.title, author=author.split("<")[0].strip() or author,
        date=date, revision=series.revision,
        revision_reason=series.revision_reason.split(": ", 1)[-1],
        total=series.total, present=tuple(p.index for p in series.patches),
        missing=series.missing, replies=len(series.replies),
        base_commit=series.base_commit, tree=tree.label,
        tree_reason=tree.reason or tree.kind, source=series.source,
        warnings=series.warnings)


def application(applied: AppliedSeries | None,
                files: frozenset[str] | None = None) -> Application:
    """Per-patch hunk counts; notes for the hunks that did not apply
    cleanly, in ``files`` only when given (the files defining family
    constants: the ones the report is about)."""
    if applied is None:
        return Application()
    # Without a tree nothing applies and nothing fails: the hunks are
    # read from the patch text (counted, no notes).
    no_tree = applied.base.info.kind == "none"
    out = []
    prefix = applied.applied_prefix
    for r in applied.results:
        counts: dict[str, int] = defaultdict(int)
        notes = []
        if r.already:
            notes.append("already in the tree: not applied again")
            if prefix and r.index == prefix:
                notes.append("the series is partly applied: the tree has "
                             "the patches up to this one")
        for f in r.files:
            for h in f.hunks:
                counts["hunks"] += 1
                if no_tree:
                    continue
                key = {"clean": "clean", "offset": "offset", "fuzz": "fuzz",
                       "failed": "failed", "conflict": "conflict",
                       "already": "already"}.get(h.status.name.lower(),
                                                 "preimage")
                counts[key] += 1
                if r.already:
                    continue
                if key in ("failed", "conflict", "fuzz", "preimage",
                           "already") and (
                        files is None or f.path in files):
                    note = f"{f.path}: hunk {h.number} {h.describe}"
                    if h.message:
                        note += f"; {h.message}"
                    notes.append(note)
            if f.message and not r.already and not no_tree:
                notes.append(f"{f.path}: {f.message}")
        out.append(PatchApplied(r.label, r.patch.title, **counts,
                                notes=tuple(notes)))
    return Application(tuple(out))


def _changed_at(facts: Facts, name: str) -> str | None:
    """The first patch after which ``name``'s value differs from before."""
    for k in range(1, len(facts.states)):
        if facts.value_at(name, k) != facts.value_at(name, k - 1) or (
                (name in facts.states[k]) != (name in facts.states[k - 1])):
            return facts.labels[k - 1] if k - 1 < len(facts.labels) else None
    return None


def _proven_changed_at(facts: Facts, name: str) -> str:
    """The first patch, from the one whose pre-image proves ``name``,
    after which its value differs from the proven one (or it is gone)."""
    value, label = facts.proven[name]
    start = facts.labels.index(label) + 1 if label in facts.labels else 1
    for k in range(start, len(facts.states)):
        if name not in facts.states[k] or \
                facts.states[k][name].value != value.value:
            return facts.labels[k - 1]
    return label


def _collides(facts: Facts, name: str) -> bool:
    c = facts.final.get(name)
    if c is None or not c.bit or not c.value or c.value & (c.value - 1):
        return False
    # A value read from patch text (its hunk did not apply) collides
    # only when the checks say so: they judge its hunk against the
    # tree's layout (checks/bits.py).
    if any(f.code == "bit-collision" and re.search(rf"\b{name}\b", f.message)
           for f in facts.hazards):
        return True
    return c.origin == "tree" and any(
        o.name != name and o.family == c.family and o.value == c.value
        and o.origin == "tree" for o in facts.final.values())


def constant_changes(facts: Facts, series: Series | None = None
                     ) -> tuple[ConstantChange, ...]:
    """What the series adds, removes, changes or shifts.  ``series``: a
    name it shows existing before it (on a context or removed line
    before any patch adds it: a renumbered flag) is changed, not added,
    even where the base cannot say its old value (no tree)."""
    # A moved definition whose value stays is no change (patch-only, its
    # old place is known from the patch's pre-image, not from the base).
    moved = {n for mv in facts.moves for n in mv.names if n not in mv.changed}
    out = []
    order = []
    for st in (*facts.states, facts.proven):
        order += [n for n in st if n not in order]
    for name in order:
        # Before the series: the base, or what a patch's pre-image proves.
        b = facts.base.get(name) or (facts.proven[name][0]
                                     if name in facts.proven else None)
        a = facts.final.get(name)
        c = a or b
        if c is None or name in moved:
            continue        # added and removed again; moved, value kept
        if b is not None and a is not None and b.value == a.value:
            continue
        patch = _changed_at(facts, name) if name in facts.base \
            or name not in facts.proven else _proven_changed_at(facts, name)
        edited = name not in facts.shifted if facts.shifted else \
            facts.first_patch_adding(name) is not None
        before = b.value if b is not None else None
        if b is None:
            kind = "changed" if series is not None and \
                existed_before(series, name) else "added"
            if kind == "changed" and series is not None:
                before = preimage_value(series, name)
        elif a is None:
            kind = "removed"
        else:
            kind = "changed" if edited else "shifted"
        marks = []
        if kind == "shifted":
            marks.append("shift")
        if _collides(facts, name):
            marks.append("collision")
        if a is not None and a.value is None or \
                a is None and b is not None and b.value is None:
            marks.append("unknown")
        out.append(ConstantChange(c.title, c.family, name, kind, before,
                                  a.value if a else None, c.bit, patch,
                                  c.file, c.line, tuple(marks)))
    fam_order = []
    for ch in out:
        if ch.family_key not in fam_order:
            fam_order.append(ch.family_key)
    return tuple(sorted(out, key=lambda ch: (
        fam_order.index(ch.family_key),
        ch.after if ch.after is not None else (ch.before or 0), ch.name)))


def _uses(facts: Facts, name: str, unapplied: Sequence[Site] = ()
          ) -> tuple[SubsystemUse, ...]:
    groups: dict[str, list[Site]] = defaultdict(list)
    for s in facts.sites:
        if s.name == name and s.role != Role.DEFINE:
            groups[s.subsystem].append(s)
    for s in unapplied:
        if s.name == name:
            groups[s.subsystem].append(s)
    return tuple(SubsystemUse(sub, facts.maintainers.get(sub, ()),
                              tuple(sorted(sites, key=lambda s: (s.file,
                                                                 s.line))))
                 for sub, sites in sorted(groups.items()))


def _neighbours(facts: Facts, name: str) -> tuple[str, ...]:
    c = facts.final.get(name)
    if c is None or c.value is None:
        return ()
    members = [m for m in facts.family_members(c.family)
               if m.value is not None and (not m.bit or not m.value or
                                           not m.value & (m.value - 1))]
    names = [m.name for m in members]
    i = names.index(name) if name in names else -1
    if i < 0:
        return ()
    near = [names[j] for j in (i - 1, i + 1) if 0 <= j < len(names)]
    same = [m.name for m in members if m.value == c.value and m.name != name]
    return tuple(dict.fromkeys(same + near))


def _advertisers(facts: Facts, name: str) -> tuple[Advertiser, ...]:
    c = facts.final.get(name)
    if c is None or not c.bit:
        return ()
    base = {(i.file, i.name): i for i in facts.base_instances}
    out = []
    for inst in facts.instances:
        for fname, names in inst.fields.items():
            if facts.field_meaning.get((inst.struct, fname)) != "supports":
                continue
            fam = {facts.final[n].family for n in names if n in facts.final}
            masks = facts.set_values[-1] if facts.set_values else {}
            if c.family not in fam and not any(n in masks for n in names):
                continue
            # By bits: a mask in the field (MSI_GENERIC_FLAGS_MASK)
            # advertises every flag whose bit it covers.
            b = base.get((inst.file, inst.name))
            today = b is not None and name in facts.base and \
                facts.carries(b, fname, name, 0) is not None
            mask = facts.carries(inst, fname, name)
            after = mask is not None
            patch = _advertised_from(facts, inst, fname, name, mask or "") \
                if after and not today else \
                facts.first_patch_adding(name, inst.file) \
                if after != today else None
            # The line of the field (".supported_flags ="), not of the
            # structure's first line: the render says ".field at line".
            out.append(Advertiser(inst.name, inst.struct, fname, inst.file,
                                  inst.lines.get(fname, inst.line),
                                  inst.subsystem,
                                  _via(inst, fname, name, mask), today,
                                  after, patch))
    return tuple(sorted(out, key=lambda a: (not a.with_series, a.file)))


def _advertised_from(facts: Facts, inst: Instance, fname: str, name: str,
                     mask: str) -> str | None:
    """The patch from which field ``fname`` of ``inst`` advertises
    ``name``: both must hold, so the later of the patch that gives a new
    flag its bit and the patch that puts its carrier into the field --
    the mask that covers the bit (``mask``), else the flag's own name
    (directly or in the field's flag-set macro).  Another field of the
    instance naming the flag (.required_flags) is no part of it."""
    needs = [facts.introduced_by(name) if name not in facts.base else None]
    if mask:
        needs.append(facts.first_patch_adding(mask, inst.file))
    else:
        macro = inst.macro_for(fname, name)
        needs.append(facts.first_patch_adding(name, inst.file) or (
            next((lab for lab in facts.labels
                  if any(macro in t for (l2, _), ts in facts.added.items()
                         if l2 == lab for t in ts)), None)
            if macro else None))
    order = {lab: i for i, lab in enumerate(facts.labels)}
    return max((p for p in needs if p is not None),
               key=lambda p: order.get(p, -1), default=None)


def _via(inst: Instance, fname: str, name: str, mask: str | None
         ) -> str | None:
    """The flag-set macro (and mask) field ``fname`` carries a flag
    through: "X86_VECTOR_MSI_FLAGS_SUPPORTED (MSI_GENERIC_FLAGS_MASK)"."""
    direct = inst.macro_for(fname, name)
    if direct or not mask:
        return direct
    macro = inst.macro_for(fname, mask)
    return f"{macro} ({mask})" if macro else mask


def unapplied_uses(facts: Facts, series: Series,
                   applied: AppliedSeries | None, names: Iterable[str]
                   ) -> tuple[Site, ...]:
    """Uses of ``names`` on lines the series adds in hunks that did not
    apply (all of them without a tree): the tree's scan cannot see
    them, the patch text shows them (a flag the series sets and tests
    is used by the series, whatever the tree)."""
    subsystems = {s.file: s.subsystem for s in (*facts.base_sites,
                                                *facts.sites)}
    failed = None if applied is None else {
        id(h.hunk) for r in applied.results for f in r.files
        for h in f.hunks if not h.applied}
    return tuple(
        Site(u.name, u.role, u.file, u.line, None,
             subsystems.get(u.file) or subsystem_of(u.file),
             u.patch, "read from the patch text: its hunk did not apply")
        for u in patch_uses(series, names, failed, facts.call_rules)
        if u.role not in (Role.DEFINE, Role.OTHER))


def impacts(facts: Facts, changes: Sequence[ConstantChange],
            applied: AppliedSeries | None = None,
            unapplied: Sequence[Site] = (), *,
            series: Series | None = None) -> tuple[Impact, ...]:
    """Per constant the series adds, changes or removes: who uses it.
    A removed constant has no users after the series and no parent can
    accept it: its uses before the series are listed with the patch
    that removes each (``applied``: the series' states), and any use
    left behind.  ``unapplied``: uses on lines of hunks that did not
    apply (:func:`unapplied_uses`)).  ``series``: without a tree, the uses a removed constant had
    before the series are those its patches remove (read from their
    text)."""
    out = []
    no_tree = applied is not None and applied.base.info.kind == "none"
    for ch in changes:
        if ch.kind not in ("added", "changed", "removed"):
            continue
        if ch.kind == "removed":
            out.append(Impact(ch.name, ch.family,
                              (f"removed {ch.family}, value unknown"
                               if ch.shown_before == "?" else
                               f"removed {ch.family}, was {ch.shown_before}")
                              + (f", by {ch.patch}" if ch.patch else ""),
                              removal=removal_from_patches(series, ch.name)
                              if no_tree and series is not None
                              else removal(facts, ch.name, applied)))
            continue
        if ch.kind == "added":
            what = f"new {ch.family}, {ch.shown_after}"
        else:
            what = f"{ch.family}, {ch.shown_before} -> {ch.shown_after}"
        filters = () if ch.bit else verdicts(facts, ch.name)
        out.append(Impact(ch.name, ch.family, what,
                          _uses(facts, ch.name, unapplied),
                          _neighbours(facts, ch.name), filters,
                          _advertisers(facts, ch.name),
                          select_fields=facts.select_fields))
    return tuple(out)


# -- a removed constant: its uses before the series, and their fate --------

def removal(facts: Facts, name: str, applied: AppliedSeries | None
            ) -> tuple[RemovedUse, ...]:
    """The uses of ``name`` before the series, each followed through the
    patches to the one that removes it (or to the end: left behind),
    then the uses a patch of the series adds (left behind too)."""
    base = sorted((s for s in facts.base_sites
                   if s.name == name and s.role != Role.DEFINE),
                  key=lambda s: (s.file, s.line))
    out = [RemovedUse(s, *_removed_by(applied, s.file, s.line, name))
           for s in base]
    for s in facts.sites:
        if s.name == name and s.role != Role.DEFINE and s.patch:
            out.append(RemovedUse(s, None, "added", added_by=s.patch))
    return tuple(out)


# What a removal note says of uses read from the patch text: no tree.
FROM_PATCH_TEXT = "read from the patch text: no tree"


def removal_from_patches(series: Series, name: str
                         ) -> tuple[RemovedUse, ...]:
    """Without a tree: the uses of ``name`` the series' patches remove
    (their ``-`` lines), each with that patch.  The patches cannot show
    a use they leave behind, so none is "left"."""
    return tuple(
        # The role a statement gives it needs the tree's call rules:
        # from patch text it is left unclassified ("other").
        RemovedUse(Site(u.name, Role.OTHER, u.file, u.line, None,
                        subsystem_of(u.file), None, FROM_PATCH_TEXT),
                   u.patch, "line removed")
        for u in removed_uses(series, name))


def _removed_by(applied: AppliedSeries | None, file: str, line: int,
                name: str) -> tuple[str | None, str]:
    """(the patch whose change drops the use at ``file:line`` of the
    base, how) -- (None, "") when the use survives the series.  The line
    is followed from state to state by a line diff of its file."""
    if applied is None:
        return None, ""
    rx = re.compile(rf"\b{re.escape(name)}\b")
    at = line - 1
    for k, r in enumerate(applied.results, start=1):
        if file not in applied.changed(k):
            continue
        old = applied.state(k - 1).read(file)
        new = applied.state(k).read(file)
        if old is None:
            return None, ""
        if new is None:
            return r.label, "file removed"
        a = old.decode("utf-8", "replace").split("\n")
        b = new.decode("utf-8", "replace").split("\n")
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if not i1 <= at < i2:
                continue
            if tag == "equal":
                at = j1 + at - i1
                break
            kept = [j for j in range(j1, j2) if rx.search(code_only(b[j]))]
            if tag == "replace" and kept:
                at = kept[min(at - i1, len(kept) - 1)]
                break
            return r.label, "line removed" if tag == "delete" else \
                "line changed"
    return None, ""


def report_findings(series: Series, applied: object | None, facts: Facts
                    ) -> tuple[Finding, ...]:
    """The one finding list of a series, which ``report`` and ``check``
    both print and both compute their exit status from: the constant
    checks (``facts.hazards``, each collision with what it does to the
    instances setting the old bit), the usage, flag and order checks,
    and the hunks that did not apply cleanly (every file; their text
    left to ``patchlens apply``; none without a tree)."""
    findings: list[Finding] = list(collision_effects(facts.hazards, facts))
    findings += list(run_checks(
        series, applied if isinstance(applied, AppliedSeries) else None,
        facts))
    findings += hunk_findings(applied)
    return dedupe(findings)


def patch_only_note(tree: TreeInfo) -> str | None:
    """:data:`PATCH_ONLY` for the empty tree, else None."""
    return PATCH_ONLY if tree.kind == "none" else None


def build_report(series: Series, tree: TreeInfo, applied: AppliedSeries | None,
                 facts: Facts) -> Report:
    changes = constant_changes(facts, series)
    names = {c.name for c in changes}
    refs = tuple(s for s in facts.sites if s.name in names)
    return Report(series_info(series, tree),
                  application(applied, constant_files(facts)), changes,
                  report_findings(series, applied, facts),
                  impacts(facts, changes,
                          applied if isinstance(applied, AppliedSeries)
                          else None,
                          unapplied_uses(
                              facts, series, applied if isinstance(
                                  applied, AppliedSeries) else None,
                              [c.name for c in changes
                               if c.kind in ("added", "changed")]),
                          series=series), refs,
                  review_notes(series, facts, names), moves=facts.moves,
                  patch_only=patch_only_note(tree))


def constant_files(facts: Facts) -> frozenset[str]:
    """Files that define a family constant at some step."""
    return frozenset(c.file for st in facts.states for c in st.values()
                     if c.file)


def hunk_findings(applied: object | None,
                  files: frozenset[str] | None = None) -> list[Finding]:
    """The applied series' hunk findings (failed, fuzz, pre-image), in
    ``files`` only when given, with the hunk text left out (``patchlens
    apply`` shows it): only where it nearly fits is kept."""
    if not isinstance(applied, AppliedSeries):
        return []
    out = []
    for f in _hunk_findings(applied):
        if files is not None and f.file not in files:
            continue
        detail = tuple(d for d in f.detail if d.strip().startswith(
            ("nearest", "nearly", "already")))
        out.append(replace(f, detail=detail))
    return out


def dedupe(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    seen, out = set(), []
    for f in findings:
        # Two patches' hunks can fail at one place with the same words:
        # each is its own finding (the Applied line counts both).
        key = (f.code, f.file, f.line, f.subject, f.message,
               f.patch if f.code in HUNK_CODES else None)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return tuple(out)
