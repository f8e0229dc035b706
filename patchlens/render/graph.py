"""``patchlens graph``: the usage graph as JSON (networkx node-link
data), GraphML or DOT (drawn as SVG by the command, with Graphviz)."""

from __future__ import annotations

import io
import json

import networkx as nx
from patchlens.render import schema

__all__ = ["as_text", "to_dot"]

_SHAPES = {"constant": "box", "flagset": "box3d", "struct": "component",
           "function": "ellipse", "file": "note", "subsystem": "folder",
           "variable": "ellipse"}


def _q(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(g: nx.MultiDiGraph) -> str:
    """DOT text (no pydot needed); parallel role edges are merged per rel."""
    out = ["digraph patchlens {", "  rankdir=LR;", "  node [fontsize=10];"]
    for n, a in g.nodes(data=True):
        out.append(f"  {_q(n)} [label={_q(a.get('label', n))}, "
                   f"shape={_SHAPES.get(a.get('kind', ''), 'ellipse')}];")
    seen: set[tuple[str, str, str]] = set()
    for u, v, a in g.edges(data=True):
        key = (u, v, a.get("rel", ""))
        if key in seen:
            continue
        seen.add(key)
        out.append(f"  {_q(u)} -> {_q(v)} [label={_q(a.get('rel', ''))}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _graphml(g: nx.MultiDiGraph) -> str:
    buf = io.BytesIO()
    nx.write_graphml(g, buf)
    return buf.getvalue().decode("utf-8")


def as_text(g: nx.MultiDiGraph, fmt: str) -> str:
    """``g`` as ``fmt``: json, graphml or dot."""
    if fmt == "json":
        return json.dumps({"schema": schema.GRAPH,
                           **nx.node_link_data(g, edges="edges")}, indent=1)
    if fmt == "graphml":
        return _graphml(g)
    return to_dot(g)
