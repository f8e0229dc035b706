"""The package's shape: no import cycle between modules of patchlens.

The layer contract (lint-imports) and mypy run from ``make test``; this
test catches a cycle *inside* a layer, which a layers contract allows.
"""

from __future__ import annotations

import grimp
import networkx as nx


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("patchlens")
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("patchlens"):
                g.add_edge(module, imported)
    # A package's __init__ re-exporting its own modules is not a cycle
    # between ideas; drop edges from a package to its own children.
    for a, b in list(g.edges):
        if b.startswith(a + "."):
            g.remove_edge(a, b)
    cycles = [sorted(c) for c in nx.strongly_connected_components(g)
              if len(c) > 1]
    assert cycles == []
