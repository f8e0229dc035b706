"""Constant families and their values, in a tree and along a series.

Families come from the profile: the enumerators of an enum found by
its tag (``enum irq_domain_bus_token`` lives in ``irqdomain_defs.h`` on
6.12 and in ``irqdomain.h`` on 6.1: the tag finds it either way), or
enumerators and macros with a prefix (``MSI_FLAG_*``).  Candidate
headers are found by a literal pre-filter (``prefilter.py``); only those
are parsed.

Three steps, each pure once the bytes are read:

1. ``_read_file``: one file's enums and object-like macros, raw text,
   with their ``#ifdef`` conditions (memoised by content);
2. ``_Model``: those definitions merged over the tree, editable, so a
   hunk that did not apply can still be laid onto it (patch-only mode);
3. ``_evaluate_model``: values computed (``evaluate.py``), families
   assigned, flag-set macros resolved -> :class:`ConstantTable`.

:func:`constant_history` runs that for the base and after each patch
and derives :class:`ConstantChange` records (the checks in
``patchlens/checks/`` read them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from patchlens.extract.cparse import captures, load_query, node_text, parse_c
from patchlens.extract.evaluate import Value, bit_number, evaluate, identifiers
from patchlens.extract.prefilter import (
    PickleStore, contains, define_rx, files_containing, search)
from patchlens.extract.profile import Family, Profile
from patchlens.tree.source import TreeSource

if TYPE_CHECKING:   # types only: the mail and diff stages load on demand
    from patchlens.diff import Hunk
    from patchlens.mail.model import Series

__all__ = [
    "Constant", "FlagSet", "EnumDef", "ConstantTable", "ConstantChange",
    "ConstantHistory", "Step", "PatchOnlyNote",
    "extract_constants", "constant_history", "tree_history", "scan_flag_sets",
    "read_definitions",
    "flag_macros", "local_names",
]

# Files a family may live in are searched here first (cheap), then in
# the files a series touches.
_INCLUDE = "include"
# Conditions of include guards are not conditions a reviewer cares about.
_GUARD = re.compile(r"^_*[A-Z0-9_]*_H(_+)?$|^__[A-Z0-9_]+__$")


# -- data ------------------------------------------------------------------

@dataclass(frozen=True)
class Constant:
    """One family constant: a C enumerator or an object-like macro."""
    name: str
    family: str                 # Family.key
    kind: str                   # "enumerator" or "macro"
    value: Value
    file: str
    line: int
    enum_name: str | None = None  # enum tag; "" for an anonymous enum
    position: int | None = None   # index among the enum's enumerators
    implicit: bool = False        # value from the previous enumerator + 1
    condition: str | None = None  # "CONFIG_X && !CONFIG_Y"
    is_set: bool = False          # a mask/set (MSI_GENERIC_FLAGS_MASK)
    origin: str = "tree"          # "tree" or "patch-only: <why>"
    after: str | None = None      # the enumerator before it in its enum

    @property
    def bit(self) -> int | None:
        """The bit number when the value is a single bit."""
        return bit_number(self.value.value)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class FlagSet:
    """A macro whose value is a set of family flags, resolved by name."""
    name: str
    members: tuple[str, ...]      # flag names, sorted
    file: str
    line: int
    condition: str | None = None
    unresolved: tuple[str, ...] = ()  # names in it that are not flags
    family: str = ""


@dataclass(frozen=True)
class EnumDef:
    tag: str                      # "" for an anonymous enum
    file: str
    line: int
    names: tuple[str, ...]        # enumerators in order


@dataclass(frozen=True)
class ConstantTable:
    """Every family constant of one tree state."""
    constants: tuple[Constant, ...]
    flagsets: tuple[FlagSet, ...] = ()
    enums: tuple[EnumDef, ...] = ()
    files: tuple[str, ...] = ()   # the files parsed
    notes: tuple[str, ...] = ()   # what could not be found, and why

    @property
    def by_name(self) -> Mapping[str, Constant]:
        """First definition of each name (alternatives: see ``all_named``)."""
        out: dict[str, Constant] = {}
        for c in self.constants:
            out.setdefault(c.name, c)
        return MappingProxyType(out)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.name for c in self.constants))

    def all_named(self, name: str) -> tuple[Constant, ...]:
        return tuple(c for c in self.constants if c.name == name)

    def by_family(self, key: str) -> tuple[Constant, ...]:
        return tuple(c for c in self.constants if c.family == key)

    def get(self, name: str) -> Constant | None:
        return self.by_name.get(name)

    def enum(self, tag: str) -> EnumDef | None:
        return next((e for e in self.enums if e.tag == tag), None)


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
class PatchOnlyNote:
    """A hunk whose constants were read from the patch text alone."""
    patch: str
    file: str
    reason: str                   # "include/linux/x.h is not in the tree"


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


# -- step 1: one file's raw definitions -------------------------------------

@dataclass(frozen=True)
class _RawEnumerator:
    name: str
    expr: str | None
    line: int
    condition: str | None
    origin: str = "tree"
    reason: str = ""          # why the value cannot be known (patch-only)
    file: str | None = None   # patch-only: the hunk's file (else the enum's)
    after: str | None = None  # patch-only: the enumerator the hunk puts it after


@dataclass(frozen=True)
class _RawEnum:
    tag: str
    file: str
    line: int
    items: tuple[_RawEnumerator, ...]


@dataclass(frozen=True)
class _RawMacro:
    name: str
    expr: str
    file: str
    line: int
    condition: str | None
    origin: str = "tree"


@dataclass(frozen=True)
class _RawFile:
    enums: tuple[_RawEnum, ...]
    macros: tuple[_RawMacro, ...]


def _condition(node, root) -> str | None:  # type: ignore[no-untyped-def]
    """The #if/#ifdef chain around ``node`` ("CONFIG_A && !CONFIG_B")."""
    parts: list[str] = []
    child = node
    cur = node.parent
    while cur is not None and cur != root:
        if cur.type in ("preproc_ifdef", "preproc_if", "preproc_elif"):
            negate = False
            alt = cur.child_by_field_name("alternative")
            if alt is not None and child.start_byte >= alt.start_byte \
                    and child.end_byte <= alt.end_byte:
                negate = True
            if cur.type == "preproc_ifdef":
                name = cur.child_by_field_name("name")
                word = node_text(name) if name is not None else "?"
                ifndef = node_text(cur).lstrip().startswith("#ifndef")
                positive = not ifndef
                if _GUARD.match(word) and ifndef:
                    child, cur = cur, cur.parent
                    continue
                text = word if positive != negate else f"!{word}"
            else:
                cond = cur.child_by_field_name("condition")
                word = " ".join(node_text(cond).split()) if cond else "?"
                text = f"!({word})" if negate else word
            parts.append(text)
        child, cur = cur, cur.parent
    return " && ".join(reversed(parts)) or None


