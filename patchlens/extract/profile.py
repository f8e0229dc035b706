"""Profiles: which constant families to extract, as data (TOML).

The default profile (``patchlens/profiles/genirq-msi.toml``) names the
genirq/msi families: ``enum irq_domain_bus_token``, the ``MSI_FLAG_*``
bits and ``enum msi_domain_ids``.  ``--profile FILE`` swaps in another
set (``IRQ_DOMAIN_FLAG_*``, ``IRQCHIP_*``, ...) with no code change.
"""

from __future__ import annotations

import hashlib
import os
import re

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from importlib.resources import files
from typing import Any

from patchlens.c.widths import STORAGE_TYPES
from patchlens.errors import InputError
from patchlens.extract.saferegex import unbounded_reason
from patchlens.inputfile import read_limited
from patchlens.limits import MAX_PROFILE_BYTES

__all__ = ["Family", "FamilyKind", "FieldMeaning", "StructSpec", "CallRole",
           "QuestionSpec", "Profile", "CallbackSpec", "SelectionSpec",
           "FlagScope",
           "load_profile", "ASKS",
           "parse_profile", "DEFAULT_PROFILE", "default_profile_text"]

DEFAULT_PROFILE = "genirq-msi.toml"


class FamilyKind(StrEnum):
    """What a family's values are (a ``StrEnum``: compares and prints as
    its word, as the profile spells it)."""
    VALUE = "value"      # small integers: indexes, tokens
    BIT = "bit"          # each value one bit of a flags word


class FieldMeaning(StrEnum):
    """What a struct field says about the family constants it names
    (profile ``[[struct]] fields``)."""
    SETS = "sets"            # the instance has these (flags, bus_token)
    SUPPORTS = "supports"    # a parent accepts these from its children
    REQUIRES = "requires"    # a parent insists on these


@dataclass(frozen=True)
class Family:
    """A constant family: an enum by its tag, or names with a prefix.

    ``kind == "bit"``: each constant is one bit of a flags word whose C
    type is ``storage`` (``unsigned long`` for ``msi_domain_info::flags``);
    ``masks`` name the declared ranges (``MSI_GENERIC_FLAGS_MASK``).
    """
    key: str                         # "msi_flag"
    title: str                       # "MSI flag"
    kind: FamilyKind
    enum: str | None = None          # enum tag: "irq_domain_bus_token"
    prefix: str | None = None        # "MSI_FLAG_"
    masks: tuple[str, ...] = ()
    storage: str | None = None       # C type of the word holding the bits
    set_suffixes: tuple[str, ...] = ()
    flagset_scan: bool = False
    # Regexes for switch/if subjects that hold the filtering domain's own
    # value ("real_parent->bus_token"), not a requested child's: such a
    # switch never sees a new child value, so it filters nothing.
    own_subjects: tuple[str, ...] = ()
    # How an enum family's members are spelt ("DOMAIN_BUS_"): not what
    # makes a name a member (its enum does), but how to recognise one
    # where no definition is in reach (no tree: a ``case`` the series
    # adds, a removed enumerator whose enum's head is not in the hunk).
    spelling: str | None = None

    def spelt_like(self, name: str) -> bool:
        """Whether ``name`` is spelt as this family's members are (its
        ``prefix``, else its ``spelling``)."""
        lead = self.prefix or self.spelling
        return lead is not None and name.startswith(lead)

    def has_name(self, name: str) -> bool:
        """Whether a macro/enumerator called ``name`` belongs here by prefix."""
        return self.prefix is not None and name.startswith(self.prefix)

    def is_set_name(self, name: str) -> bool:
        return any(name.endswith(s) for s in self.set_suffixes) \
            or name in self.masks


@dataclass(frozen=True)
class StructSpec:
    """A struct whose instances set/support/require family constants."""
    name: str                        # "msi_domain_info"
    fields: tuple[tuple[str, FieldMeaning], ...]  # ("flags", SETS)


