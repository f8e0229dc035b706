"""Shapes of C code the extractors read, by name: scopes, declarators,
calls, the one query run per file, identifiers spelled as a word.

Nothing here knows about the kernel or about a profile: these are
questions about C syntax (what is the enclosing function of this node,
what name does this declarator declare, which functions call which).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node, Tree

from patchlens.c.ancestry import Ancestry, ancestry_of
from patchlens.c.parse import load_query, matches, node_text

__all__ = [
    "declarator_name", "scope_name", "callee_name", "has_error_ancestor",
    "param_names", "identifier_uses", "names_regex", "FileMatches",
    "file_matches", "function_calls", "Captures", "MENTION_TYPES",
]

# Captures of one query match, by capture name.
Captures = dict[str, list[Node]]

# Node types holding text that is not code: a name found in one is a
# mention (comment, string), not a use.
MENTION_TYPES: dict[str, str] = {
    "comment": "comment", "string_content": "string",
    "string_literal": "string", "char_literal": "string",
    "system_lib_string": "string", "escape_sequence": "string",
    "raw_string_literal": "string", "raw_string_content": "string"}

_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def names_regex(names: Iterable[str]) -> re.Pattern[bytes]:
    """One bytes regex matching any of ``names`` as a whole C word."""
    alts = b"|".join(re.escape(n.encode()) for n in sorted(names, key=len, reverse=True))
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + (alts or b"(?!x)x") + rb")(?![A-Za-z0-9_])")


def declarator_name(node: Node | None) -> str:
    """The identifier a (possibly pointer/array/function) declarator names."""
    while node is not None:
        if node.type in ("identifier", "field_identifier", "type_identifier"):
            return node_text(node)
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            for child in node.named_children:
                if child.type in ("identifier", "field_identifier"):
                    return node_text(child)
            return ""
        node = nxt
    return ""


_SCOPE_PARENTS = ("translation_unit", "preproc_if", "preproc_ifdef",
                  "preproc_else", "preproc_elif")


def _scope_of(node: Node, parent: Node | None) -> str | None:
    """The scope name ``node`` opens (its parent given), None if none."""
    t = node.type
    if t == "function_definition":
        return declarator_name(node.child_by_field_name("declarator"))
    if t in ("preproc_def", "preproc_function_def"):
        name = node.child_by_field_name("name")
        return node_text(name) if name is not None else ""
    if t in ("enum_specifier", "struct_specifier", "union_specifier"):
        name = node.child_by_field_name("name")
        if node.child_by_field_name("body") is not None:
            tag = node_text(name) if name is not None else "(anonymous)"
            return f"{t.split('_')[0]} {tag}"
    if t == "declaration" and parent is not None and parent.type in _SCOPE_PARENTS:
        return declarator_name(node.child_by_field_name("declarator"))
    return None


def scope_name(node: Node, anc: Ancestry | None = None) -> str:
    """The enclosing function, macro, enum/struct or file-scope variable.

    ``anc``: the tree's :class:`~patchlens.c.ancestry.Ancestry` (the
    answer is then a lookup, computed once per node of the tree)."""
    a = anc or ancestry_of(node)

    # (scope name of the node itself or None, innermost strict enclosing name)
    def step(n: Node, p: Node | None, v: tuple[str | None, str] | None
             ) -> tuple[str | None, str]:
        own = _scope_of(n, p)
        if v is None:
            return own, ""
        return own, v[0] if v[0] is not None else v[1]
    return a.derived("scope", node, step)[1]


def callee_name(call: Node) -> str:
    """The called function of a ``call_expression`` ("" if indirect)."""
    fn = call.child_by_field_name("function")
    return node_text(fn) if fn is not None and fn.type == "identifier" else ""


def has_error_ancestor(node: Node, anc: Ancestry | None = None) -> bool:
    """Whether ``node`` lies in a region tree-sitter could not parse
    (``anc``: the tree's :class:`~patchlens.c.ancestry.Ancestry`)."""
    a = anc or ancestry_of(node)

    def step(n: Node, p: Node | None, v: bool | None) -> bool:
        return bool(v) or n.type == "ERROR" or n.is_missing
    return a.derived("error", node, step)


def param_names(params: Node) -> list[tuple[int, str | None]]:
    """(index, name) per parameter; None for pointers (they hold no flags)."""
    out: list[tuple[int, str | None]] = []
    for i, p in enumerate(c for c in params.named_children
                          if c.type in ("parameter_declaration",
                                        "variadic_parameter")):
        decl = p.child_by_field_name("declarator")
        if decl is None or decl.type in ("pointer_declarator", "array_declarator",
                                         "function_declarator"):
            out.append((i, None))
            continue
        out.append((i, declarator_name(decl)))
    return out


def identifier_uses(body: Node, names: Iterable[str],
                    anc: Ancestry | None = None) -> list[Node]:
    """The identifier nodes in ``body`` spelled as one of ``names``, in
    document order.  Found in the bytes and placed in the tree: a query
    capturing every identifier of every body cost more than the rest of
    the parameter rule, and so did a regex per parameter list (most are
    compiled once: 0.1 s a kernel scan).  ``anc``: the tree's
    :class:`~patchlens.c.ancestry.Ancestry` (a leaf is then found by
    bisection, not by a descent per use)."""
    text = body.text or b""
    base = body.start_byte
    starts: list[tuple[int, int]] = []
    for name in names:
        word = name.encode()
        i = text.find(word)
        while i >= 0:
            end = i + len(word)
            if (i == 0 or text[i - 1] not in _WORD_BYTES) and \
                    (end == len(text) or text[end] not in _WORD_BYTES):
                starts.append((i, end))
            i = text.find(word, end)
    out = []
    for i, end in sorted(starts):
        start, stop = base + i, base + end
        node = anc.leaf_at(start, stop) if anc is not None else None
        if node is None:
            node = body.descendant_for_byte_range(start, stop)
        if node is not None and node.type == "identifier" and \
                node.start_byte == start and node.end_byte == stop:
            out.append(node)
    return out


@dataclass(frozen=True)
class FileMatches:
    """The shapes of one file the extractors read, from one run of
    ``queries/references_file.scm`` (captures by name per match)."""

    functions: tuple[Captures, ...]   # @function @name @params @body
    calls: tuple[Node, ...]           # @callee
    structs: tuple[Captures, ...]     # @type @variable @init
    switches: tuple[Captures, ...]    # @switch @subject @body
    ifs: tuple[Captures, ...]         # @if @condition


def file_matches(tree: Tree) -> FileMatches:
    """One walk of the tree for every shape (see :class:`FileMatches`)."""
    functions: list[Captures] = []
    calls: list[Node] = []
    structs: list[Captures] = []
    switches: list[Captures] = []
    ifs: list[Captures] = []
    for _, caps in matches(load_query("references_file"), tree.root_node):
        if "function" in caps:
            functions.append(caps)
        elif "callee" in caps:
            calls.append(caps["callee"][0])
        elif "init" in caps:
            structs.append(caps)
        elif "switch" in caps:
            switches.append(caps)
        elif "if" in caps:
            ifs.append(caps)
    return FileMatches(tuple(functions), tuple(calls), tuple(structs),
                       tuple(switches), tuple(ifs))


def function_calls(shapes: FileMatches) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(names of the defined functions in order, sorted (caller, callee)
    pairs of the direct calls in their bodies)."""
    functions: list[str] = []
    bodies: list[tuple[int, int, str]] = []
    for caps in shapes.functions:
        fname = node_text(caps["name"][0])
        functions.append(fname)
        body = caps["body"][0]
        bodies.append((body.start_byte, body.end_byte, fname))
    bodies.sort()
    starts = [b[0] for b in bodies]
    # Bodies nest only in ERROR recovery; then every enclosing one counts.
    nested = any(bodies[k][0] < bodies[k - 1][1] for k in range(1, len(bodies)))
    calls: set[tuple[str, str]] = set()
    for c in shapes.calls:
        lo, hi = c.start_byte, c.end_byte
        if nested:
            owners = [f for s, e, f in bodies if s <= lo and hi <= e]
        else:
            k = bisect_right(starts, lo) - 1
            owners = [bodies[k][2]] if k >= 0 and hi <= bodies[k][1] else []
        if owners:
            callee = node_text(c)
            for f in owners:
                calls.add((f, callee))
    return tuple(dict.fromkeys(functions)), tuple(sorted(calls))