_RAW_CACHE: dict[tuple[str, bytes], _RawFile] = {}
_RAW_CACHE_MAX = 512


def read_definitions(path: str, data: bytes, tree=None) -> _RawFile:  # type: ignore[no-untyped-def]
    """Enums and object-like macros of one C file (memoised by content);
    ``tree``: its parse, when the caller has one."""
    key = (path, data)
    got = _RAW_CACHE.get(key)
    if got is not None:
        return got
    tree = tree or parse_c(data)
    root = tree.root_node
    caps = captures(load_query("constants"), root)
    enums: list[_RawEnum] = []
    # Document order: the first definition is the one a resolver sees.
    for enode in sorted(caps.get("enum", []), key=lambda n: n.start_byte):
        name_node = enode.child_by_field_name("name")
        body = enode.child_by_field_name("body")
        if body is None:
            continue
        items: list[_RawEnumerator] = []
        stack = list(reversed(body.named_children))
        while stack:    # document order, descending into #ifdef blocks
            n = stack.pop()
            if n.type == "enumerator":
                nm = n.child_by_field_name("name")
                val = n.child_by_field_name("value")
                if nm is None:
                    continue
                items.append(_RawEnumerator(
                    node_text(nm), node_text(val) if val is not None else None,
                    n.start_point[0] + 1, _condition(n, root)))
            elif n.type.startswith("preproc_") or n.type == "ERROR":
                stack.extend(reversed(n.named_children))
        enums.append(_RawEnum(node_text(name_node) if name_node else "", path,
                              enode.start_point[0] + 1, tuple(items)))
    macros: list[_RawMacro] = []
    for mnode in sorted(caps.get("macro", []), key=lambda n: n.start_byte):
        nm = mnode.child_by_field_name("name")
        val = mnode.child_by_field_name("value")
        if nm is None:
            continue
        expr = node_text(val).replace("\\\n", " ").strip() if val else ""
        macros.append(_RawMacro(node_text(nm), expr, path,
                                mnode.start_point[0] + 1,
                                _condition(mnode, root)))
    raw = _RawFile(tuple(enums), tuple(macros))
    if len(_RAW_CACHE) >= _RAW_CACHE_MAX:
        _RAW_CACHE.clear()
    _RAW_CACHE[key] = raw
    return raw


