"""Reference sites: every occurrence of a family constant, with its role.

An occurrence is found lexically (a whole-word match in the raw bytes,
so nothing the parser misreads is ever lost) and then placed in the
tree-sitter tree of its file:

- in C code it gets a :class:`~patchlens.extract.roles.Role` from its
  syntactic context (:func:`patchlens.extract.roles.classify_code`);
- in a ``#define`` body (``preproc_arg``, which tree-sitter leaves as
  text) the body is re-parsed on its own
  (:func:`patchlens.c.macros.parse_body`) and classified the same way
  (:func:`patchlens.extract.roles.classify_in_macro`);
- in comments and string literals it is a :class:`Mention`, kept apart
  from the role graph (a rename must touch it; the graph must not
  count it).

Arguments of calls to functions that are neither profile setters nor
matchers are left pending (``PendingCall``); the scanner resolves them
against what the callee's definition does with the parameter, through
the helpers it passes it on to, to any depth
(:class:`patchlens.extract.roles.Helpers`), so
``pci_msi_domain_supports(dev, MSI_FLAG_PCI_MSIX, ...)`` is a check
because the callee tests its ``feature_mask`` parameter, and
``pci_match_device_domain(pdev, DOMAIN_BUS_PCI_DEVICE_MSI)`` is one
because the callee hands its ``bus_token`` to
``msi_match_device_irq_domain()``, which compares it (the site's
``via`` names the chain).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Tree

from patchlens.c.ancestry import Ancestry
from patchlens.c.macros import parse_body
from patchlens.c.parse import node_text
from patchlens.c.shapes import MENTION_TYPES, names_regex, scope_name
from patchlens.extract.roles import (
    Role, Rules, classify_code, classify_in_macro, classify_line)

__all__ = ["ReferenceSite", "Mention", "MentionKind", "PendingCall", "FileSites", "find_sites"]


@dataclass(frozen=True)
class ReferenceSite:
    """One code occurrence of ``name`` in a ``.c``/``.h`` file."""

    name: str
    role: Role
    reason: str
    file: str
    line: int                 # 1-based
    column: int               # 1-based, in bytes
    function: str             # enclosing function, macro or variable
    text: str                 # the source line, stripped
    subsystem: str = ""       # MAINTAINERS entry (or top two components)
    # The helpers a constant passed to a call goes through, the last
    # deciding its role ("pci_match_device_domain ->
    # msi_match_device_irq_domain"); "" when the site decides itself.
    via: str = ""


class MentionKind(StrEnum):
    """Where a name occurs outside code."""
    COMMENT = "comment"
    STRING = "string"
    DOCUMENTATION = "documentation"   # a file under Documentation/
    TEXT = "text"                     # any other file that is not C


@dataclass(frozen=True)
class Mention:
    """An occurrence outside code: comment, string, documentation."""

    name: str
    kind: MentionKind
    file: str
    line: int
    column: int
    text: str


@dataclass(frozen=True)
class PendingCall:
    """Site ``index`` is argument ``arg`` of a call to ``callee``."""

    index: int
    callee: str
    arg: int


@dataclass(frozen=True)
class FileSites:
    """What :func:`find_sites` finds in one file."""

    sites: tuple[ReferenceSite, ...]
    mentions: tuple[Mention, ...]
    pending: tuple[PendingCall, ...]
    flagsets: tuple[tuple[str, tuple[str, ...]], ...]   # macro -> names


# -- per-file extraction ------------------------------------------------------------

def _line_bounds(data: bytes, start: int) -> tuple[int, int]:
    lo = data.rfind(b"\n", 0, start) + 1
    hi = data.find(b"\n", start)
    return lo, (len(data) if hi < 0 else hi)


def find_sites(path: str, data: bytes, tree: Tree, rules: Rules,
               rx: re.Pattern[bytes] | None = None,
               anc: Ancestry | None = None, *, unparsed: bool = False
               ) -> FileSites:
    """Every occurrence of ``rules.names`` in one C file.

    ``tree`` is the file's tree-sitter tree (``parse_c(data)``), ``anc``
    its :class:`~patchlens.c.ancestry.Ancestry` when the caller has one.
    ``unparsed``: the tree is not used (a file nested deeper than
    :data:`patchlens.c.parse.MAX_SYNTAX_DEPTH`): every occurrence is
    classified from its line, as in a region tree-sitter could not parse.
    """
    rx = rx or names_regex(rules.names)
    root = tree.root_node
    sites: list[ReferenceSite] = []
    mentions: list[Mention] = []
    pending: list[PendingCall] = []
    flagsets: dict[str, list[str]] = {}
    macro_trees: dict[int, tuple[Ancestry, int]] = {}
    anc = anc or Ancestry(root)
    line, counted = 1, 0
    for m in rx.finditer(data):
        start, end = m.span()
        name = m.group().decode()
        lo, hi = _line_bounds(data, start)
        line += data.count(b"\n", counted, start)
        counted = start
        col = start - lo
        text = data[lo:hi].decode("utf-8", "replace")
        node = None if unparsed else anc.leaf_for_range(start, end)
        kind = MENTION_TYPES.get(node.type) if node is not None else None
        up = anc.parent(node) if kind is None and node is not None else None
        if up is not None and node is not None:
            kind = MENTION_TYPES.get(up.type) if node.type not in (
                "identifier", "type_identifier", "field_identifier") else None
        if kind is not None:
            mentions.append(Mention(name, MentionKind(kind), path, line,
                                    col + 1, text.strip()))
            continue
        if node is None:
            role, reason = classify_line(text, col, name, rules)
            sites.append(ReferenceSite(name, role, reason, path, line, col + 1,
                                       "", text.strip()))
            continue
        if node.type == "preproc_arg":
            macro = anc.parent(node)
            mname_node = macro.child_by_field_name("name") if macro is not None else None
            mname = node_text(mname_node) if mname_node is not None else ""
            if macro is not None and macro.type == "preproc_def" and mname:
                flagsets.setdefault(mname, [])
                if name not in flagsets[mname]:
                    flagsets[mname].append(name)
            key = node.start_byte
            if key not in macro_trees:
                sub, head = parse_body(data[node.start_byte:node.end_byte])
                macro_trees[key] = Ancestry(sub.root_node), head
            sub_anc, head = macro_trees[key]
            off = start - node.start_byte + head
            inner = sub_anc.leaf_for_range(off, off + len(name))
            ikind = MENTION_TYPES.get(inner.type) if inner is not None else None
            if ikind is not None:
                mentions.append(Mention(name, MentionKind(ikind), path, line,
                                        col + 1, text.strip()))
                continue
            role, reason = classify_in_macro(
                inner, text, col, name, rules,
                macro.type if macro is not None else "", mname, sub_anc)
            sites.append(ReferenceSite(name, role, reason, path, line, col + 1,
                                       mname, text.strip()))
            continue
        role, reason, call = classify_code(node, text, col, name, rules, anc)
        if call is not None:
            pending.append(PendingCall(len(sites), call[0], call[1]))
        sites.append(ReferenceSite(name, role, reason, path, line, col + 1,
                                   scope_name(node, anc), text.strip()))
    return FileSites(tuple(sites), tuple(mentions), tuple(pending),
                     tuple((k, tuple(v)) for k, v in flagsets.items()))
