"""The one adapter from the upstream stages to :class:`Facts`.

``gather_facts(session, names)`` is the only place that reads the
extract stage's types (``ConstantHistory``, ``Scan`` with
``ReferenceSite``, ``StructInstance``, ``TokenFilter``); every question
(``report``, ``rename``, ``invert``, ``accept``, ``diff``, ``check``)
and the usage and flag checks (``patchlens.checks``) are pure functions
over :class:`Facts`, so tests build Facts by hand.  The data model
lives in ``patchlens/extract/facts.py``, below the checks; its names
are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from patchlens.extract.facts import (ConstantAt, Facts, FilterPath, Instance,
                                     Mentioned, QuestionCue, Site)
from patchlens.extract.filters import FilterAction, FilterKind
from patchlens.extract.references import MentionKind

if TYPE_CHECKING:   # types only: the stages are loaded by the session
    from patchlens.extract.definitions import ConstantTable
    from patchlens.extract.filters import TokenFilter
    from patchlens.extract.history import ConstantHistory
    from patchlens.extract.profile import Profile
    from patchlens.extract.scan import Scan
    from patchlens.findings import Finding
    from patchlens.tree.apply import AppliedSeries

__all__ = ["ConstantAt", "Instance", "FilterPath", "QuestionCue", "Facts",
           "FactSource", "gather_facts", "question_cues", "subsystem_of",
           "changed_names", "require_constant"]


class FactSource(Protocol):
    """What :func:`gather_facts` reads of a session
    (:class:`patchlens.session.Session`, a layer above impact)."""

    @property
    def profile(self) -> Profile: ...

    @property
    def applied(self) -> AppliedSeries | None: ...

    def start_scan(self, names: Iterable[str] = ()) -> None: ...

    def history(self) -> ConstantHistory: ...

    def hazards(self) -> tuple[Finding, ...]: ...

    def series_paths(self) -> frozenset[str]: ...

    def scan(self, names: Mapping[str, str], *, final: bool = True,
             local: Iterable[str] = (), whole: bool = False,
             progress: bool = False) -> Scan: ...


def subsystem_of(path: str) -> str:
    """Fallback subsystem: the top two path components."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


# -- the adapter: upstream stages -> Facts -------------------------------

def _states(tables: Iterable[ConstantTable], profile: Profile
            ) -> tuple[dict[str, ConstantAt], ...]:
    """Each table's single constants (sets and masks left out: they are
    not members a reviewer renames, inverts or accepts)."""
    titles = {f.key: f.title for f in profile.families}
    bits = {f.key for f in profile.families if f.kind == "bit"}
    out = []
    for table in tables:
        state: dict[str, ConstantAt] = {}
        for c in table.constants:
            if c.is_set or c.name in state:
                continue
            state[c.name] = ConstantAt(c.name, c.family,
                                     titles.get(c.family, c.family),
                                     c.value.value if c.value else None,
                                     c.family in bits, c.file, c.line,
                                     c.origin)
        out.append(state)
    return tuple(out)


def _set_values(history: ConstantHistory) -> tuple[dict[str, int], ...]:
    """Each step's family sets and masks with a known value
    (``MSI_GENERIC_FLAGS_MASK``): fields naming them carry those bits."""
    return tuple({c.name: c.value.value for c in s.table.constants
                  if c.is_set and c.value and c.value.value is not None}
                 for s in history.steps)


_CASE = re.compile(r"^\s*case\s+(\w+)\s*:")
_SECTION_FN = re.compile(r"(?<!\w)(\w+)\s*\([^()]*+$")


def _added_cases(applied: AppliedSeries | None) -> frozenset[tuple[str, str, str]]:
    """(file, function, name) for each ``case NAME:`` a patch adds,
    applied or not; the function is read from the hunk's ``@@``
    section ("" when it names none)."""
    out: set[tuple[str, str, str]] = set()
    if applied is None:
        return frozenset()
    for r in applied.results:
        for f in r.files:
            for h in f.hunks:
                m = _SECTION_FN.search(h.hunk.section or "")
                fn = m.group(1) if m else ""
                for l in h.hunk.lines:
                    c = _CASE.match(l.text) if l.kind == "+" else None
                    if c is not None:
                        out.add((f.path, fn, c.group(1)))
    return frozenset(out)


def _added_lines(applied: AppliedSeries | None) -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    if applied is None:
        return out
    for r in applied.results:
        for f in r.files:
            lines = tuple(l.text for h in f.hunks for l in h.hunk.lines
                          if l.kind == "+")
            key = (r.label, f.path)
            out[key] = out.get(key, ()) + lines
    return out