# -- step 2: the editable model ------------------------------------------

@dataclass
class _Model:
    """Definitions merged over the files read; edited in patch-only mode."""
    enums: list[_RawEnum] = field(default_factory=list)
    macros: list[_RawMacro] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def find_enumerator(self, name: str) -> tuple[int, int] | None:
        for ei, e in enumerate(self.enums):
            for ii, it in enumerate(e.items):
                if it.name == name:
                    return ei, ii
        return None

    def expr_of(self, name: str) -> tuple[bool, str | None]:
        """(defined, expression) of a name in the model."""
        hit = self.find_enumerator(name)
        if hit is not None:
            return True, self.enums[hit[0]].items[hit[1]].expr
        for m in self.macros:
            if m.name == name:
                return True, m.expr
        return False, None

    def remove(self, name: str) -> bool:
        hit = self.find_enumerator(name)
        if hit is not None:
            ei, ii = hit
            e = self.enums[ei]
            self.enums[ei] = replace(e, items=e.items[:ii] + e.items[ii + 1:])
            return True
        before = len(self.macros)
        self.macros = [m for m in self.macros if m.name != name]
        return len(self.macros) != before


def _literals(profile: Profile) -> tuple[str, ...]:
    return profile.prefilter


def _model_from(source: TreeSource, profile: Profile,
                paths_hint: Iterable[str]) -> _Model:
    lits = _literals(profile)
    paths = list(files_containing(source, lits, under=_INCLUDE,
                                  suffixes=(".h",)))
    blits = tuple(s.encode() for s in lits)
    for p in paths_hint:
        if p in paths or not p.endswith((".h", ".c")):
            continue
        data = source.read(p)
        if data is not None and any(b in data for b in blits):
            paths.append(p)
    model = _Model()
    for p in paths:
        data = source.read(p)
        if data is None:
            continue
        raw = read_definitions(p, data)
        model.files.append(p)
        model.enums.extend(raw.enums)
        model.macros.extend(raw.macros)
    return model


# -- step 3: values --------------------------------------------------------

def _family_of_enum(profile: Profile, tag: str, names: Iterable[str]) -> Family | None:
    for f in profile.families:
        if f.enum and f.enum == tag:
            return f
    names = list(names)
    for f in profile.families:
        if f.prefix and any(f.has_name(n) for n in names):
            return f
    return None


def _is_set(fam: Family, name: str, value: Value) -> bool:
    """A mask or set, not one flag: named as a mask by the profile, or
    ending in a set suffix with a value that is not a single bit
    (``MSI_FLAG_NO_MASK`` is one bit despite its name)."""
    if name in fam.masks:
        return True
    return fam.kind == "bit" and fam.is_set_name(name) \
        and bit_number(value.value) is None


