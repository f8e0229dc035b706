"""A tree's family constants and their values.

Families come from the profile: the enumerators of an enum found by
its tag (``enum irq_domain_bus_token`` lives in ``irqdomain_defs.h`` on
6.12 and in ``irqdomain.h`` on 6.1: the tag finds it either way), or
enumerators and macros with a prefix (``MSI_FLAG_*``).  Candidate
headers are found by the literal search (``patchlens/search/``); only those
are parsed.

Three steps, each pure once the bytes are read:

1. ``definitions.read_definitions``: one file's enums and object-like
   macros, raw text, with their ``#ifdef`` conditions;
2. :func:`model_from`: those definitions merged over the tree into an
   editable ``Model`` (``patchonly.py`` lays failed hunks onto it);
3. :func:`evaluate_model`: values computed (``evaluate.py``), families
   assigned, flag-set macros resolved (``flagsets.py``) ->
   :class:`ConstantTable`.

Along a series: ``history.py``.  The data classes and the flag-set
functions are re-exported here, the family's front door.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from patchlens.cache import definitions_store
from patchlens.extract.definitions import (
    Constant, ConstantTable, EnumDef, FlagSet, Model, RawEnum, RawEnumerator,
    RawFile, RawMacro, read_definitions)
from patchlens.c.evaluate import MAX_MACRO_DEPTH, Value, bit_number, evaluate
from patchlens.extract.flagsets import (flag_macros, resolve_flag_sets,
                                        scan_flag_sets)
from patchlens.extract.profile import Family, Profile
from patchlens.search import SearchContext, files_containing
from patchlens.tree.source import TreeSource, blob_id

__all__ = [
    "Constant", "FlagSet", "EnumDef", "ConstantTable",
    "extract_constants", "model_from", "model_inputs", "model_of",
    "evaluate_model", "local_names",
    "read_definitions", "scan_flag_sets", "flag_macros",
]


# Files a family may live in are searched here first (cheap), then in
# the files a series touches.
_INCLUDE = "include"


def _literals(profile: Profile) -> tuple[str, ...]:
    return profile.prefilter


def model_inputs(source: TreeSource, profile: Profile,
                 paths_hint: Iterable[str], context: SearchContext
                 ) -> tuple[tuple[str, bytes], ...]:
    """The files :func:`model_from` reads, with their bytes: the
    ``include/`` headers holding a family literal, then the hinted
    ``.c``/``.h`` files that hold one.  Two states with equal inputs
    have equal models."""
    lits = _literals(profile)
    paths = list(files_containing(context, source, lits, under=_INCLUDE,
                                  suffixes=(".h",)))
    blits = tuple(s.encode() for s in lits)
    for p in paths_hint:
        if p in paths or not p.endswith((".h", ".c")):
            continue
        data = source.read(p)
        if data is not None and any(b in data for b in blits):
            paths.append(p)
    out = []
    for p in paths:
        data = source.read(p)
        if data is not None:
            out.append((p, data))
    return tuple(out)


def model_of(inputs: Iterable[tuple[str, bytes]], cache: bool = False) -> Model:
    """The model of the files ``inputs`` (:func:`model_inputs`); with
    ``cache``, each file's definitions come from the definitions store
    when it has read those bytes at that path before."""
    store = definitions_store(cache, _valid_raw)
    known = store.get("defs")
    model = Model()
    for p, data in inputs:
        key = f"{blob_id(data)}:{p}"
        raw = known.get(key)
        if raw is None:
            raw = read_definitions(p, data)
            known[key] = raw
            store.touch("defs")
        model.files.append(p)
        model.enums.extend(raw.enums)
        model.macros.extend(raw.macros)
    store.flush()
    return model


def _valid_raw(key: object, value: object) -> bool:
    """A definitions entry: a RawFile of raw enums and macros of the
    key's path."""
    if not isinstance(value, RawFile) or not isinstance(key, str):
        return False
    path = key.partition(":")[2]
    return isinstance(value.enums, tuple) and isinstance(value.macros, tuple) \
        and all(isinstance(e, RawEnum) and e.file == path and isinstance(e.line, int)
                and isinstance(e.items, tuple)
                and all(isinstance(i, RawEnumerator) and isinstance(i.name, str)
                        and isinstance(i.line, int) for i in e.items)
                for e in value.enums) \
        and all(isinstance(m, RawMacro) and m.file == path and isinstance(m.name, str)
                and isinstance(m.expr, str) and isinstance(m.line, int)
                for m in value.macros)


def model_from(source: TreeSource, profile: Profile,
               paths_hint: Iterable[str], context: SearchContext) -> Model:
    return model_of(model_inputs(source, profile, paths_hint, context), context.cache)


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


def evaluate_model(model: Model, profile: Profile) -> ConstantTable:
    # Resolution: macros by name (first definition wins, as alternatives
    # under #ifdef evaluate alike for the flags here), enumerators by name.
    macro_expr: dict[str, RawMacro] = {}
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
        if len(busy) >= MAX_MACRO_DEPTH:
            # A chain of 10,000 macros would overflow Python's stack.
            return Value(None, f"{name}: macro chain deeper than "
                               f"{MAX_MACRO_DEPTH}", m.expr)
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
    enum_results: list[tuple[RawEnum, list[tuple[RawEnumerator, Value, bool]]]] = []
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
    flagsets = resolve_flag_sets(model.macros, table, profile)
    return replace(table, flagsets=flagsets)



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



# -- the public entry point ---------------------------------------------

def extract_constants(source: TreeSource, profile: Profile, *,
                      paths_hint: Iterable[str] = (),
                      context: SearchContext | None = None) -> ConstantTable:
    """Every constant of ``profile``'s families in ``source``.

    Only headers under ``include/`` that contain a family literal, plus
    ``paths_hint`` (the files a series touches), are parsed.
    ``context``: the run's searches.
    """
    return evaluate_model(model_from(source, profile, paths_hint,
                                     context or SearchContext()), profile)

