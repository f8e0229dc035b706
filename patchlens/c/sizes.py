"""Struct sizes under LP64, derived from the tree's own definitions.

Used when a patch grows an array dimensioned by a family constant
(``struct msi_dev_domain __domains[MSI_MAX_DEVICE_IRQDOMAINS]`` in
``struct msi_device_data``): the byte delta per instance is the element
size times the change in count.  Sizes follow the x86-64 / LP64 rules
(natural alignment, pointers and ``long`` 8 bytes) with debug options
off (``spinlock_t`` is 4 bytes without ``CONFIG_DEBUG_SPINLOCK`` and
lockdep).  Each result carries its derivation so a reviewer can check
it; anything that cannot be derived is "unknown" with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tree_sitter import Node

from patchlens.c.parse import captures, load_query, node_text, parse_c
from patchlens.c.widths import c_type
from patchlens.tree.source import TreeSource

__all__ = ["Derived", "Size", "ArrayMember", "StructIndex", "find_array_members",
           "POINTER_SIZE"]

POINTER_SIZE = 8

# Qualifiers and annotations that do not change the size.
_NOISE = re.compile(r"\b(?:const|volatile|__rcu|__iomem|__percpu|__user|"
                    r"__force|__private|__randomize_layout|__packed|"
                    r"____cacheline_aligned(?:_in_smp)?|static|register)\b")
_TYPE = re.compile(r"(?:struct|union|enum)\s++\w++|[A-Za-z_][\w\s]*+")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class _Field:
    """``type *name[dims]`` of one declaration (what the old one-regex
    reader captured; it was cubic on a long run of blanks)."""
    type: str
    ptr: str | None
    name: str
    dims: str


def _field(decl: str) -> _Field | None:
    """Read ``type [*]name[dims]`` with string methods, linear."""
    s = decl.strip()
    def blank_before(i: int) -> int:
        while i > 0 and s[i - 1].isspace():
            i -= 1
        return i

    end = len(s)
    while end > 0 and s[end - 1] == "]":          # [N][M] at the end
        i = s.rfind("[", 0, end)
        if i < 0 or s.find("]", i, end - 1) >= 0:
            return None
        end = blank_before(i)
    dims = s[end:].lstrip()
    i = end
    while i > 0 and s[i - 1] in _WORD_CHARS:
        i -= 1
    name = s[i:end]
    if not name:
        return None
    j = blank_before(i)
    k = j
    while k > 0 and s[k - 1] == "*":
        k -= 1
    ptr = s[k:j] or None
    typ = s[:k].rstrip()
    if not typ and ptr is None and len(name) > 1 and not name[0].isdigit():
        typ, name = name[0], name[1:]      # as the regex split a lone word
    if not typ or not _TYPE.fullmatch(typ):
        return None
    return _Field(typ, ptr, name, dims)


# #ifdef conditions that are "debug options": off for the derivation.
_DEBUG = re.compile(r"DEBUG|LOCKDEP|LOCK_STAT|KASAN|KCSAN|KMSAN|TRACE|PROVE_")


@dataclass(frozen=True)
class Derived:
    """One line of a derivation as data: a type's size, and for a
    struct its members (label, count, bytes), padding and file."""
    type: str                     # "struct xarray", "void *"
    bytes: int
    file: str | None = None
    members: tuple[tuple[str, int, int], ...] = ()  # ("spinlock_t", 1, 4)
    padding: int = 0


@dataclass(frozen=True)
class Size:
    """A size in bytes (None: unknown), its alignment and derivation."""
    size: int | None
    align: int
    lines: tuple[str, ...]        # "struct xarray: 16 = spinlock_t 4 + ..."
    reason: str = ""              # why unknown
    types: tuple[Derived, ...] = ()  # ``lines`` as data, same order


@dataclass(frozen=True)
class ArrayMember:
    """A struct field ``TYPE NAME[DIM]`` whose dimension is a name."""
    struct: str                   # "msi_device_data"
    field: str                    # "__domains"
    element: str                  # "struct msi_dev_domain"
    dim: str                      # "MSI_MAX_DEVICE_IRQDOMAINS"
    file: str
    line: int
    pointer: bool = False         # element is a pointer


def _clean(text: str) -> str:
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    text = re.sub(r"__attribute__\s*\(\(.*?\)\)|__aligned\s*\([^)]*\)", " ", text)
    text = _NOISE.sub(" ", text)
    return " ".join(text.replace(";", " ").split())


def _fields(body: Node) -> list[tuple[str, str | None, int]]:
    """(declaration text, #ifdef condition, line) of each field."""
    out: list[tuple[str, str | None, int]] = []
    stack: list[tuple[Node, str | None]] = [(c, None) for c in reversed(body.named_children)]
    while stack:
        node, cond = stack.pop()
        t = node.type
        if t == "field_declaration":
            out.append((node_text(node), cond, node.start_point[0] + 1))
        elif t in ("preproc_ifdef", "preproc_if"):
            name = node.child_by_field_name("name") or node.child_by_field_name("condition")
            word = node_text(name) if name is not None else "?"
            if node_text(node).lstrip().startswith("#ifndef"):
                word = f"!{word}"
            alt = node.child_by_field_name("alternative")
            kids = [k for k in node.named_children if k != name and k != alt]
            if alt is not None:
                stack.append((alt, f"else of {word}"))
            stack.extend((k, word) for k in reversed(kids))
        elif t in ("preproc_else", "preproc_elif"):
            stack.extend((k, cond) for k in reversed(node.named_children))
        elif t == "comment":
            continue
        else:
            out.append((node_text(node), cond, node.start_point[0] + 1))
    return out


# The headers whose bytes contain a literal (``struct NAME {``): the
# caller's literal search, which knows the tree's caches.
HeaderSearch = Callable[[str], Iterable[str]]


class StructIndex:
    """Struct definitions of a tree, found by a literal search and parsed
    only where they are (``struct NAME {``).

    ``headers``: the headers under ``include/`` containing a literal
    (the tree's literal search, which knows its caches);
    ``first``: files to look in before ``include/``."""

    def __init__(self, source: TreeSource, first: tuple[str, ...] = (),
                 headers: HeaderSearch | None = None) -> None:
        self.source = source
        self.first = first
        self.headers = headers
        self._bodies: dict[str, tuple[str, Node] | None] = {}

    def _parse_into(self, path: str) -> None:
        data = self.source.read(path)
        if data is None:
            return
        caps = captures(load_query("constants_structs"), parse_c(data).root_node,
                        path)
        for node in caps.get("struct", []):
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self._bodies.setdefault(node_text(name), (path, body))

    def body(self, name: str) -> tuple[str, Node] | None:
        if name in self._bodies:
            return self._bodies[name]
        needle = f"struct {name} {{".encode()
        for path in self.first + (f"include/linux/{name}.h",):
            data = self.source.read(path)
            if data is not None and needle in data:
                self._parse_into(path)
                if name in self._bodies:
                    return self._bodies[name]
        for path in self.headers(f"struct {name} {{") if self.headers else ():
            self._parse_into(path)
            if name in self._bodies:
                return self._bodies[name]
        self._bodies[name] = None
        return None

    def sizeof(self, type_text: str, *, pointer: bool = False,
               _depth: int = 0) -> Size:
        """Size of a C type as written (``struct xarray``, ``u32``)."""
        t = _clean(type_text)
        if pointer:
            return Size(POINTER_SIZE, POINTER_SIZE, (f"{t} *: {POINTER_SIZE} "
                                                     "(pointer, LP64)",),
                        types=(Derived(f"{t} *", POINTER_SIZE),))
        scalar = c_type(t)
        if scalar is not None:
            n, why = scalar.size, scalar.why
            return Size(n, n, (f"{t}: {n} ({why})",), types=(Derived(t, n),))
        m = re.match(r"^(struct|union)\s+(\w+)$", t)
        if m is None:
            return Size(None, 1, (), f"{t}: not a type whose size is known here")
        if _depth > 16:
            return Size(None, 1, (), f"{t}: nested too deeply")
        found = self.body(m.group(2))
        if found is None:
            return Size(None, 1, (), f"{t}: definition not found in the tree")
        path, body = found
        offset = 0
        align = 1
        parts: list[str] = []
        sub: list[str] = []
        sub_types: list[Derived] = []
        members: list[tuple[str, int, int]] = []
        sizes: list[int] = []
        for text, cond, _line in _fields(body):
            if cond is not None:
                if _DEBUG.search(cond) and not cond.startswith(("!", "else")):
                    continue      # debug option: off
                if cond.startswith(("!", "else of")) and _DEBUG.search(cond):
                    pass          # the non-debug branch: kept
                else:
                    return Size(None, 1, (), f"{t}: field under #if {cond}")
            decl = _clean(text)
            if ":" in decl:
                return Size(None, 1, (), f"{t}: bit-field {decl!r}")
            pieces = [p.strip() for p in decl.split(",")]
            fm = _field(pieces[0])
            if fm is None:
                return Size(None, 1, (), f"{t}: cannot read field {decl!r}")
            base_type = fm.type.strip()
            decls = [(fm.ptr, fm.name, fm.dims)]
            for extra in pieces[1:]:
                em = re.match(r"^(\*++)?\s*+(\w++)\s*+((?:\[[^\]]*+\]\s*+)*+)$", extra)
                if em is None:
                    return Size(None, 1, (), f"{t}: cannot read field {decl!r}")
                decls.append((em.group(1), em.group(2), em.group(3)))
            for ptr, fname, dims in decls:
                fs = self.sizeof(base_type, pointer=bool(ptr), _depth=_depth + 1)
                if fs.size is None:
                    return Size(None, 1, fs.lines, fs.reason)
                count = 1
                for d in re.findall(r"\[([^\]]*)\]", dims or ""):
                    # a dimension of 5000 digits is no struct (int() refuses it)
                    if not d.strip().isdigit() or len(d.strip()) > 18:
                        return Size(None, 1, (), f"{t}: {fname}[{d}] has a "
                                                 "non-literal dimension")
                    count *= int(d)
                offset = -(-offset // fs.align) * fs.align
                offset += fs.size * count
                align = max(align, fs.align)
                label = f"{base_type}{' *' if ptr else ''}"
                parts.append(f"{label} {fs.size * count}" if count == 1 else
                             f"{label}[{count}] {fs.size * count}")
                sizes.append(fs.size * count)
                members.append((label, count, fs.size * count))
                for ln, d in zip(fs.lines, fs.types):
                    if ln not in sub:
                        sub.append(ln)
                        sub_types.append(d)
        size = -(-offset // align) * align
        pad = size - sum(sizes)
        head = f"{t}: {size} = " + " + ".join(parts) + (
            f" + {pad} padding" if pad else "") + f" ({path})"
        return Size(size, align, (head, *("  " + s for s in sub)),
                    types=(Derived(t, size, path, tuple(members), pad),
                           *sub_types))


def find_array_members(source: TreeSource, names: tuple[str, ...],
                       paths: tuple[str, ...]) -> tuple[ArrayMember, ...]:
    """Struct fields in ``paths`` dimensioned by one of ``names``."""
    out: list[ArrayMember] = []
    wanted = set(names)
    for path in paths:
        data = source.read(path)
        if data is None or not any(f"[{n}]".encode() in data for n in wanted):
            continue
        caps = captures(load_query("constants_structs"), parse_c(data).root_node,
                        path)
        for node in caps.get("struct", []):
            sname = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if sname is None or body is None:
                continue
            for text, _cond, line in _fields(body):
                decl = _clean(text)
                fm = _field(decl.split(",")[0].strip())
                if fm is None:
                    continue
                dims = re.findall(r"\[\s*(\w+)\s*\]", fm.dims or "")
                for d in dims:
                    if d in wanted:
                        out.append(ArrayMember(node_text(sname), fm.name,
                                               fm.type.strip(), d, path,
                                               line, bool(fm.ptr)))
    return tuple(out)
