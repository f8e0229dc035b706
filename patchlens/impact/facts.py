"""What the impact questions read: the upstream stages' results, in one
plain, frozen shape.

``gather_facts(session, names)`` is the only place that reads the
extract stage's types (``ConstantHistory``, ``Scan`` with
``ReferenceSite``, ``StructInstance``, ``TokenFilter``); every question
(``report``, ``rename``, ``invert``, ``accept``, ``diff``, ``check``)
is a pure function over :class:`Facts`, so tests build Facts by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from patchlens.findings import Finding
from patchlens.impact.model import Site

__all__ = ["Constant", "Instance", "TokenFilter", "Facts", "gather_facts",
           "subsystem_of"]


@dataclass(frozen=True)
class Constant:
    """A family constant at one state of the tree."""
    name: str
    family: str               # family key: "bus_token"
    title: str                # family title: "bus token"
    value: int | None
    bit: bool = False
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Instance:
    """A struct instance (``struct msi_domain_info x = {...}``) and the
    family names each field carries, flag-set macros resolved."""
    name: str
    struct: str
    file: str
    line: int
    subsystem: str
    fields: Mapping[str, frozenset[str]]      # field -> names it carries
    via: Mapping[str, str] = field(default_factory=dict)  # name -> macro
    patch: str | None = None                  # series patch that adds it


@dataclass(frozen=True)
class TokenFilter:
    """A parent-domain path that filters bus tokens."""
    function: str
    file: str
    line: int
    subsystem: str
    accepted: frozenset[str]
    default: str              # "WARN, false", "false", "accept", ...
    kind: str = "switch"


@dataclass(frozen=True)
class Facts:
    """Constants per state, hazards, and uses in the base and final tree.

    ``states[0]`` is the base; ``states[k]`` is after the k-th present
    patch, whose label is ``labels[k - 1]``.
    """
    states: tuple[Mapping[str, Constant], ...]
    labels: tuple[str, ...]
    hazards: tuple[Finding, ...] = ()
    base_sites: tuple[Site, ...] = ()
    sites: tuple[Site, ...] = ()              # final tree; .patch set for new
    mentions: tuple[Site, ...] = ()           # comments, strings, docs (final)
    base_instances: tuple[Instance, ...] = ()
    instances: tuple[Instance, ...] = ()
    base_filters: tuple[TokenFilter, ...] = ()
    filters: tuple[TokenFilter, ...] = ()
    flagsets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    flagset_sites: tuple[Site, ...] = ()      # where each flag set is defined
    maintainers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # What a struct field means for the families (profile [[struct]]):
    # (struct, field) -> "sets" | "supports" | "requires".
    field_meaning: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Lines each patch adds, per file: (label, file) -> added texts.
    added: Mapping[tuple[str, str], tuple[str, ...]] = field(
        default_factory=dict)

    @property
    def base(self) -> Mapping[str, Constant]:
        return self.states[0]

    @property
    def final(self) -> Mapping[str, Constant]:
        return self.states[-1]

    def value_at(self, name: str, k: int) -> int | None:
        c = self.states[k].get(name)
        return None if c is None else c.value

    def family_members(self, family: str, k: int = -1) -> list[Constant]:
        """The family's constants at state k, in value order."""
        members = [c for c in self.states[k].values() if c.family == family]
        return sorted(members, key=lambda c: (c.value is None,
                                              c.value or 0, c.name))

    def introduced_by(self, name: str) -> str | None:
        """The patch after which ``name`` first exists (None: in the base
        or never)."""
        for k in range(1, len(self.states)):
            if name in self.states[k] and name not in self.states[k - 1]:
                return self.labels[k - 1] if k - 1 < len(self.labels) \
                    else None
        return None

    def first_patch_adding(self, name: str, file: str | None = None
                           ) -> str | None:
        """The first patch whose added lines name ``name`` (in ``file``)."""
        pat = re.compile(rf"\b{re.escape(name)}\b")
        for label in self.labels:
            for (lab, path), lines in self.added.items():
                if lab != label or (file is not None and path != file):
                    continue
                if any(pat.search(t) for t in lines):
                    return label
        return None