_IDENT = re.compile(r"\b[A-Z][A-Z0-9_]*+\b")


def _spelt_names(applied: AppliedSeries | None, profile: Profile
                 ) -> dict[str, str]:
    """Without a tree: the names the series' lines show spelt as a
    family's members are (``MSI_FLAG_``, a bus token's ``DOMAIN_BUS_``)
    -> the family.  The scan reads filters and struct fields in terms of
    family names; with no tree to define them, a token only an earlier
    series or another of this series' patches defines would drop out of
    a parent's ``case`` list.  With a tree, its definitions decide."""
    if applied is None or applied.base.info.kind != "none":
        return {}
    out: dict[str, str] = {}
    for r in applied.results:
        for f in r.files:
            for h in f.hunks:
                for l in h.hunk.lines:
                    for name in _IDENT.findall(l.text):
                        fam = next((x for x in profile.families
                                    if x.spelt_like(name)
                                    and not x.is_set_name(name)), None)
                        if fam is not None:
                            out.setdefault(name, fam.key)
    return out


def _subsystem(scan: Scan, path: str) -> str:
    sub = scan.subsystems.get(path)
    return sub.name if sub is not None else subsystem_of(path)


def _instances(scan: Scan) -> tuple[Instance, ...]:
    from patchlens.extract.structs import flagset_resolver
    resolve = flagset_resolver(scan.flagsets)
    out = []
    for s in scan.structs:
        fields: dict[str, frozenset[str]] = {}
        via: dict[str, dict[str, str]] = {}
        for fname, names in s.fields:
            got: set[str] = set()
            for n in names:
                members = resolve(n)
                got |= members
                if members != {n}:
                    for m in members:
                        via.setdefault(fname, {}).setdefault(m, n)
            fields[fname] = frozenset(got)
        name = s.variable or s.function or "?"
        out.append(Instance(name, s.struct, s.file, s.line,
                            _subsystem(scan, s.file), fields, via,
                            lines=dict(s.lines)))
    return tuple(out)


def _filters(scan: Scan, profile: Profile) -> tuple[FilterPath, ...]:
    """The parents' decisions on a child's value (``decides ==
    "child"``), then the parents' lookup selections
    (:func:`_selections`).  A switch over the domain's own value
    (``real_parent->bus_token``), a lookup key or a core helper never
    sees a new child value: :func:`_other_filters`."""
    return tuple(f for f in _classified(scan, profile)
                 if f.decides == "child") + _selections(scan, profile)


def _other_filters(scan: Scan, profile: Profile) -> tuple[FilterPath, ...]:
    """The scan's filters that are no parent's decision on a child."""
    return tuple(f for f in _classified(scan, profile) if f.decides != "child")


def _classified(scan: Scan, profile: Profile) -> tuple[FilterPath, ...]:
    """The scan's filters, each with what it decides on
    (:func:`patchlens.extract.filters.filter_kind`: whose token it
    tests, from the profile's ``[[callback]]`` tables; a filter whose
    origin the scan did not trace falls back to the family's
    ``own_subjects``); the ``if`` statements of one function over one
    subject are one chain (what is left after the last one is the
    chain's default)."""
    from patchlens.extract.filters import CHILD, OWN, filter_kind
    from patchlens.extract.saferegex import bounded_search
    callbacks = profile.callbacks
    core = profile.core
    own = {f.key: re.compile("|".join(f"(?:{p})" for p in f.own_subjects))
           for f in profile.families if f.own_subjects}

    def decides(f: TokenFilter) -> str:
        if not f.params and not f.origin:
            # Not traced (a filter from an older scan): the text rule.
            rx = own.get(f.family)
            return OWN if rx is not None and bounded_search(rx, f.subject) else CHILD
        return filter_kind(f, callbacks, core)

    out: list[FilterPath] = []
    chains: dict[tuple[str, str, str], int] = {}
    for f in sorted(scan.filters, key=lambda f: (f.file, f.line)):
        tf = FilterPath(f.function, f.file, f.line, _subsystem(scan, f.file),
                        frozenset(f.accepted), f.default_text or f.default,
                        f.kind, f.default, decides(f),
                        f.conditions, (), f.subject)
        key = (f.file, f.function, f.subject)
        if f.kind is FilterKind.IF and key in chains:
            i = chains[key]
            prev = out[i]
            out[i] = FilterPath(prev.function, prev.file, prev.line,
                                prev.subsystem, prev.accepted | tf.accepted,
                                tf.default, FilterKind.IF, tf.action,
                                prev.decides,
                                prev.conditions + tf.conditions, (),
                                prev.subject)
            continue
        if f.kind is FilterKind.IF:
            chains[key] = len(out)
        out.append(tf)
    return tuple(out)


