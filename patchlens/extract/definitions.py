"""Family constants as C defines them: the data, and one file's raw
definitions.

``read_definitions`` reads one file's enums and object-like macros, raw
text, with their ``#ifdef`` conditions (memoised by content);
:class:`Model` merges them over the files read, editable, so a hunk
that did not apply can still be laid onto it (``patchonly.py``).
Values are computed from a model in ``constants.py``; flag-set macros
are resolved in ``flagsets.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from tree_sitter import Node, Tree

from patchlens.c.evaluate import Value, bit_number
from patchlens.c.ancestry import Ancestry
from patchlens.c.macros import condition_text
from patchlens.c.parse import captures, load_query, node_text, parse_c

__all__ = ["Constant", "FlagSet", "EnumDef", "ConstantTable",
           "RawEnumerator", "RawEnum", "RawMacro", "RawFile",
           "read_definitions", "Model"]


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



# -- step 1: one file's raw definitions -------------------------------------

@dataclass(frozen=True)
class RawEnumerator:
    name: str
    expr: str | None
    line: int
    condition: str | None
    origin: str = "tree"
    reason: str = ""          # why the value cannot be known (patch-only)
    file: str | None = None   # patch-only: the hunk's file (else the enum's)
    after: str | None = None  # patch-only: the enumerator the hunk puts it after


@dataclass(frozen=True)
class RawEnum:
    tag: str
    file: str
    line: int
    items: tuple[RawEnumerator, ...]


@dataclass(frozen=True)
class RawMacro:
    name: str
    expr: str
    file: str
    line: int
    condition: str | None
    origin: str = "tree"


@dataclass(frozen=True)
class RawFile:
    enums: tuple[RawEnum, ...]
    macros: tuple[RawMacro, ...]


_RAW_CACHE: dict[tuple[str, bytes], RawFile] = {}
_RAW_CACHE_MAX = 512


def read_definitions(path: str, data: bytes, tree: Tree | None = None
                     ) -> RawFile:
    """Enums and object-like macros of one C file (memoised by content);
    ``tree``: its parse, when the caller has one."""
    key = (path, data)
    got = _RAW_CACHE.get(key)
    if got is not None:
        return got
    tree = tree or parse_c(data)
    root = tree.root_node
    caps = captures(load_query("constants"), root, path)
    anc = Ancestry(root)
    enums: list[RawEnum] = []
    # Document order: the first definition is the one a resolver sees.
    for enode in sorted(caps.get("enum", []), key=lambda n: n.start_byte):
        name_node = enode.child_by_field_name("name")
        body = enode.child_by_field_name("body")
        if body is None:
            continue
        items: list[RawEnumerator] = []
        stack = list(reversed(body.named_children))
        while stack:    # document order, descending into #ifdef blocks
            n = stack.pop()
            if n.type == "enumerator":
                nm = n.child_by_field_name("name")
                val = n.child_by_field_name("value")
                if nm is None:
                    continue
                items.append(RawEnumerator(
                    node_text(nm), node_text(val) if val is not None else None,
                    n.start_point[0] + 1, condition_text(n, root, anc)))
            elif n.type.startswith("preproc_") or n.type == "ERROR":
                stack.extend(reversed(n.named_children))
        enums.append(RawEnum(node_text(name_node) if name_node else "", path,
                              enode.start_point[0] + 1, tuple(items)))
    macros: list[RawMacro] = []
    for mnode in sorted(caps.get("macro", []), key=lambda n: n.start_byte):
        nm = mnode.child_by_field_name("name")
        val = mnode.child_by_field_name("value")
        if nm is None:
            continue
        expr = node_text(val).replace("\\\n", " ").strip() if val else ""
        macros.append(RawMacro(node_text(nm), expr, path,
                                mnode.start_point[0] + 1,
                                condition_text(mnode, root, anc)))
    raw = RawFile(tuple(enums), tuple(macros))
    if len(_RAW_CACHE) >= _RAW_CACHE_MAX:
        _RAW_CACHE.clear()
    _RAW_CACHE[key] = raw
    return raw



# -- step 2: the editable model ------------------------------------------

@dataclass
class Model:
    """Definitions merged over the files read; edited in patch-only mode."""
    enums: list[RawEnum] = field(default_factory=list)
    macros: list[RawMacro] = field(default_factory=list)
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

