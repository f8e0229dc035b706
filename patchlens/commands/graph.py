"""``patchlens graph``: the usage graph as JSON, GraphML, DOT or SVG.

JSON is networkx node-link data; SVG is drawn by Graphviz ``dot`` when
it is installed (otherwise one line says how to get it, exit 2).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess

from patchlens.commands.common import emit, safe_text
from patchlens.errors import EXIT_OK, InputError
from patchlens.graph import build_graph, focus
from patchlens.render.graph import as_text
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    if opts.format == "svg" and shutil.which("dot") is None:
        raise InputError("--format svg", "Graphviz 'dot' is not installed "
                                         "(apt-get install graphviz)")
    sess = open_session(opts)
    table, scan, final = sess.refs_scan(
        opts.focus or (), progress=not getattr(opts, "quiet", False))
    g = build_graph(final if final is not None else scan, table)
    if opts.focus:
        g = focus(g, list(opts.focus))
    # safe_text: a file name with invalid UTF-8 bytes must not stop dot
    text = safe_text(as_text(g, "dot" if opts.format == "svg" else opts.format))
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
