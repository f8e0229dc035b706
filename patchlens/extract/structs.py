"""Struct instances a reviewer wants listed with their flags and tokens.

Which structs is the profile's business (``[[struct]]``: by default
``struct msi_domain_info`` and ``struct msi_parent_ops``).  For each
instance with a designated initializer the fields are recorded with
the constants and flag-set macros named in their values; flag-set
macros are resolved to their members by :func:`resolve_fields` when a
resolver (macro -> member names) is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tree_sitter import Tree

from patchlens.c.parse import node_text
from patchlens.c.ancestry import Ancestry
from patchlens.c.shapes import FileMatches, file_matches, scope_name

__all__ = ["StructInstance", "find_structs", "resolve_fields", "flagset_resolver"]

# Identifiers that look like constants (macros, enumerators).
_CONSTANT = re.compile(r"\b[A-Z][A-Z0-9_]*\b")


@dataclass(frozen=True)
class StructInstance:
    """One initialized instance, e.g. ``static struct msi_domain_info
    its_pci_msi_domain_info = { .flags = ..., }``."""

    struct: str                                   # "msi_domain_info"
    variable: str                                 # "its_pci_msi_domain_info"
    file: str
    line: int
    function: str                                 # "" at file scope
    fields: tuple[tuple[str, tuple[str, ...]], ...]   # field -> names
    text: tuple[tuple[str, str], ...]             # field -> value source text
    # field -> the line of its designator (``.bus_select_mask =``): a
    # table cites the line of the field it reads.
    lines: tuple[tuple[str, int], ...] = ()

    def field(self, name: str) -> tuple[str, ...]:
        return dict(self.fields).get(name, ())


def find_structs(path: str, tree: Tree, structs: tuple[str, ...],
                 shapes: FileMatches | None = None, anc: Ancestry | None = None
                 ) -> tuple[StructInstance, ...]:
    """Initialized instances of the named struct types in one file.

    ``shapes``: the file's :func:`patchlens.c.shapes.file_matches`, when
    the caller has them."""
    if not structs:
        return ()
    wanted = set(structs)
    out: list[StructInstance] = []
    if shapes is None:
        shapes = file_matches(tree)
    anc = anc or Ancestry(tree.root_node)
    for caps in shapes.structs:
        ty = node_text(caps["type"][0])
        if ty not in wanted:
            continue
        var_node = caps["variable"][0]
        while (inner := var_node.child_by_field_name("declarator")) is not None:
            var_node = inner
        init = caps["init"][0]
        fields: list[tuple[str, tuple[str, ...]]] = []
        texts: list[tuple[str, str]] = []
        lines: list[tuple[str, int]] = []
        # A member initialised by a nested list (``.info = { .flags =
        # ... }`` of a struct msi_domain_template) gives dotted fields,
        # each at its own designator's line.
        todo = [("", init)]
        while todo:
            outer, node = todo.pop(0)
            for pair in node.named_children:
                if pair.type != "initializer_pair":
                    continue
                des = [node_text(c).lstrip(".") for c in pair.named_children
                       if c.type == "field_designator"]
                value = pair.child_by_field_name("value")
                if not des or value is None:
                    continue
                fname = outer + ".".join(des)
                if value.type == "initializer_list" and len(todo) < 64:
                    todo.append((fname + ".", value))
                    continue
                vtext = node_text(value)
                fields.append((fname, tuple(dict.fromkeys(_CONSTANT.findall(vtext)))))
                texts.append((fname, " ".join(vtext.split())))
                lines.append((fname, pair.start_point[0] + 1))
        out.append(StructInstance(ty, node_text(var_node), path,
                                  caps["type"][0].start_point[0] + 1,
                                  scope_name(caps["type"][0], anc),
                                  tuple(fields), tuple(texts), tuple(lines)))
    return tuple(out)


def flagset_resolver(flagsets: Mapping[str, tuple[str, ...] | frozenset[str]]
                     ) -> Callable[[str], frozenset[str]]:
    """A resolver expanding flag-set macros recursively (cycles stop)."""
    def resolve(name: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        members = flagsets.get(name)
        if members is None or name in seen:
            return frozenset({name})
        out: set[str] = set()
        for m in members:
            out |= resolve(m, seen | {name})
        return frozenset(out)
    return resolve


def resolve_fields(inst: StructInstance, resolver: Callable[[str], frozenset[str]]
                   ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``inst.fields`` with flag-set macros replaced by their members."""
    out = []
    for fname, names in inst.fields:
        expanded: list[str] = []
        for n in names:
            for m in sorted(resolver(n)):
                if m not in expanded:
                    expanded.append(m)
        out.append((fname, tuple(expanded)))
    return tuple(out)
