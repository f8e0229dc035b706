"""``patchlens diff``: the semantic counterpart of ``b4 diff``.

Between two revisions of a series: which constants and values changed,
which uses (roles) the series adds, and patch by patch -- matched by
normalised subject, else by the files it touches -- what each patch
does differently to the constants.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from patchlens.extract.roles import Role
from patchlens.impact.facts import ConstantAt, Facts, changed_names
from patchlens.impact.model import ConstantEffect, PatchDiff, SeriesDiff
from patchlens.mail.model import Patch, Series

__all__ = ["series_diff", "patch_effects", "subject_key"]


def subject_key(title: str) -> str:
    """A subject as patches are matched: case, spacing and a trailing
    period do not count, nor how the subsystem prefix separates its
    words (``fsl_mc: x`` and ``fsl-mc: x`` are one patch)."""
    text = re.sub(r"\s+", " ", title).strip().rstrip(".").lower()
    prefix, sep, rest = text.rpartition(": ")
    if not sep:
        return text
    return re.sub(r"[^a-z0-9:]+", "-", prefix) + ": " + rest


def _pairs(old: tuple[Patch, ...], new: tuple[Patch, ...]
           ) -> dict[int, Patch]:
    """new patch index -> the old patch it is a revision of: the same
    normalised subject, else (a subject reworded) the unpaired old patch
    touching the most of the same files -- at least half of both sides'
    files (Jaccard >= 0.5), nearest in the series on a tie."""
    by_subject: dict[str, Patch] = {}
    for q in old:
        by_subject.setdefault(subject_key(q.title), q)
    out: dict[int, Patch] = {}
    used: set[int] = set()
    for p in new:
        same = by_subject.get(subject_key(p.title))
        if same is not None and same.index not in used:
            out[p.index] = same
            used.add(same.index)
    for p in new:
        if p.index in out or not p.files:
            continue
        mine = _files(p)
        best: tuple[float, int, Patch] | None = None
        for q in old:
            if q.index in used or not q.files:
                continue
            theirs = _files(q)
            score = len(mine & theirs) / len(mine | theirs)
            if score < 0.5:
                continue
            cand = (score, -abs(q.index - p.index), q)
            if best is None or cand[:2] > best[:2]:
                best = cand
        if best is not None:
            out[p.index] = best[2]
            used.add(best[2].index)
    return out


def _show(c: ConstantAt | None) -> str:
    if c is None:
        return "-"
    if c.value is None:
        return "?"
    if c.bit and c.value > 0 and not c.value & (c.value - 1):
        return f"bit {c.value.bit_length() - 1}"
    return str(c.value)


def patch_effects(facts: Facts) -> dict[str, tuple[ConstantEffect, ...]]:
    """Per patch label: what it does to constants, one record each
    (``.phrase`` says it)."""
    out: dict[str, tuple[ConstantEffect, ...]] = {}
    for k, label in enumerate(facts.labels, start=1):
        if k >= len(facts.states):
            break
        before, after = facts.states[k - 1], facts.states[k]
        phrases = []
        for name in sorted(set(before) | set(after)):
            b, a = before.get(name), after.get(name)
            if b is None and a is not None:
                phrases.append(ConstantEffect("adds", name, "-", _show(a)))
            elif a is None and b is not None:
                phrases.append(ConstantEffect("removes", name, _show(b), "-"))
            elif a is not None and b is not None and a.value != b.value:
                phrases.append(ConstantEffect("changes", name, _show(b),
                                              _show(a)))
        out[label] = tuple(phrases)
    return out


def _files(p: Patch) -> set[str]:
    return {f.path for f in p.files}


def _roles(facts: Facts, names: set[str]) -> dict[str, Counter[Role | str]]:
    out: dict[str, Counter[Role | str]] = {}
    for s in facts.sites:
        if s.patch is not None and s.name in names:
            out.setdefault(s.name, Counter())[s.role] += 1
    return out


def _count(c: Counter[Role | str] | None) -> str:
    if not c:
        return "-"
    return ", ".join(f"{n} {r}" for r, n in sorted(c.items()))


def series_diff(old: Series, old_facts: Facts, new: Series,
                new_facts: Facts) -> SeriesDiff:
    names = changed_names(old_facts.states) | changed_names(new_facts.states)
    consts = []
    for name in sorted(names):
        a = old_facts.final.get(name)
        b = new_facts.final.get(name)
        if _show(a) != _show(b):
            consts.append((name, _show(a), _show(b)))
    old_roles, new_roles = _roles(old_facts, names), _roles(new_facts, names)
    roles = [(n, _count(old_roles.get(n)), _count(new_roles.get(n)))
             for n in sorted(set(old_roles) | set(new_roles))
             if old_roles.get(n) != new_roles.get(n)]
    old_fx, new_fx = patch_effects(old_facts), patch_effects(new_facts)
    pairs = _pairs(old.patches, new.patches)
    matched: set[int] = set()
    patches = []
    for p in new.patches:
        q = pairs.get(p.index)
        changes: list[str] = []
        effects: list[ConstantEffect] = []
        if q is None:
            changes.append(f"not in the v{old.revision} mailbox"
                           if p.index in old.missing
                           else "new in this revision")
            effects += new_fx.get(p.label, ())
            changes += [e.phrase for e in effects]
        else:
            matched.add(q.index)
            if subject_key(q.title) != subject_key(p.title):
                changes.append(f"subject was: {q.title} (paired by the "
                               "files it touches)")
            # Compared as they read ("removes X" whatever X was).
            was = {e.phrase: e for e in old_fx.get(q.label, ())}
            now = {e.phrase: e for e in new_fx.get(p.label, ())}
            gone_fx = [replace(was[x], when="no longer")
                       for x in sorted(set(was) - set(now))]
            new_fx_ = [replace(now[x], when="now")
                       for x in sorted(set(now) - set(was))]
            effects += gone_fx + new_fx_
            changes += [e.phrase for e in gone_fx + new_fx_]
            gone, added = _files(q) - _files(p), _files(p) - _files(q)
            if gone:
                changes.append("no longer touches " + ", ".join(sorted(gone)))
            if added:
                changes.append("now touches " + ", ".join(sorted(added)))
        patches.append(PatchDiff(q.label if q else None, p.label, p.title,
                                 tuple(changes), tuple(effects)))
    for q in old.patches:
        if q.index not in matched:
            dropped = old_fx.get(q.label, ())
            patches.append(PatchDiff(q.label, None, q.title,
                                     (f"not in the v{new.revision} mailbox"
                                      if q.index in new.missing else
                                      "dropped in this revision",)
                                     + tuple(e.phrase for e in dropped),
                                     dropped))
    notes = []
    if old.missing:
        notes.append(f"v{old.revision} is missing "
                     f"{', '.join(map(str, old.missing))}: their effects "
                     "are unknown")
    if new.missing:
        notes.append(f"v{new.revision} is missing "
                     f"{', '.join(map(str, new.missing))}: their effects "
                     "are unknown")
    return SeriesDiff(f"v{old.revision} ({old.source.rsplit('/', 1)[-1]})",
                      f"v{new.revision} ({new.source.rsplit('/', 1)[-1]})",
                      tuple(consts), tuple(patches), tuple(roles),
                      tuple(notes), tuple(old.missing), tuple(new.missing))