def _macro_conditions(scan: Scan, file: str, macro: str
                      ) -> dict[str, str | None] | None:
    """token -> condition for a ``#define`` naming values (the
    definitions in ``file`` first, else those in headers); None when
    the macro is not such a definition.  A token defined under several
    conditions needs any of them; under none, nothing."""
    defs = [m for m in scan.value_macros if m.name == macro]
    here = [m for m in defs if m.file == file]
    defs = here or [m for m in defs if not m.file.endswith(".c")]
    if not defs:
        return None
    out: dict[str, list[str | None]] = {}
    for m in defs:
        for t in m.tokens:
            out.setdefault(t, []).append(m.condition)
    return {t: None if None in conds else " || ".join(
        dict.fromkeys(c for c in conds if c)) for t, conds in out.items()}


def _selections(scan: Scan, profile: Profile) -> tuple[FilterPath, ...]:
    """Each parent's lookup selection (profile ``[[selection]]``): the
    tokens its select callback finds it by -- its select token and the
    bits of its select mask, macros resolved through their definitions
    with the configuration each bit needs.  The line is the mask's (the
    token's for the select token itself)."""
    from patchlens.extract.structs import flagset_resolver
    resolve = flagset_resolver(scan.flagsets)
    specs = {s.struct: s for s in profile.selections}
    out: list[FilterPath] = []
    for inst in scan.structs:
        spec = specs.get(inst.struct)
        if spec is None:
            continue
        fields = dict(inst.fields)
        lines = dict(inst.lines)
        if spec.token not in fields and spec.mask not in fields:
            continue
        accepted: set[str] = set()
        conditions: dict[str, str] = {}
        token_lines: dict[str, int] = {}
        for n in fields.get(spec.token, ()):
            for t in resolve(n):
                accepted.add(t)
                token_lines[t] = lines.get(spec.token, inst.line)
        for n in fields.get(spec.mask, ()):
            conds = _macro_conditions(scan, inst.file, n)
            if conds is None:
                conds = dict.fromkeys(resolve(n))
            for t, cond in conds.items():
                if t in accepted and t not in conditions:
                    continue            # already selected unconditionally
                if t in conditions:     # another bit selects it too
                    if cond is None:
                        del conditions[t]
                    else:
                        conditions[t] = f"{conditions[t]} || {cond}"
                    continue
                accepted.add(t)
                if cond:
                    conditions[t] = cond
        line = lines.get(spec.mask, lines.get(spec.token, inst.line))
        name = inst.variable or inst.function or "?"
        field = spec.mask if spec.mask in fields else spec.token
        out.append(FilterPath(name, inst.file, line,
                              _subsystem(scan, inst.file), frozenset(accepted),
                              "not selected", FilterKind.MASK,
                              FilterAction.REJECT, "select",
                              tuple(sorted(conditions.items())),
                              tuple(sorted(token_lines.items())), field,
                              spec.token))
    return tuple(out)


def _lookup_tokens(scans: Iterable[Scan], filters: Iterable[FilterPath],
                   profile: Profile) -> frozenset[str]:
    """Value constants the code uses only as lookup keys or as a
    domain's own token -- never as a child domain's token, so no
    parent's decision on a child can see them (issue 13).

    A use is a key use when it is a lookup key (``Role.MATCH``:
    ``irq_find_matching_fwspec(.., TOKEN)``), a value given to a
    profile ``[[setter]]`` (``irq_domain_update_bus_token()``: the
    domain's own token), a parent's select field (``[[selection]]``:
    ``.bus_select_token = TOKEN``), or a case of a filter that is not a
    decision on a child (``switch (real_parent->bus_token)``).
    Definitions and macro bodies are neither; any other use (a
    ``msi_domain_info.bus_token``, a child filter's case, an assignment)
    may be a child's.  A constant with no use at all is not counted
    here: nothing says it is not a child's."""
    value_families = {f.key for f in profile.families if f.kind == "value"}
    setters = {c.function for c in profile.setters}
    select_fields = {(s.struct, f) for s in profile.selections
                     for f in (s.token, s.mask)}
    by_function: dict[tuple[str, str], list[FilterPath]] = {}
    for f in filters:
        if f.kind is not FilterKind.MASK:
            by_function.setdefault((f.file, f.function), []).append(f)
    key_use: dict[str, bool] = {}
    for scan in scans:
        select_lines = {(i.file, line) for i in scan.structs
                        for fname, line in i.lines
                        if (i.struct, fname) in select_fields}
        for r in scan.sites:
            if scan.names.get(r.name) not in value_families:
                continue
            role = str(r.role)
            if role in ("define", "compose"):
                continue
            if role == "match":
                key = True
            elif role == "set":
                key = (r.file, r.line) in select_lines or any(
                    f"of {fn}()" in r.reason for fn in setters)
            else:
                near = [f for f in by_function.get((r.file, r.function), ())
                        if f.line <= r.line]
                key = bool(near) and max(near, key=lambda f: f.line
                                         ).decides != "child"
            key_use[r.name] = key_use.get(r.name, True) and key
    return frozenset(n for n, only in key_use.items() if only)