def _evaluate_model(model: _Model, profile: Profile) -> ConstantTable:
    # Resolution: macros by name (first definition wins, as alternatives
    # under #ifdef evaluate alike for the flags here), enumerators by name.
    macro_expr: dict[str, _RawMacro] = {}
    for m in model.macros:
        macro_expr.setdefault(m.name, m)
    enum_values: dict[str, Value] = {}
    macro_values: dict[str, Value] = {}
    busy: set[str] = set()

    def resolve(name: str) -> Value | None:
        if name in enum_values:
            return enum_values[name]
        if name in macro_values:
            return macro_values[name]
        m = macro_expr.get(name)
        if m is None:
            return None
        if name in busy:
            return Value(None, f"{name} refers to itself", m.expr)
        busy.add(name)
        try:
            v = evaluate(m.expr, resolve) if m.expr else Value(None, "empty macro", "")
        finally:
            busy.discard(name)
        macro_values[name] = v
        return v

    # Enumerators may refer to macros and to earlier enumerators; the
    # implicit ones are previous + 1.  Two passes: a later enum may refer
    # to an earlier enum's names in another file.
    enum_results: list[tuple[_RawEnum, list[tuple[_RawEnumerator, Value, bool]]]] = []
    for _ in range(2):
        enum_results = []
        for e in model.enums:
            prev: Value | None = None
            prev_name = ""
            out = []
            for it in e.items:
                if it.reason:
                    v = Value(None, it.reason, "")
                    implicit = True
                elif it.expr is not None:
                    v = evaluate(it.expr, resolve)
                    implicit = False
                elif prev is None:
                    v = Value(0, "", "")
                    implicit = True
                elif prev.value is None:
                    v = Value(None, f"follows {prev_name}, which is unknown", "")
                    implicit = True
                else:
                    v = Value(prev.value + 1, "", "")
                    implicit = True
                if v.value is not None or it.name not in enum_values:
                    enum_values[it.name] = v
                out.append((it, v, implicit))
                prev, prev_name = v, it.name
            enum_results.append((e, out))
        macro_values.clear()

    constants: list[Constant] = []
    enums: list[EnumDef] = []
    mask_names = {m for f in profile.families for m in f.masks}
    for e, out in enum_results:
        fam = _family_of_enum(profile, e.tag, (it.name for it, _, _ in out))
        if fam is None:
            continue
        if fam.enum and fam.enum == e.tag:
            members = out
        else:
            members = [r for r in out if fam.has_name(r[0].name)
                       or r[0].name in mask_names]
        enums.append(EnumDef(e.tag, e.file, e.line,
                             tuple(it.name for it, _, _ in out)))
        pos = {it.name: i for i, (it, _, _) in enumerate(out)}
        before = {it.name: (out[i - 1][0].name if i else None)
                  for i, (it, _, _) in enumerate(out)}
        for it, v, implicit in members:
            constants.append(Constant(
                name=it.name, family=fam.key, kind="enumerator", value=v,
                file=it.file or e.file, line=it.line, enum_name=e.tag,
                position=pos[it.name], implicit=implicit,
                condition=it.condition,
                is_set=_is_set(fam, it.name, v), origin=it.origin,
                after=before[it.name] or it.after))
    for m in model.macros:
        for fam in profile.families:
            if fam.has_name(m.name) or m.name in fam.masks:
                # Each definition its own value: #ifdef/#else alternatives
                # differ, and a reviewer sees both.
                v = evaluate(m.expr, resolve) if m.expr else \
                    Value(None, "empty macro", "")
                constants.append(Constant(
                    name=m.name, family=fam.key, kind="macro", value=v,
                    file=m.file, line=m.line, condition=m.condition,
                    is_set=_is_set(fam, m.name, v), origin=m.origin))
                break
    notes = list(model.notes)
    for fam in profile.families:
        if not any(c.family == fam.key for c in constants):
            what = f"enum {fam.enum}" if fam.enum else f"{fam.prefix}*"
            notes.append(f"{fam.title}: no {what} found in the tree")
    table = ConstantTable(tuple(constants), (), tuple(enums),
                          tuple(model.files), tuple(notes))
    flagsets = _flag_sets(model.macros, table, profile)
    return replace(table, flagsets=flagsets)


# -- flag sets ---------------------------------------------------------------

def _flag_sets(macros: Iterable[_RawMacro], table: ConstantTable,
               profile: Profile) -> tuple[FlagSet, ...]:
    """Macros whose value is a set of flags of a bit family, resolved
    recursively (with cycle protection) to the flag names they contain.
    Every definition is kept, so ``#ifdef``/``#else`` alternatives each
    appear with their condition."""
    macros = list(macros)
    by_name: dict[str, list[_RawMacro]] = {}
    for m in macros:
        by_name.setdefault(m.name, []).append(m)
    out: list[FlagSet] = []
    for fam in profile.families:
        if fam.kind != "bit":
            continue
        flags = {c.name: c for c in table.by_family(fam.key) if not c.is_set}
        masks = {c.name: c for c in table.by_family(fam.key) if c.is_set}

        def expand(name: str, seen: frozenset[str]) -> tuple[set[str], set[str]]:
            if name in flags:
                return {name}, set()
            if name in masks:
                v = masks[name].value.value
                if v is None:
                    return set(), {name}
                return {n for n, c in flags.items()
                        if c.value.value is not None and c.value.value > 0
                        and c.value.value & v == c.value.value}, set()
            defs = by_name.get(name)
            if not defs or name in seen:
                return set(), {name}
            members: set[str] = set()
            unresolved: set[str] = set()
            for ident in identifiers(defs[0].expr):
                got, bad = expand(ident, seen | {name})
                members |= got
                unresolved |= bad
            return members, unresolved

        for m in macros:
            if m.name in flags or m.name in masks or not m.expr:
                continue
            idents = identifiers(m.expr)
            if not any(i in flags or i in masks for i in idents) and not (
                    fam.prefix and fam.prefix in m.expr):
                continue
            members, unresolved = set(), set()
            for ident in idents:
                got, bad = expand(ident, frozenset({m.name}))
                members |= got
                unresolved |= bad
            if not members:
                continue
            out.append(FlagSet(m.name, tuple(sorted(members)), m.file, m.line,
                               m.condition, tuple(sorted(unresolved)),
                               fam.key))
    return tuple(out)


