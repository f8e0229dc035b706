"""The usage graph built from the fixture scan, and the graph command."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from patchlens.cli import main
from patchlens.extract.profile import load_profile
from patchlens.extract.scan import scan_references
from patchlens.graph import build_graph, focus
from patchlens.tree.directory import DirectoryTree
from tests.extract.test_references import NAMES


@pytest.fixture(scope="module")
def graph(request):
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    scan = scan_references(DirectoryTree(str(root)), NAMES, load_profile(None),
                           cache=False, jobs=1)
    return build_graph(scan)


def rels(g, u, v):
    return {a["rel"] for a in (g.get_edge_data(u, v) or {}).values()}


def test_node_kinds(graph):
    kinds = {a["kind"] for _, a in graph.nodes(data=True)}
    assert {"constant", "flagset", "struct", "function", "file", "subsystem"} <= kinds


def test_role_edges(graph):
    c = "constant:MSI_FLAG_PCI_MSIX"
    assert "checks" in rels(graph, "function:pci_demo_enable_msix", c)
    assert "composes" in rels(graph, "flagset:MSI_DEMO_PCI_FLAGS", c)
    assert "defines" in rels(graph, "file:include/linux/msi.h", c)
    assert "clears" in rels(graph, "function:msi_demo_update",
                            "constant:MSI_FLAG_NO_MASK")
    assert "matches" in rels(graph, "function:msi_demo_find",
                             "constant:DOMAIN_BUS_PLATFORM_MSI")
    assert "bounds" in rels(graph, "function:msi_demo_count",
                            "constant:MSI_MAX_DEVICE_IRQDOMAINS")
    s = "struct:drivers/pci/msi/irqdomain.c:pci_demo_msi_info"
    assert "sets" in rels(graph, s, "flagset:MSI_DEMO_PCI_FLAGS")
    assert "contains" in rels(graph, "subsystem:DEMO PCI MSI",
                              "file:drivers/pci/msi/msi.c")
    assert "calls" in rels(graph, "function:pci_demo_enable_msix",
                           "function:pci_demo_domain_supports")


def test_focus(graph):
    sub = focus(graph, ["MSI_MAX_DEVICE_IRQDOMAINS"])
    assert "function:msi_demo_count" in sub
    assert "function:demo_select" not in sub
    assert "subsystem:DEMO IRQ SUBSYSTEM" in sub


@pytest.mark.parametrize("fmt", ["json", "graphml", "dot"])
def test_graph_cli(request, tmp_path, fmt):
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    out = tmp_path / f"g.{fmt}"
    assert main(["graph", "--tree", str(root), "--no-cache", "--format", fmt,
                 "--focus", "DOMAIN_BUS_WIRED_TO_MSI", "-o", str(out)]) == 0
    text = out.read_text()
    if fmt == "json":
        g = nx.node_link_graph(json.loads(text), edges="edges")
        assert "constant:DOMAIN_BUS_WIRED_TO_MSI" in g
    elif fmt == "graphml":
        assert "graphml" in text and "DOMAIN_BUS_WIRED_TO_MSI" in text
    else:
        assert text.startswith("digraph") and "DOMAIN_BUS_WIRED_TO_MSI" in text


def test_svg_without_dot(request, monkeypatch, capsys):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    assert main(["graph", "--tree", str(root), "--format", "svg"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and err.count("\n") == 1
