"""``patchlens graph``: the usage graph as JSON, GraphML, DOT or SVG.

JSON is networkx node-link data; SVG is drawn by Graphviz ``dot`` when
it is installed (otherwise one line says how to get it, exit 2).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess

import networkx as nx

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK, InputError

__all__ = ["run", "to_dot"]

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


def run(opts: argparse.Namespace) -> int:
    from patchlens.commands.refs import load_scan
    from patchlens.graph import build_graph, focus
    if opts.format == "svg" and shutil.which("dot") is None:
        raise InputError("--format svg", "Graphviz 'dot' is not installed "
                                         "(apt-get install graphviz)")
    opts.names = list(opts.focus or [])
    _, table, _, scan, final = load_scan(opts)
    g = build_graph(final if final is not None else scan, table)
    if opts.focus:
        g = focus(g, list(opts.focus))
    if opts.format == "json":
        text = json.dumps(nx.node_link_data(g, edges="edges"), indent=1)
    elif opts.format == "graphml":
        text = _graphml(g)
    else:
        text = to_dot(g)
        if opts.format == "svg":
            res = subprocess.run(["dot", "-Tsvg"], input=text.encode(),
                                 capture_output=True, timeout=600)
            if res.returncode != 0:
                raise InputError("dot", res.stderr.decode(errors="replace")
                                 .strip().splitlines()[-1:][0] if res.stderr
                                 else "failed")
            text = res.stdout.decode("utf-8")
    emit(text, opts.output)
    return EXIT_OK