_MENTIONED = {MentionKind.COMMENT: Mentioned.COMMENT,
              MentionKind.STRING: Mentioned.STRING,
              MentionKind.DOCUMENTATION: Mentioned.DOC,
              MentionKind.TEXT: Mentioned.TEXT}


def _sites(scan: Scan, maint: dict[str, tuple[str, ...]]
           ) -> tuple[tuple[Site, ...], tuple[Site, ...]]:
    code = []
    for r in scan.sites:
        sub = scan.subsystems.get(r.file)
        if sub is not None:
            maint.setdefault(sub.name, tuple(sub.maintainers))
        code.append(Site(r.name, r.role, r.file, r.line,
                         r.function or None,
                         r.subsystem or _subsystem(scan, r.file),
                         note=r.reason))
    mentions = [Site(m.name, _MENTIONED[m.kind], m.file,
                     m.line, None, _subsystem(scan, m.file))
                for m in scan.mentions]
    return tuple(code), tuple(mentions)


def gather_facts(session: FactSource, names: Iterable[str] | None = None) -> Facts:
    """Facts from a :class:`patchlens.session.Session`: constants at
    every step, and the uses of ``names`` (default: the constants the
    series adds, removes or changes) in the base and the final tree."""
    profile = session.profile
    # The tree-wide search runs while the series' history is computed.
    session.start_scan(names or ())
    history = session.history()
    states = _states((s.table for s in history.steps), profile)
    # One label per history step after the base: the present patches
    # plus absent ones known only from quotes in replies (the seed's
    # 27/33), so states[k] and labels[k - 1] always name the same patch.
    labels = tuple(s.label for s in history.steps[1:])
    hazards = session.hazards()
    added = _added_lines(session.applied)
    wanted = set(changed_names(states) if names is None else names)
    # The scan needs every family name (filters and struct fields are
    # read in terms of them); sites are kept for the wanted ones only.
    table: dict[str, str] = {}
    for st in states:
        table.update((n, c.family) for n, c in st.items())
    tables = [history.base, history.final]
    flagset_sites = []
    for t in tables:
        for c in t.constants:
            if c.is_set:
                table.setdefault(c.name, c.family)
        for fs in t.flagsets:
            table.setdefault(fs.name, "flagset")
    for fs in tables[-1].flagsets:
        flagset_sites.append(Site(fs.name, Mentioned.FLAGSET, fs.file, fs.line,
                                  fs.name, subsystem_of(fs.file)))
    for n in wanted:
        table.setdefault(n, "unknown")
    for n, fam in _spelt_names(session.applied, profile).items():
        table.setdefault(n, fam)
    maint: dict[str, tuple[str, ...]] = {}
    from patchlens.extract.constants import local_names
    from patchlens.extract.roles import rules_for
    local = local_names(tables)
    final_scan = session.scan(table, final=True, local=local)
    base_scan = session.scan(table, final=False, local=local) \
        if session.applied is not None else final_scan
    sites, mentions = _sites(final_scan, maint)
    base_sites, _ = _sites(base_scan, maint)
    base_instances = _instances(base_scan)
    base_filters = _filters(base_scan, profile)
    if session.applied is not None:
        # The base scan covers only the files the series touches; the
        # others are the same in both trees.
        touched = session.series_paths()
        base_sites = tuple(s for s in sites if s.file not in touched) + \
            base_sites
        base_instances = tuple(i for i in _instances(final_scan)
                               if i.file not in touched) + base_instances
        base_filters = tuple(f for f in _filters(final_scan, profile)
                             if f.file not in touched) + base_filters
    filters = _filters(final_scan, profile)
    others = _other_filters(final_scan, profile)
    lookup_tokens = _lookup_tokens(
        (final_scan,) if base_scan is final_scan else (final_scan, base_scan),
        (*filters, *others, *_other_filters(base_scan, profile)), profile)
    sites = tuple(s for s in sites if s.name in wanted)
    mentions = tuple(s for s in mentions if s.name in wanted)
    base_sites = tuple(s for s in base_sites if s.name in wanted)
    if session.applied is not None:
        sites = tuple(Site(**{**s.__dict__, "patch": _first_patch(
            added, labels, s.name, s.file, None)}) for s in sites)
        sites = _only_new_marked(sites, base_sites)
    from patchlens.extract.structs import flagset_resolver
    resolve = flagset_resolver(final_scan.flagsets)
    flagsets = {m: frozenset(resolve(m)) for m in final_scan.flagsets}
    for fs in tables[-1].flagsets:
        flagsets.setdefault(fs.name, frozenset(fs.members))
    meaning = {(st.name, f): what for st in profile.structs
               for f, what in st.fields}
    changes = history.changes
    explicit = {c.name for c in changes if not c.implicit}
    shifted = frozenset(c.name for c in changes
                        if c.implicit and c.name not in explicit)
    return Facts(states=states, labels=labels, hazards=hazards,
                 shifted=shifted, base_sites=base_sites, sites=sites, mentions=mentions,
                 base_instances=base_instances,
                 instances=_instances(final_scan),
                 base_filters=base_filters,
                 filters=filters, other_filters=others,
                 added_cases=_added_cases(session.applied),
                 lookup_tokens=lookup_tokens,
                 flagsets=flagsets,
                 flagset_sites=tuple(flagset_sites), maintainers=maint,
                 field_meaning=meaning, added=added,
                 questions=question_cues(profile),
                 set_values=_set_values(history),
                 moves=history.moves,
                 prose=frozenset(profile.prose),
                 proven=_proven(history, profile, states),
                 flag_scopes=profile.flag_scopes,
                 call_rules=rules_for(profile, {}),
                 tree_known=session.applied is None
                 or session.applied.base.info.kind != "none",
                 select_fields=tuple(dict.fromkeys(
                     f for s in profile.selections for f in (s.token, s.mask))))