@dataclass(frozen=True)
class CallbackSpec:
    """A callback by its prototype (profile ``[[callback]]``) and what
    each origin of a tested token means in it: ``child`` (the child
    domain's token: a parent's decision), ``own`` (the domain providing
    the callback), ``lookup`` (the key a domain is searched by)."""

    name: str                       # "init_dev_msi_info"
    params: tuple[str, ...]         # normalised parameter types
    child: tuple[str, ...] = ()     # origins: "arg 3", "arg 0->host_data"
    own: tuple[str, ...] = ()
    lookup: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelectionSpec:
    """How a parent is found by a lookup token (profile
    ``[[selection]]``): the select callback tests the ``token`` and
    ``mask`` fields of the parent's ``struct`` instance."""

    struct: str                     # "msi_parent_ops"
    token: str                      # "bus_select_token"
    mask: str                       # "bus_select_mask"


@dataclass(frozen=True)
class CallRole:
    """A function whose argument ``arg`` is a family value."""
    function: str
    arg: int
    role: str                        # "setter" or "matcher"


# The impact questions a reviewer's comment can ask (``impact invert``,
# ``impact accept``); rename suggestions are recognised by their names.
ASKS = ("invert", "accept")


@dataclass(frozen=True)
class QuestionSpec:
    """How a reviewer asks an impact question in prose: a sentence that
    names one of ``about`` and one of ``cues`` (word stems, matched at a
    word start, case-insensitive) asks ``ask``."""
    ask: str                         # "invert" | "accept"
    about: tuple[str, ...]           # ("flag",) / ("parent", "child")
    cues: tuple[str, ...]            # ("special case", "invert", ...)


@dataclass(frozen=True)
class FlagScope:
    """Which domains a family of flags means something to (profile
    ``[[flag_scope]]``): a flag named by ``flags`` (a name, or a prefix
    ending in ``_``) concerns only domains that serve one of ``tokens``
    -- by their bus token, ``bus_select_mask`` or ``bus_select_token`` --
    or already carry a flag of the scope.  A PCI flag is meaningless to
    a wired-to-MSI or platform domain."""
    name: str                        # "PCI"
    flags: tuple[str, ...]           # ("MSI_FLAG_PCI_", "MSI_FLAG_MULTI_PCI_MSI")
    tokens: tuple[str, ...]          # ("DOMAIN_BUS_PCI_MSI", ...)

    def covers(self, flag: str) -> bool:
        return any(flag == f or (f.endswith("_") and flag.startswith(f))
                   for f in self.flags)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    families: tuple[Family, ...]
    literals: tuple[str, ...]        # pre-filter strings for candidate files
    structs: tuple[StructSpec, ...] = ()
    setters: tuple[CallRole, ...] = ()
    matchers: tuple[CallRole, ...] = ()
    questions: tuple[QuestionSpec, ...] = ()
    # Capitalised words of the subsystem's prose that a reviewer's
    # comment uses without proposing a name ("MSI", "PCI", "IRQ").
    prose: tuple[str, ...] = ()
    source: str = ""                 # the file it was read from
    # Which token filters decide on a child (extract.filters.filter_kind).
    callbacks: tuple[CallbackSpec, ...] = ()
    selections: tuple[SelectionSpec, ...] = ()
    core: tuple[str, ...] = ()       # folders of core helpers: "kernel/irq/"
    flag_scopes: tuple[FlagScope, ...] = ()
    # Calls whose argument is a truth value ([calls] truth: the kernel's
    # assertions and branch hints, WARN_ON(), likely()): a constant
    # inside one is tested.  C's own (if, assert) are in extract.roles.
    truth_calls: tuple[str, ...] = ()

    def family(self, key: str) -> Family | None:
        for f in self.families:
            if f.key == key or f.title == key:
                return f
        return None

    @property
    def prefilter(self) -> tuple[str, ...]:
        """Every literal a file defining a family constant must contain."""
        out = list(self.literals)
        for f in self.families:
            if f.enum:
                out.append(f.enum)
            if f.prefix:
                out.append(f.prefix)
        return tuple(dict.fromkeys(out))

    @property
    def search_literals(self) -> tuple[str, ...]:
        """The literals of a run's one tree-wide search: the pre-filter
        plus the mask names.  Every constant, flag set, hazard pattern
        and reference of the families contains one of them."""
        out = list(self.prefilter)
        out += [m for f in self.families for m in f.masks]
        return tuple(dict.fromkeys(out))

    @property
    def flag_set_literals(self) -> tuple[str, ...]:
        """What a flag-set macro's definition names: the prefix and
        masks of each bit family scanned for flag sets."""
        out = [f.prefix for f in self.families
               if f.kind == "bit" and f.flagset_scan and f.prefix]
        out += [m for f in self.families if f.kind == "bit" and f.flagset_scan
                for m in f.masks]
        return tuple(out)

    @cached_property
    def fingerprint(self) -> str:
        """A digest of everything the profile's TOML says (not where it
        was read from): two profiles with one fingerprint analyse alike,
        so caches whose values depend on the profile key by it."""
        return hashlib.sha1(repr(replace(self, source="")).encode()).hexdigest()

    def candidate_literals(self, names: Iterable[str]) -> tuple[bytes, ...]:
        """:attr:`search_literals` plus every name none of them covers."""
        lits = list(self.search_literals)
        # Per name, its substrings of each literal length: linear in the
        # names, not names x literals.
        lit_set = set(lits)
        lengths = sorted({len(x) for x in lits})

        def covered(n: str) -> bool:
            return any(n[i:i + k] in lit_set for k in lengths
                       if k <= len(n) for i in range(len(n) - k + 1))
        extra = [n for n in names if not covered(n)]
        return tuple(sorted({s.encode() for s in lits + extra}))


