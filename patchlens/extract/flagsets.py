"""Flag sets: macros whose value is a set of a bit family's flags
(``X86_VECTOR_MSI_FLAGS_SUPPORTED``), resolved by name to the flags
they contain, in the family headers (``resolve_flag_sets``) and
anywhere in the tree (``scan_flag_sets``, over the run's literal
search)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from tree_sitter import Tree

from patchlens.c.defines import define_rx
from patchlens.c.evaluate import MAX_MACRO_DEPTH, identifiers
from patchlens.cache import flagset_store
from patchlens.extract.definitions import (ConstantTable, FlagSet, RawMacro,
                                           read_definitions)
from patchlens.extract.profile import Profile
from patchlens.search import SearchContext, contains, search
from patchlens.tree.source import TreeSource

__all__ = ["resolve_flag_sets", "flag_macros", "scan_flag_sets"]


def resolve_flag_sets(macros: Iterable[RawMacro], table: ConstantTable,
               profile: Profile) -> tuple[FlagSet, ...]:
    """Macros whose value is a set of flags of a bit family, resolved
    recursively (with cycle protection) to the flag names they contain.
    Every definition is kept, so ``#ifdef``/``#else`` alternatives each
    appear with their condition."""
    macros = list(macros)
    by_name: dict[str, list[RawMacro]] = {}
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
            if not defs or name in seen or len(seen) >= MAX_MACRO_DEPTH:
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


def flag_macros(path: str, data: bytes | None, lits: tuple[str, ...],
                tree: Tree | None = None) -> tuple[RawMacro, ...]:
    """The object-like macros of a file that defines one naming
    ``lits`` (:attr:`Profile.flag_set_literals`), else ().  ``tree``: the
    file's parse, when the caller has one."""
    if data is None or not lits or not contains(data, tuple(l.encode() for l in lits)) \
            or define_rx(lits).search(data) is None:
        return ()
    return read_definitions(path, data, tree).macros


def scan_flag_sets(source: TreeSource, table: ConstantTable,
                   profile: Profile, *, cache: bool = True,
                   read: Mapping[str, tuple[RawMacro, ...]] | None = None,
                   context: SearchContext | None = None,
                   ) -> tuple[FlagSet, ...]:
    """Flag-set macros anywhere in the tree (``arch/``, ``drivers/``).

    The files come from the run's tree-wide literal search (cached per
    tree); only those with a ``#define`` naming a flag or mask are
    parsed.  ``read``: :func:`flag_macros` of some of them by content
    id, from whoever parsed them already (the reference scan).
    ``context``: the run's searches (``cache`` is its setting when a
    new one is made)."""
    lits = profile.flag_set_literals
    if not lits:
        return table.flagsets
    context = context or SearchContext(cache=cache)
    # The flag-defining macros of each hit, kept by content id for this
    # profile (what is a flag set depends on its literals): a warm run
    # reads none of these files.
    store = flagset_store(context.cache, profile.fingerprint, _valid_macros)
    known = store.get("m")
    macros: list[RawMacro] = []
    for p, cid in sorted(search(context, source, profile.search_literals).items()):
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
    found = resolve_flag_sets(macros, table, profile)
    seen = {(f.name, f.file, f.line) for f in found}
    extra = tuple(f for f in table.flagsets if (f.name, f.file, f.line) not in seen)
    return found + extra



def _valid_macros(key: object, value: object) -> bool:
    """A flag-set store entry: a tuple of macros with a line number."""
    return isinstance(value, tuple) and all(
        isinstance(m, RawMacro) and isinstance(m.name, str)
        and isinstance(m.expr, str) and isinstance(m.file, str)
        and isinstance(m.line, int) for m in value)
