"""The usage graph: who defines, checks, sets, clears, matches each constant.

Nodes (``kind`` attribute): ``constant``, ``flagset`` (a macro composing
constants), ``struct`` (an initialized ``struct msi_domain_info`` etc.),
``function``, ``macro``, ``file``, ``subsystem``.  Node ids are
``"<kind>:<name>"`` (files, structs and functions carry the file where
names are not unique: ``"struct:<file>:<variable>"``).

Edges (``MultiDiGraph`` keys and ``rel`` attribute): ``defines``,
``checks``, ``sets``, ``clears``, ``matches``, ``composes``, ``bounds``,
``uses`` (role other) from the user to the constant; ``contains`` from
a subsystem to a file and from a file to what is in it; ``calls``
between functions of the scanned files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx

from patchlens.extract.roles import Role

if TYPE_CHECKING:
    from patchlens.extract.definitions import ConstantTable
    from patchlens.extract.references import ReferenceSite
    from patchlens.extract.scan import Scan

__all__ = ["build_graph", "focus", "ROLE_EDGE"]

ROLE_EDGE = {Role.DEFINE: "defines", Role.CHECK: "checks", Role.SET: "sets",
             Role.CLEAR: "clears", Role.MATCH: "matches", Role.COMPOSE: "composes",
             Role.BOUND: "bounds", Role.OTHER: "uses"}
_FIELD_EDGE = {"sets": "sets", "supports": "supports", "requires": "requires"}


def _name_node(g: nx.MultiDiGraph, name: str, family: str,
               constants: ConstantTable | None) -> str:
    kind = "flagset" if family == "flagset" else "constant"
    nid = f"{kind}:{name}"
    if nid not in g:
        attrs: dict[str, Any] = {"kind": kind, "label": name, "family": family}
        c = constants.get(name) if constants is not None else None
        if c is not None and c.value.value is not None:
            attrs["value"] = int(c.value.value)
        g.add_node(nid, **attrs)
    return nid


def build_graph(scan: Scan, constants: ConstantTable | None = None
                ) -> nx.MultiDiGraph:
    """The graph of a :class:`patchlens.extract.scan.Scan` (and, when
    given, a ``ConstantTable`` for the constants' values)."""
    g = nx.MultiDiGraph()
    names = dict(scan.names)
    macros = set(scan.flagsets)
    struct_vars = {(s.file, s.variable): s for s in scan.structs}

    def file_node(path: str) -> str:
        nid = f"file:{path}"
        if nid not in g:
            g.add_node(nid, kind="file", label=path)
            sub = scan.subsystems.get(path)
            if sub is not None:
                sid = f"subsystem:{sub.name}"
                if sid not in g:
                    g.add_node(sid, kind="subsystem", label=sub.name,
                               maintainers="; ".join(sub.maintainers),
                               lists="; ".join(sub.lists))
                g.add_edge(sid, nid, key="contains", rel="contains")
        return nid

    def user_node(site: ReferenceSite) -> str:
        fnode = file_node(site.file)
        who = site.function
        if not who:
            return fnode
        if (site.file, who) in struct_vars:
            nid = f"struct:{site.file}:{who}"
            kind = "struct"
        elif who in macros or who in names:
            fam = names.get(who, "flagset")
            nid = _name_node(g, who, fam, constants)
            g.add_edge(fnode, nid, key="contains", rel="contains")
            return nid
        elif who in scan.functions:
            nid = f"function:{who}"
            kind = "function"
        elif who.startswith(("enum ", "struct ", "union ")):
            return fnode
        else:
            nid = f"symbol:{site.file}:{who}"
            kind = "variable"
        if nid not in g:
            g.add_node(nid, kind=kind, label=who)
        if not g.has_edge(fnode, nid, key="contains"):
            g.add_edge(fnode, nid, key="contains", rel="contains")
        return nid

    for name, fam in names.items():
        _name_node(g, name, fam, constants)
    for s in scan.structs:
        nid = f"struct:{s.file}:{s.variable}"
        g.add_node(nid, kind="struct", label=s.variable, struct=s.struct)
        g.add_edge(file_node(s.file), nid, key="contains", rel="contains")
        for fname, members in s.fields:
            for m in members:
                if m in names or m in macros:
                    target = _name_node(g, m, names.get(m, "flagset"), constants)
                    g.add_edge(nid, target, key=f"field:{fname}", rel="sets",
                               field=fname, file=s.file, line=s.line)
    for site in scan.sites:
        src = user_node(site)
        dst = _name_node(g, site.name, names.get(site.name, "flagset"), constants)
        if src == dst:
            continue
        rel = ROLE_EDGE[site.role]
        g.add_edge(src, dst, key=f"{rel}:{site.file}:{site.line}:{site.column}",
                   rel=rel, file=site.file, line=site.line, reason=site.reason)
    for caller, callees in scan.calls.items():
        a = f"function:{caller}"
        if a not in g:
            continue
        for callee in sorted(callees):  # a set: keep the output stable
            b = f"function:{callee}"
            if b not in g and callee in scan.functions:
                # One hop of the call graph: the callee the one-level
                # rule looked at, even when it names no constant itself.
                g.add_node(b, kind="function", label=callee)
                for path in scan.functions[callee]:
                    g.add_edge(file_node(path), b, key="contains", rel="contains")
            if b in g and not g.has_edge(a, b, key="calls"):
                g.add_edge(a, b, key="calls", rel="calls")
    for f in scan.filters:
        nid = f"function:{f.function}"
        if nid in g:
            g.nodes[nid]["filters"] = f"{f.subject}: {f.default} ({f.default_text})"
    return g


def focus(g: nx.MultiDiGraph, names: list[str]) -> nx.MultiDiGraph:
    """The named constants, their neighbours, and where those live."""
    keep: set[str] = set()
    for name in names:
        hits = [n for n in (f"constant:{name}", f"flagset:{name}") if n in g]
        for nid in hits:
            keep.add(nid)
            keep.update(g.predecessors(nid))
            keep.update(g.successors(nid))
    for nid in list(keep):
        for p in g.predecessors(nid):
            if g.nodes[p].get("kind") in ("file", "subsystem"):
                keep.add(p)
    for nid in list(keep):
        if g.nodes[nid].get("kind") == "file":
            keep.update(p for p in g.predecessors(nid)
                        if g.nodes[p].get("kind") == "subsystem")
    # Built in ``g``'s own order: ``g.subgraph(keep)`` iterates the set,
    # so the node order (and the DOT, JSON, GraphML text) changed from
    # run to run with string hashing.
    out = nx.MultiDiGraph(**g.graph)
    out.add_nodes_from((n, g.nodes[n]) for n in g if n in keep)
    out.add_edges_from((u, v, k, d) for u, v, k, d
                       in g.edges(keys=True, data=True)
                       if u in keep and v in keep)
    return out