def local_names(tables: Iterable[ConstantTable]) -> frozenset[str]:
    """Names the tables define only in ``.c`` files.  Such a macro (or
    enum) is seen by its file alone, and that file holds a family
    literal (a flag set names flags), so every search finds it: the
    name is never worth a search of its own.  A same-named macro in
    another file is another macro."""
    files: dict[str, set[str]] = {}
    for t in tables:
        for c in t.constants:
            files.setdefault(c.name, set()).add(c.file)
        for fs in t.flagsets:
            files.setdefault(fs.name, set()).add(fs.file)
    return frozenset(n for n, fs in files.items()
                     if fs and all(f and f.endswith(".c") for f in fs))


def flag_macros(path: str, data: bytes | None, lits: tuple[str, ...],
                tree=None) -> tuple[_RawMacro, ...]:  # type: ignore[no-untyped-def]
    """The object-like macros of a file that defines one naming
    ``lits`` (:attr:`Profile.flag_set_literals`), else ().  ``tree``: the
    file's parse, when the caller has one."""
    if data is None or not lits or not contains(data, tuple(l.encode() for l in lits)) \
            or define_rx(lits).search(data) is None:
        return ()
    return read_definitions(path, data, tree).macros


def scan_flag_sets(source: TreeSource, table: ConstantTable,
                   profile: Profile, *, cache: bool = True,
                   read: Mapping[str, tuple[_RawMacro, ...]] | None = None,
                   ) -> tuple[FlagSet, ...]:
    """Flag-set macros anywhere in the tree (``arch/``, ``drivers/``).

    The files come from the run's tree-wide literal search (cached per
    tree); only those with a ``#define`` naming a flag or mask are
    parsed.  ``read``: :func:`flag_macros` of some of them by content
    id, from whoever parsed them already (the reference scan)."""
    lits = profile.flag_set_literals
    if not lits:
        return table.flagsets
    # The flag-defining macros of each hit, kept by content id: a warm
    # run reads none of these files.
    store = PickleStore(cache, {"m": "flagset-macros.pickle"})
    known = store.get("m")
    macros: list[_RawMacro] = []
    for p, cid in sorted(search(source, profile.search_literals,
                                cache=cache).items()):
        if not p.endswith((".c", ".h")):
            continue
        got = read.get(cid) if read else None
        if got is None:
            got = known.get(cid)
        if got is None:
            got = flag_macros(p, source.read(p), lits)
            known[cid] = got
            store.touch("m")
        macros.extend(m if m.file == p else replace(m, file=p) for m in got)
    store.flush()
    found = _flag_sets(macros, table, profile)
    seen = {(f.name, f.file, f.line) for f in found}
    extra = tuple(f for f in table.flagsets if (f.name, f.file, f.line) not in seen)
    return found + extra


# -- the public entry point ---------------------------------------------

def extract_constants(source: TreeSource, profile: Profile, *,
                      paths_hint: Iterable[str] = ()) -> ConstantTable:
    """Every constant of ``profile``'s families in ``source``.

    Only headers under ``include/`` that contain a family literal, plus
    ``paths_hint`` (the files a series touches), are parsed.
    """
    return _evaluate_model(_model_from(source, profile, paths_hint), profile)


# -- patch-only mode -----------------------------------------------------

