"""Series order and prerequisites: each patch must build on its own.

Patch k uses a constant only a later patch defines
(``used-before-defined``), or one an earlier patch removed
(``used-after-removed``); or the series relies on a constant that
neither the tree nor any patch of it defines (``needs-prerequisite``).

What tells them apart is *pre-image evidence*: a name on a context or
``-`` line of a hunk existed before that patch -- unless that very line
was added by an earlier patch of the series.  A name with such evidence
is never "defined" by the patch that (in a tree where its hunk did not
apply, or with no tree at all) happens to bring it into the analysis:
it comes from the series' base.  When the tree analysed lacks it, the
series needs a prerequisite (another series, or a missing patch of
this one); that is a fact about the base, not about the series' order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from patchlens.c.lexical import code_only
from patchlens.extract.facts import Facts
from patchlens.extract.history import ConstantHistory
from patchlens.extract.patchonly import family_enumerators
from patchlens.extract.profile import Profile
from patchlens.findings import (PATCH_LINE, ConstantRef, Evidence, Finding,
                                Location, Severity, Text, declare)
from patchlens.mail.model import Series
from patchlens.search import SearchContext, search
from patchlens.tree.apply import AppliedSeries, HunkStatus

__all__ = ["USED_BEFORE_DEFINED", "USED_AFTER_REMOVED", "NEEDS_PREREQUISITE",
           "Sighting", "preimage_evidence", "mid_series_breakage",
           "needs_prerequisites", "family_name_test"]

USED_BEFORE_DEFINED = declare(
    "used-before-defined", Severity.ERROR, Evidence.BOTH,
    "a patch uses a constant only a later patch defines",
    "The series does not bisect: the patch does not build on its own. A "
    "name the base tree has, or that any patch shows on a context or "
    "removed line (so it existed before the series), is not defined by a "
    "patch of the series: that is needs-prerequisite, not this.")
USED_AFTER_REMOVED = declare(
    "used-after-removed", Severity.ERROR, Evidence.BOTH,
    "a patch uses a constant an earlier patch removed",
    "The series does not bisect: the patch does not build on its own.")
NEEDS_PREREQUISITE = declare(
    "needs-prerequisite", Severity.WARNING, Evidence.BOTH,
    "the series relies on a constant the tree lacks and no patch of it "
    "defines",
    "A family constant the series uses or removes is not in the tree "
    "analysed and no earlier patch of the series defines it; the "
    "evidence is named: the hunks that show it on a context or removed "
    "line (it existed where the series was written: another series, or "
    "a missing patch of this one, must come first), or none (nothing "
    "defines it). Said once per name, on the first patch that relies on "
    "it; never without a tree (patch-only analysis cannot know the "
    "base).")

_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def _code_words(text: str) -> list[str]:
    """The identifiers of a hunk line's code: comments (a line of a
    block comment too) and strings name nothing the build needs."""
    stripped = text.strip()
    if stripped.startswith(("*", "/*", "//")):
        return []
    return _WORD.findall(code_only(text))


@dataclass(frozen=True)
class Sighting:
    """A name on one hunk line of a patch."""
    patch: str                # "27/33"
    index: int                # position of the patch in the applied results
    file: str
    line: int                 # pre-image line for context/'-', else post
    kind: str                 # " " (context), "-" or "+"
    text: str
    present: bool             # the hunk is already in the tree
    fits: bool = False        # the hunk applied: a '+' line is a tree line


def _sightings(applied: AppliedSeries, is_name: Callable[[str], bool]
               ) -> Iterable[tuple[str, Sighting, bool]]:
    """Every family name on a hunk line, with whether the line (for a
    context or ``-`` line) was added by an earlier patch of the series:
    ``(name, sighting, added_before)``."""
    added: dict[str, set[str]] = defaultdict(set)    # path -> texts
    for i, r in enumerate(applied.results):
        mine: dict[str, set[str]] = defaultdict(set)
        for f in r.files:
            paths = {f.path, f.old_path or f.path}
            for h in f.hunks:
                present = r.already or h.status is HunkStatus.ALREADY
                for l in h.hunk.lines:
                    words = {w for w in _code_words(l.text) if is_name(w)}
                    if l.kind == "+":
                        mine[f.path].add(l.text.strip())
                    if not words:
                        continue
                    before = l.kind != "+" and any(
                        l.text.strip() in added[p] for p in paths)
                    line = (l.new_no if l.kind == "+" else l.old_no) or 0
                    for w in sorted(words):
                        yield w, Sighting(r.label, i, f.path, line + (
                            h.offset if l.kind == "+" else 0), l.kind,
                            l.text.strip(), present, h.applied), before
        for p, texts in mine.items():
            added[p] |= texts


def preimage_evidence(applied: AppliedSeries, is_name: Callable[[str], bool],
                      states: Sequence[tuple[str, Collection[str]]] = ()
                      ) -> dict[str, tuple[Sighting, ...]]:
    """Per name, the context and ``-`` lines that prove it existed before
    the series: lines its earlier patches did not add, in a patch no
    earlier than the first that defines the name (``states``: each
    patch's label and the names defined after it, in order; a patch
    defines a name when it first has it and adds a line naming it).  A
    context line after that patch proves only that the series has it by
    then (a patch missing from the mailbox may have added the line)."""
    return _evidence(applied, is_name, states)[0]


def _evidence(applied: AppliedSeries, is_name: Callable[[str], bool],
              states: Sequence[tuple[str, Collection[str]]]
              ) -> tuple[dict[str, tuple[Sighting, ...]], dict[str, int]]:
    """:func:`preimage_evidence`, and per name the position (in the
    applied results) of the first patch that defines it."""
    out: dict[str, list[Sighting]] = defaultdict(list)
    plus: dict[str, set[str]] = defaultdict(set)
    for name, s, before in _sightings(applied, is_name):
        if s.kind == "+":
            plus[name].add(s.patch)
        elif not before:
            out[name].append(s)
    order = {r.label: i for i, r in enumerate(applied.results)}
    defined: dict[str, int] = {}
    prev: Collection[str] = ()
    for label, names in states:
        for n in names:
            if n not in prev and label in plus.get(n, ()) \
                    and label in order:
                defined.setdefault(n, order[label])
        prev = names
    return ({n: tuple(s for s in v if s.index <= defined.get(n, s.index))
             for n, v in out.items()
             if any(s.index <= defined.get(n, s.index) for s in v)},
            defined)


def _state_index(facts: Facts) -> dict[str, int]:
    """patch label -> index of the state after it in ``facts.states``."""
    return {label: k for k, label in enumerate(facts.labels, start=1)
            if k < len(facts.states)}


def mid_series_breakage(series: Series | None, applied: AppliedSeries,
                        facts: Facts) -> list[Finding]:
    """Names a patch uses (on a ``+`` line) that are not defined in the
    tree after it: defined only by a later patch (and neither in the
    base nor shown by any patch as pre-existing), or removed by an
    earlier one (``series``: unused, kept for the callers' shape).
    Without a tree the states come from the patch text alone: the
    findings say so and are at most WARNINGs."""
    known: set[str] = set()
    for st in facts.states:
        known |= set(st)
    states = list(zip(("base", *facts.labels), facts.states))
    evidence = preimage_evidence(applied, known.__contains__, states)
    at = _state_index(facts)
    patch_only = applied.base.info.kind == "none"
    out = []
    for r in applied.results:
        if r.already:
            continue
        k = at.get(r.label)
        if k is None:
            continue
        state = facts.states[k]
        for f in r.files:
            seen: set[str] = set()
            for h in f.hunks:
                if h.status is HunkStatus.ALREADY:
                    continue
                for l in h.hunk.lines:
                    if l.kind != "+":
                        continue
                    for word in _code_words(l.text):
                        if word not in known or word in state or word in seen:
                            continue
                        seen.add(word)
                        line = (l.new_no or 0) + h.offset
                        # A hunk that did not apply has no tree line.
                        where = None if h.applied else PATCH_LINE
                        later = next((facts.labels[j - 1] for j in
                                      range(k + 1, len(facts.states))
                                      if word in facts.states[j]), None)
                        earlier = any(word in facts.states[j]
                                      for j in range(0, k))
                        seen_as = next((st[word] for st in facts.states
                                        if word in st), None)
                        ref = ConstantRef(
                            word, seen_as.family if seen_as else None,
                            seen_as.value if seen_as else None,
                            bits=bool(seen_as and seen_as.bit))
                        if later and not earlier and word not in evidence:
                            out.append(USED_BEFORE_DEFINED.finding(
                                f"uses {word}, which only {later} defines: "
                                "this patch does not build on its own",
                                file=f.path, line=line, patch=r.label,
                                subject=word, patch_only=patch_only,
                                location_kind=where,
                                facts=(ref, Text("defined_by", later))))
                        elif earlier:
                            out.append(USED_AFTER_REMOVED.finding(
                                f"uses {word}, which an earlier patch "
                                "removed",
                                file=f.path, line=line, patch=r.label,
                                subject=word, patch_only=patch_only,
                                location_kind=where, facts=(ref,)))
    return out


def family_name_test(profile: Profile, known: Iterable[str] = ()
                     ) -> Callable[[str], bool]:
    """Whether a word names a family constant: one the analysis has seen,
    or one the profile's literals cover (every family name starts with
    one of them: its pre-filter)."""
    names = frozenset(known)
    # Enum tags are in the search literals too, but name no constant.
    starts = tuple(profile.literals) + tuple(
        f.prefix for f in profile.families if f.prefix)
    names |= {m for f in profile.families for m in f.masks}

    def test(word: str) -> bool:
        return word in names or word.startswith(starts)
    return test


def needs_prerequisites(history: ConstantHistory, applied: AppliedSeries,
                        profile: Profile,
                        context: SearchContext | None = None
                        ) -> list[Finding]:
    """One WARNING per family constant the series uses or removes (on a
    ``+`` or ``-`` line) that the base tree lacks and no earlier patch
    defines, naming its evidence.  None without a tree."""
    if applied.base.info.kind == "none":
        return []
    steps = history.steps
    base = frozenset(steps[0].table.by_name)
    known: set[str] = set()
    for step in steps:
        known |= set(step.table.by_name)
    is_name = family_name_test(profile, known | _shown_in_enums(applied,
                                                               profile))
    all_evidence, defined = _evidence(
        applied, is_name, [(s.label, s.table.by_name) for s in steps])
    # A patch already in the tree says nothing about what it lacks.
    evidence = {n: [s for s in v if not s.present]
                for n, v in all_evidence.items() if n not in base}
    uses: dict[str, list[Sighting]] = defaultdict(list)
    for name, s, _ in _sightings(applied, is_name):
        if name not in base and not s.present and s.kind != " ":
            uses[name].append(s)
    order = {r.label: i for i, r in enumerate(applied.results)}
    wanted = []
    for name, used in uses.items():
        if evidence.get(name):
            # Existed before the series: whatever step brings it into
            # the analysis (a hunk read from the patch text) is no
            # definition.
            wanted.append(name)
        elif name not in defined:
            # No evidence and no patch defines it (a later definition
            # is used-before-defined, an earlier one is fine).
            wanted.append(name)
    if not wanted:
        return []
    in_tree = _in_tree(applied, profile, wanted, context)
    label = applied.base.info.label.split(" (")[0]
    out = []
    for name in wanted:
        if name in in_tree:
            continue
        ev = evidence.get(name, [])
        used = uses[name]
        first = min(ev + used, key=lambda s: (order.get(s.patch, 0), s.line))
        users = _labels(s for s in used if s.kind == "+")
        removers = _labels(s for s in used if s.kind == "-")
        if ev:
            shown = _labels(s for s in ev if s.kind == " ")
            gone = _labels(s for s in ev if s.kind == "-")
            what = "; ".join(x for x in (
                f"context in {shown}" if shown else "",
                f"on a removed line in {gone}" if gone else "") if x)
            message = f"{name} is {what} but not in {label}"
        else:
            message = (f"{name} is defined neither in "
                       f"{label} nor by the series")
        rest = "; ".join(x for x in (
            f"used by {users}" if users else "",
            f"removed by {removers}" if removers and not ev else "") if x)
        if rest:
            message += f" ({rest})"
        detail = tuple(f"{s.file}:{s.line}: {s.patch} "
                       f"{'context' if s.kind == ' ' else 'removes' if s.kind == '-' else 'adds'}: "
                       f"{s.text}" for s in (ev or used)[:4])
        # The evidence and users by patch ("context", "removed-line",
        # "user", "remover"), and the sightings the detail shows.
        role = {" ": "context", "-": "removed-line"}
        labels = dict.fromkeys(
            [Text(role.get(s.kind, "user"), s.patch) for s in ev]
            + [Text("user" if s.kind == "+" else "remover", s.patch)
               for s in used])
        out.append(NEEDS_PREREQUISITE.finding(
            message, file=first.file, line=first.line or None,
            patch=first.patch, subject=name, detail=detail,
            location_kind=None if first.kind == "+" and first.fits
            else PATCH_LINE,
            facts=(ConstantRef(name, None, None), Text("tree", label),
                   *labels,
                   *(Location(s.file, s.line or None, PATCH_LINE,
                              {" ": "context", "-": "removes"}.get(s.kind,
                                                                   "adds"),
                              s.text)
                     for s in (ev or used)[:4]))))
    return out


def _shown_in_enums(applied: AppliedSeries, profile: Profile) -> set[str]:
    """Enumerators the series' hunks show inside a family's enum."""
    out: set[str] = set()
    for r in applied.results:
        for f in r.files:
            for h in f.hunks:
                out |= family_enumerators(h.hunk, profile)
    return out


def _labels(sightings: Iterable[Sighting]) -> str:
    return ", ".join(dict.fromkeys(s.patch for s in sightings))


def _in_tree(applied: AppliedSeries, profile: Profile, names: list[str],
             context: SearchContext | None) -> set[str]:
    """Which of ``names`` occur (as words) anywhere in the base tree's
    source: a name the constant tables missed is still no prerequisite."""
    found = search(context or SearchContext(), applied.base,
                   profile.candidate_literals(names))
    rx = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    out: set[str] = set()
    for path in found:
        data = applied.base.read(path)
        if data is None:
            continue
        # Only a file holding a name not seen yet is decoded and matched
        # (a name's ASCII bytes are in the text as they are in the file).
        if not any(n.encode() in data for n in names if n not in out):
            continue
        out |= set(rx.findall(data.decode("utf-8", "replace")))
        if len(out) == len(names):
            break
    return out