def default_profile_text() -> bytes:
    return files("patchlens.profiles").joinpath(DEFAULT_PROFILE).read_bytes()


def load_profile(path: str | None) -> Profile:
    """The profile in ``path`` (TOML), or the default genirq/msi profile."""
    if path is None:
        return parse_profile(default_profile_text(), f"<{DEFAULT_PROFILE}>")
    if not os.path.lexists(path):
        raise InputError(path, "no such profile file")
    if os.path.isdir(path):
        raise InputError(path, "is a directory, not a profile file")
    # bounded: /dev/zero or a 3 GB sparse file is one line, not MemoryError
    return parse_profile(read_limited(path, MAX_PROFILE_BYTES, text=False), path)


_TOP = {"name", "description", "family", "prefilter", "struct", "setter",
        "matcher", "question", "callback", "selection", "filters",
        "review", "flag_scope", "calls"}
_ORIGIN = re.compile(r"^arg \d+((->|\.)\w+)*$")
_FAMILY = {"key", "title", "enum", "prefix", "kind", "masks", "storage",
           "set_suffixes", "flagset_scan", "own_subjects", "spelling"}


def _str(where: str, table: dict[str, Any], key: str, ctx: str,
         required: bool = False) -> str | None:
    v = table.get(key)
    if v is None:
        if required:
            raise InputError(where, f"{ctx}: missing {key!r}")
        return None
    if not isinstance(v, str) or not v.strip():
        raise InputError(where, f"{ctx}: {key!r} must be a non-empty string")
    return v.strip()


def _strs(where: str, table: dict[str, Any], key: str, ctx: str) -> tuple[str, ...]:
    v = table.get(key, [])
    if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
        raise InputError(where, f"{ctx}: {key!r} must be a list of strings")
    return tuple(v)