def _proven(history: ConstantHistory, profile: Profile,
            states: tuple[dict[str, ConstantAt], ...]
            ) -> dict[str, tuple[ConstantAt, str]]:
    """Constants no state has before a patch whose own pre-image shows
    them (``Step.before``): they existed before the series."""
    out: dict[str, tuple[ConstantAt, str]] = {}
    for k, step in enumerate(history.steps[1:], start=1):
        if step.before is None:
            continue
        for name, c in _states((step.before,), profile)[0].items():
            if name not in out and not any(name in st for st in states[:k]):
                out[name] = (c, step.label)
    return out


def question_cues(profile: Profile) -> tuple[QuestionCue, ...]:
    """The profile's ``[[question]]`` tables (``QuestionSpec``)."""
    return tuple(QuestionCue(q.ask, tuple(q.about), tuple(q.cues))
                 for q in profile.questions)


def require_constant(facts: Facts, name: str) -> ConstantAt:
    """The constant ``name`` (final tree first), or an InputError naming
    it: a what-if question about an unknown name is a typo."""
    from patchlens.errors import InputError
    for st in (facts.final, facts.base, *facts.states):
        if name in st:
            return st[name]
    raise InputError(name, "not a constant of any family in the tree or "
                           "the series")


def changed_names(states: tuple[Mapping[str, ConstantAt], ...]) -> set[str]:
    """Constants whose presence or value differs between base and final."""
    base, final = states[0], states[-1]
    return {n for n in set(base) | set(final)
            if (base.get(n) is None) != (final.get(n) is None)
            or (base.get(n) and final.get(n)
                and base[n].value != final[n].value)}


def _first_patch(added: Mapping[tuple[str, str], tuple[str, ...]],
                 labels: tuple[str, ...], name: str, file: str,
                 text: str | None) -> str | None:
    pat = re.compile(rf"\b{re.escape(name)}\b")
    for label in labels:
        if any(pat.search(t) for t in added.get((label, file), ())):
            return label
    return None


def _only_new_marked(final: tuple[Site, ...], base: tuple[Site, ...]
                     ) -> tuple[Site, ...]:
    """Keep ``patch`` only on sites the base does not already have (by
    name, role, file, function: line numbers move)."""
    from collections import Counter
    seen = Counter((s.name, s.role, s.file, s.function) for s in base)
    out = []
    for s in final:
        key = (s.name, s.role, s.file, s.function)
        if seen[key] > 0:
            seen[key] -= 1
            if s.patch is not None:
                s = Site(**{**s.__dict__, "patch": None})
        out.append(s)
    return tuple(out)