def subsystem_of(path: str) -> str:
    """Fallback subsystem: the top two path components."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


# -- the adapter: upstream stages -> Facts -------------------------------

def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, Mapping) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


def _role(value: Any) -> str:
    value = _get(value, "value", default=value)
    return str(value).lower()


def _site(ref: Any, patch: str | None = None) -> Site:
    subsystem = _get(ref, "subsystem", default="")
    if not isinstance(subsystem, str):
        subsystem = _get(subsystem, "name", default=str(subsystem))
    return Site(name=_get(ref, "name"), role=_role(_get(ref, "role")),
                file=_get(ref, "file", "path"), line=_get(ref, "line"),
                function=_get(ref, "function"), subsystem=subsystem or
                subsystem_of(_get(ref, "file", "path")), patch=patch,
                note=_get(ref, "reason", "note", default="") or "")


def _maintainers(ref: Any) -> tuple[str, str, tuple[str, ...]] | None:
    sub = _get(ref, "subsystem")
    if sub is None or isinstance(sub, str):
        return None
    people = tuple(_get(sub, "maintainers", default=()) or ())
    return _get(sub, "name", default=str(sub)), "", people


def _added_lines(applied: Any) -> dict[tuple[str, str], tuple[str, ...]]:
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


def _constants(table: Any, titles: Mapping[str, str],
               bits: frozenset[str]) -> dict[str, Constant]:
    out: dict[str, Constant] = {}
    items = _get(table, "constants", default=table)
    if isinstance(items, Mapping):
        items = items.values()
    for c in items or ():
        fam = _get(c, "family")
        fam = _get(fam, "key", default=fam)
        value = _get(c, "value")
        value = _get(value, "value", default=value) \
            if not isinstance(value, int) else value
        if not isinstance(value, int):
            value = None
        out[_get(c, "name")] = Constant(
            name=_get(c, "name"), family=fam, title=titles.get(fam, fam),
            value=value, bit=fam in bits, file=_get(c, "file", "path"),
            line=_get(c, "line"))
    return out


def _instances(scan: Any, flagsets: Mapping[str, frozenset[str]],
               added: Mapping[tuple[str, str], tuple[str, ...]] | None = None
               ) -> tuple[Instance, ...]:
    out = []
    for s in _get(scan, "structs", "instances", default=()) or ():
        fields: dict[str, frozenset[str]] = {}
        via: dict[str, str] = {}
        raw = _get(s, "fields", default={}) or {}
        for fname, names in (raw.items() if isinstance(raw, Mapping)
                             else raw):
            names = [names] if isinstance(names, str) else list(names)
            got: set[str] = set()
            for n in names:
                n = _get(n, "name", default=n)
                got.add(n)
                for member in flagsets.get(n, ()):
                    got.add(member)
                    via.setdefault(member, n)
            fields[fname] = frozenset(got)
        file = _get(s, "file", "path")
        sub = _get(s, "subsystem", default="") or subsystem_of(file)
        if not isinstance(sub, str):
            sub = _get(sub, "name", default=str(sub))
        out.append(Instance(name=_get(s, "name", "variable"),
                            struct=_get(s, "struct", "struct_name"),
                            file=file, line=_get(s, "line"), subsystem=sub,
                            fields=fields, via=via))
    return tuple(out)


def _filters(scan: Any) -> tuple[TokenFilter, ...]:
    out = []
    for f in _get(scan, "filters", default=()) or ():
        file = _get(f, "file", "path")
        sub = _get(f, "subsystem", default="") or subsystem_of(file)
        if not isinstance(sub, str):
            sub = _get(sub, "name", default=str(sub))
        default = _get(f, "default", default="?")
        default = _get(default, "value", default=default)
        out.append(TokenFilter(
            function=_get(f, "function", default="?"), file=file,
            line=_get(f, "line"), subsystem=sub,
            accepted=frozenset(_get(f, "accepted", "accepts",
                                    default=()) or ()),
            default=str(default), kind=str(_get(f, "kind", default="switch"))))
    return tuple(out)


def gather_facts(session: Any, names: Iterable[str] | None = None) -> Facts:
    """Facts for ``names`` (default: every constant the series touches
    plus its family) from a :class:`patchlens.session.Session`."""
    profile = session.profile
    families = _get(profile, "families", default=()) or ()
    titles = {_get(f, "key"): _get(f, "title", default=_get(f, "key"))
              for f in families}
    bits = frozenset(_get(f, "key") for f in families
                     if _get(f, "kind") == "bit")
    history = session.history()
    table_states = _get(history, "states", "tables", default=None)
    if table_states is None:
        table_states = [history]
    states = tuple(_constants(t, titles, bits) for t in table_states)
    labels = tuple(r.label for r in session.applied.results) \
        if session.applied is not None else ()
    hazards = tuple(_get(history, "hazards", "findings", default=()) or ())
    added = _added_lines(session.applied)
    if names is None:
        names = set()
        for st in states:
            names |= set(st)
    names = sorted(set(names))
    final_scan = session.scan(names, final=True)
    base_scan = session.scan(names, final=False) \
        if session.applied is not None else final_scan
    flagsets: dict[str, frozenset[str]] = {}
    raw_sets = _get(final_scan, "flagsets", default={}) or {}
    for k, v in (raw_sets.items() if isinstance(raw_sets, Mapping) else
                 ((_get(x, "name"), _get(x, "flags", "members")) for x in
                  raw_sets)):
        flagsets[k] = frozenset(v)
    maint: dict[str, tuple[str, ...]] = {}

    def sites(scan: Any, series: bool) -> tuple[tuple[Site, ...],
                                                 tuple[Site, ...]]:
        code, mentions = [], []
        for ref in _get(scan, "sites", default=()) or ():
            m = _maintainers(ref)
            if m:
                maint.setdefault(m[0], m[2])
            patch = None
            if series and session.applied is not None:
                patch = _first_patch(added, labels, _get(ref, "name"),
                                     _get(ref, "file", "path"),
                                     _get(ref, "text", default=None))
            s = _site(ref, patch)
            (mentions if s.role in ("comment", "doc", "string", "mention")
             else code).append(s)
        for ref in _get(scan, "mentions", default=()) or ():
            mentions.append(_site(ref))
        return tuple(code), tuple(mentions)

    final_sites, final_mentions = sites(final_scan, True)
    base_sites, _ = sites(base_scan, False)
    if session.applied is not None:
        final_sites = _only_new_marked(final_sites, base_sites)
    meaning = {}
    for st in _get(profile, "structs", default=()) or ():
        for fname, what in dict(_get(st, "fields", default={}) or {}).items():
            meaning[(_get(st, "name"), fname)] = what
    return Facts(states=states, field_meaning=meaning, labels=labels, hazards=hazards,
                 base_sites=base_sites, sites=final_sites,
                 mentions=final_mentions,
                 base_instances=_instances(base_scan, flagsets),
                 instances=_instances(final_scan, flagsets),
                 base_filters=_filters(base_scan),
                 filters=_filters(final_scan), flagsets=flagsets,
                 maintainers=maint, added=added)


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