def _unknown(where: str, table: dict[str, Any], allowed: set[str], ctx: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise InputError(where, f"{ctx}: unknown key {extra[0]!r}")


def _tables(where: str, doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    v = doc.get(key, [])
    if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
        raise InputError(where, f"{key!r} must be an array of tables ([[{key}]])")
    return v


def _family(where: str, t: dict[str, Any], n: int) -> Family:
    ctx = f"family {n}"
    _unknown(where, t, _FAMILY, ctx)
    key = _str(where, t, "key", ctx, required=True) or ""
    ctx = f"family {key!r}"
    word = _str(where, t, "kind", ctx) or "value"
    if word not in set(FamilyKind):
        raise InputError(where, f"{ctx}: kind must be one of "
                                f"{', '.join(FamilyKind)}")
    kind = FamilyKind(word)
    enum = _str(where, t, "enum", ctx)
    prefix = _str(where, t, "prefix", ctx)
    if enum is None and prefix is None:
        raise InputError(where, f"{ctx}: needs 'enum' or 'prefix'")
    storage = _str(where, t, "storage", ctx)
    if storage is not None and storage not in STORAGE_TYPES:
        raise InputError(where, f"{ctx}: storage must be one of "
                                f"{', '.join(STORAGE_TYPES)}")
    scan = t.get("flagset_scan", False)
    if not isinstance(scan, bool):
        raise InputError(where, f"{ctx}: 'flagset_scan' must be true or false")
    own = _strs(where, t, "own_subjects", ctx)
    for pattern in own:
        why = unbounded_reason(pattern)
        if why is not None:
            # a regex that could backtrack without bound is refused
            if not why.startswith("not a regex"):
                why = f"refused, it could backtrack without bound: {why}"
            raise InputError(where, f"{ctx}: own_subjects: bad regex "
                                    f"{pattern[:60]!r}: {why}")
    return Family(key=key, title=_str(where, t, "title", ctx) or key,
                  kind=kind, enum=enum, prefix=prefix,
                  masks=_strs(where, t, "masks", ctx), storage=storage,
                  set_suffixes=_strs(where, t, "set_suffixes", ctx),
                  flagset_scan=scan, own_subjects=own,
                  spelling=_str(where, t, "spelling", ctx))


def _calls(where: str, doc: dict[str, Any], key: str) -> tuple[CallRole, ...]:
    out = []
    for n, t in enumerate(_tables(where, doc, key), start=1):
        ctx = f"{key} {n}"
        _unknown(where, t, {"function", "arg"}, ctx)
        fn = _str(where, t, "function", ctx, required=True) or ""
        arg = t.get("arg")
        if not isinstance(arg, int) or isinstance(arg, bool) or not 0 <= arg < 64:
            raise InputError(where, f"{ctx}: 'arg' must be an argument index")
        out.append(CallRole(fn, arg, key))
    return tuple(out)


def _questions(where: str, doc: dict[str, Any]) -> tuple[QuestionSpec, ...]:
    out = []
    for n, t in enumerate(_tables(where, doc, "question"), start=1):
        ctx = f"question {n}"
        _unknown(where, t, {"ask", "about", "cues"}, ctx)
        ask = _str(where, t, "ask", ctx, required=True) or ""
        if ask not in ASKS:
            raise InputError(where, f"{ctx}: ask must be one of "
                                    f"{', '.join(ASKS)}")
        about = _strs(where, t, "about", ctx)
        cues = _strs(where, t, "cues", ctx)
        if not about or not cues:
            raise InputError(where, f"{ctx}: needs 'about' and 'cues'")
        out.append(QuestionSpec(ask, about, cues))
    return tuple(out)


def _flag_scopes(where: str, doc: dict[str, Any]) -> tuple[FlagScope, ...]:
    out = []
    for n, t in enumerate(_tables(where, doc, "flag_scope"), start=1):
        ctx = f"flag_scope {n}"
        _unknown(where, t, {"name", "flags", "tokens"}, ctx)
        flags = _strs(where, t, "flags", ctx)
        tokens = _strs(where, t, "tokens", ctx)
        if not flags or not tokens:
            raise InputError(where, f"{ctx}: needs 'flags' and 'tokens'")
        out.append(FlagScope(_str(where, t, "name", ctx) or ctx, flags,
                             tokens))
    return tuple(out)


def _callbacks(where: str, doc: dict[str, Any]) -> tuple[CallbackSpec, ...]:
    out = []
    for n, t in enumerate(_tables(where, doc, "callback"), start=1):
        ctx = f"callback {n}"
        _unknown(where, t, {"name", "params", "child", "own", "lookup"}, ctx)
        name = _str(where, t, "name", ctx, required=True) or ""
        ctx = f"callback {name!r}"
        params = _strs(where, t, "params", ctx)
        if not params:
            raise InputError(where, f"{ctx}: needs 'params'")
        origins = {k: _strs(where, t, k, ctx) for k in ("child", "own", "lookup")}
        for k, vals in origins.items():
            bad = next((v for v in vals if not _ORIGIN.match(v)), None)
            if bad is not None:
                raise InputError(where, f"{ctx}: {k}: {bad!r} is not an "
                                        "origin like 'arg 3' or "
                                        "'arg 0->host_data'")
        out.append(CallbackSpec(name, tuple(" ".join(p.split()) for p in params),
                                origins["child"], origins["own"],
                                origins["lookup"]))
    return tuple(out)


def _selections(where: str, doc: dict[str, Any]) -> tuple[SelectionSpec, ...]:
    out = []
    for n, t in enumerate(_tables(where, doc, "selection"), start=1):
        ctx = f"selection {n}"
        _unknown(where, t, {"struct", "token", "mask"}, ctx)
        out.append(SelectionSpec(_str(where, t, "struct", ctx, required=True) or "",
                                 _str(where, t, "token", ctx, required=True) or "",
                                 _str(where, t, "mask", ctx, required=True) or ""))
    return tuple(out)


def _list(where: str, doc: dict[str, Any], table: str, key: str
          ) -> tuple[str, ...]:
    """``[table] key = [...]``, a table holding one list of strings
    (``[calls] truth``, ``[review] prose``, ``[filters] core``)."""
    t = doc.get(table, {})
    if not isinstance(t, dict):
        raise InputError(where, f"'{table}' must be a table")
    _unknown(where, t, {key}, table)
    return _strs(where, t, key, table)


def parse_profile(data: bytes, where: str) -> Profile:
    """Validate a profile's TOML text; errors name ``where``."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(where, "profile is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(where, "not valid TOML: nested too deeply") from None
    if not doc:
        raise InputError(where, "empty profile: no families")
    _unknown(where, doc, _TOP, "profile")
    fams = [_family(where, t, n)
            for n, t in enumerate(_tables(where, doc, "family"), start=1)]
    if not fams:
        raise InputError(where, "profile names no [[family]]")
    seen_keys: set[str] = set()       # linear: 100,000 families load
    dup = None
    for f in fams:
        if f.key in seen_keys:
            dup = f.key
            break
        seen_keys.add(f.key)
    if dup:
        raise InputError(where, f"family {dup!r} is defined twice")
    literals = _list(where, doc, "prefilter", "literals")
    core = _list(where, doc, "filters", "core")
    structs = []
    for n, t in enumerate(_tables(where, doc, "struct"), start=1):
        ctx = f"struct {n}"
        _unknown(where, t, {"name", "fields"}, ctx)
        name = _str(where, t, "name", ctx, required=True) or ""
        fields = t.get("fields", {})
        if not isinstance(fields, dict) or not all(
                isinstance(v, str) for v in fields.values()):
            raise InputError(where, f"struct {name!r}: 'fields' must map "
                                    "field names to roles")
        # A misspelt meaning would silently turn the checks that read
        # the field off: refuse it.
        for field, meaning in fields.items():
            if meaning not in set(FieldMeaning):
                raise InputError(where, f"struct {name!r}: field {field!r}: "
                                        f"meaning {meaning!r} is not one of "
                                        f"{', '.join(FieldMeaning)}")
        structs.append(StructSpec(name, tuple(
            (f, FieldMeaning(m)) for f, m in fields.items())))
    return Profile(name=_str(where, doc, "name", "profile") or where,
                   description=_str(where, doc, "description", "profile") or "",
                   families=tuple(fams), literals=literals,
                   structs=tuple(structs),
                   setters=_calls(where, doc, "setter"),
                   matchers=_calls(where, doc, "matcher"),
                   questions=_questions(where, doc), source=where,
                   callbacks=_callbacks(where, doc),
                   selections=_selections(where, doc), core=core,
                   prose=_list(where, doc, "review", "prose"),
                   flag_scopes=_flag_scopes(where, doc),
                   truth_calls=_list(where, doc, "calls", "truth"))