_ENUMERATOR_LINE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.*?))?\s*,?\s*(?:/\*.*?\*/\s*)?(?://.*)?$")
_DEFINE_LINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)(?!\()\s+(.*?)\s*(?:/\*.*?\*/\s*)?$")
_ENUM_OPEN = re.compile(r"\benum\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\{")
_C_WORDS = frozenset({"enum", "struct", "union", "return", "if", "else",
                      "static", "int", "void", "unsigned", "long", "const"})


def _line_entry(text: str) -> tuple[str, str, str | None] | None:
    """("enumerator"|"macro", name, expr) for a hunk line, or None."""
    m = _DEFINE_LINE.match(text)
    if m:
        return "macro", m.group(1), m.group(2)
    stripped = text.strip()
    if not stripped or stripped.startswith(("/*", "*", "//", "#", "}")):
        return None
    m = _ENUMERATOR_LINE.match(text)
    if m and m.group(1) not in _C_WORDS and (stripped.endswith(",") or
                                             m.group(2) is not None
                                             or stripped == m.group(1)):
        expr = m.group(2)
        if expr is not None:
            expr = expr.rstrip(",").strip()
            if "(" in m.group(1) or ";" in expr:
                return None
        return "enumerator", m.group(1), expr
    return None


def _norm(expr: str | None) -> str | None:
    return None if expr is None else "".join(expr.split())


def _hunk_enum_tag(hunk: Hunk) -> str | None:
    """The enum a hunk edits: from a line in it, else its @@ section."""
    for l in hunk.lines:
        m = _ENUM_OPEN.search(l.text)
        if m:
            return m.group(1) or ""
    m = _ENUM_OPEN.search(hunk.section or "")
    if m:
        return m.group(1) or ""
    return None


def _relevant(name: str, profile: Profile, model: _Model, tag: str | None) -> bool:
    if any(f.has_name(name) or name in f.masks for f in profile.families):
        return True
    if tag and any(f.enum == tag for f in profile.families):
        return True
    return model.find_enumerator(name) is not None


def _apply_hunk_text(model: _Model, path: str, hunk: Hunk, profile: Profile,
                     origin: str) -> bool:
    """Lay a hunk that did not apply onto the model: removed names go,
    added names are inserted after the enumerator that precedes them in
    the hunk (when the tree has it), explicit values come from the '+'
    line.  Returns whether the hunk touched a family constant."""
    tag = _hunk_enum_tag(hunk)
    if tag and not any(e.tag == tag for e in model.enums) \
            and _new_enum_from_hunk(model, path, hunk, tag, profile, origin):
        return True
    touched = False
    # Lines the hunk removes and adds back unchanged, relative to what the
    # tree already has, are no change (the tree has moved on to the
    # patch's result, or the hunk only moved a comment).
    readded: dict[str, str | None] = {}
    for hl in hunk.lines:
        entry = _line_entry(hl.text) if hl.kind == "+" else None
        if entry is not None:
            readded[entry[1]] = entry[2]
    same = {n for n, e in readded.items()
            if model.expr_of(n) == (True, e) or (
                model.expr_of(n)[0] and _norm(model.expr_of(n)[1]) == _norm(e))}
    prev_name: str | None = None     # last enumerator seen on the new side
    pending_front: list[_RawEnumerator] = []
    for hl in hunk.lines:
        entry = _line_entry(hl.text)
        if entry is None:
            continue
        kind, name, expr = entry
        if kind == "enumerator" and tag is None:
            continue        # not inside an enum: an initializer, a call
        if name in same:
            if kind == "enumerator" and hl.kind != "-":
                prev_name = name
            continue
        if hl.kind == "-":
            if _relevant(name, profile, model, tag):
                model.remove(name)
                touched = True
            continue
        if hl.kind == " ":
            if kind == "enumerator":
                prev_name = name
                if pending_front:
                    _insert_before(model, name, pending_front)
                    pending_front = []
            continue
        if not _relevant(name, profile, model, tag):
            if kind == "enumerator":
                prev_name = name
            continue
        touched = True
        line = hl.new_no or hunk.new_start
        if kind == "macro":
            model.remove(name)
            model.macros.append(_RawMacro(name, expr or "", path, line, None,
                                          origin))
            continue
        item = _RawEnumerator(name, expr, line, None, origin, file=path)
        model.remove(name)
        if prev_name is not None and model.find_enumerator(prev_name):
            ei, ii = model.find_enumerator(prev_name)  # type: ignore[misc]
            e = model.enums[ei]
            model.enums[ei] = replace(e, items=e.items[:ii + 1] + (item,)
                                      + e.items[ii + 1:])
        elif prev_name is None:
            pending_front.append(item)
            continue
        else:
            _orphan(model, tag, path, item, prev_name)
        prev_name = name
    if pending_front:
        for item in pending_front:
            _orphan(model, tag, path, item, None)
    return touched


def _new_enum_from_hunk(model: _Model, path: str, hunk: Hunk, tag: str,
                        profile: Profile, origin: str) -> bool:
    """The hunk shows an enum's opening line and the tree lacks the enum:
    its post-image enumerators, context included, are the whole start
    of the enum, so implicit values are known."""
    if not any(f.enum == tag for f in profile.families):
        return False
    items: list[_RawEnumerator] = []
    inside = False
    for hl in hunk.lines:
        if hl.kind == "-":
            continue
        if not inside:
            m = _ENUM_OPEN.search(hl.text)
            inside = bool(m and (m.group(1) or "") == tag)
            continue
        if hl.text.strip().startswith("}"):
            break
        entry = _line_entry(hl.text)
        if entry is None or entry[0] != "enumerator":
            continue
        items.append(_RawEnumerator(entry[1], entry[2], hl.new_no or hunk.new_start,
                                    None, origin, file=path))
    if not inside or not items:
        return False
    model.enums.append(_RawEnum(tag, path, hunk.new_start, tuple(items)))
    return True


def _insert_before(model: _Model, anchor: str, items: list[_RawEnumerator]) -> None:
    hit = model.find_enumerator(anchor)
    if hit is None:
        for item in items:
            _orphan(model, None, "", item, None)
        return
    ei, ii = hit
    e = model.enums[ei]
    model.enums[ei] = replace(e, items=e.items[:ii] + tuple(items) + e.items[ii:])


def _orphan(model: _Model, tag: str | None, path: str, item: _RawEnumerator,
            prev: str | None) -> None:
    """An enumerator whose place in its enum is unknown: implicit values
    cannot be derived, explicit ones still evaluate."""
    why = (f"follows {prev}, which is not in the tree" if prev
           else "its place in the enum is unknown")
    if item.expr is None:
        item = replace(item, reason=f"implicit value unknown: {why}")
    item = replace(item, after=prev)
    # An enum of its own: explicit values still evaluate.
    model.enums.append(_RawEnum(tag or "", path, item.line, (item,)))


# -- history -----------------------------------------------------------------

def constant_history(applied, series: Series, profile: Profile  # type: ignore[no-untyped-def]
                     ) -> ConstantHistory:
    """Values at the base and after each patch, and what each patch
    changed (the hazards are ``patchlens.checks.constant_findings``).

    ``applied`` is an ``AppliedSeries``.  Hunks that did not apply (the
    file is missing, the tree moved on) and ``series.rebuilt`` fragments
    of an archive reply are read in patch-only mode and laid onto the
    tree's definitions.
    """
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
        for h in fp.hunks:
            failed.setdefault(n, []).append(
                (fp.path, h, "rebuilt from a quoted reply"))

    indexes = sorted(set(labels))
    steps: list[Step] = []
    base_model = _model_from(applied.base, profile, hint_t)
    steps.append(Step("base", 0, _evaluate_model(base_model, profile)))
    for n in indexes:
        state = applied.state_after(n) if n else applied.base
        model = _model_from(state, profile, hint_t)
        for m in sorted(i for i in failed if i <= n):
            for path, hunk, reason in failed[m]:
                origin = f"patch-only: {labels.get(m, m)}: {path}: {reason}"
                if _apply_hunk_text(model, path, hunk, profile, origin) and m == n:
                    notes.append(PatchOnlyNote(labels.get(m, str(m)), path,
                                               reason))
        steps.append(Step(labels.get(n, str(n)), n,
                          _evaluate_model(model, profile)))
    changes = _changes(steps)
    return ConstantHistory(tuple(steps), tuple(changes), tuple(notes),
                           tuple(missing_files))


def tree_history(source: TreeSource, profile: Profile) -> ConstantHistory:
    """The history of a tree without a series: one step, the base."""
    return ConstantHistory((Step("base", 0, extract_constants(source, profile)),),
                           ())


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
