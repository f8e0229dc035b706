"""On Debian linux 6.12: 100% recall against grep -w, the call rule on
pci_msi_domain_supports(), and msi_lib_init_dev_msi_info's filter."""

from __future__ import annotations

import collections
import json
import subprocess

import pytest

from patchlens.cli import main

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def refs_all(tmp_path_factory):
    from tests.conftest import _env_tree
    kernel_tree = _env_tree("PATCHLENS_KERNEL_TREE")
    out = tmp_path_factory.mktemp("refs") / "all.json"
    assert main(["refs", "--all", "--tree", str(kernel_tree), "--format", "json",
                 "-q", "-o", str(out)]) == 0
    return json.loads(out.read_text())


def test_recall_against_grep_w(kernel_tree, refs_all):
    families = {n for n, f in refs_all["names"].items() if f != "flagset"}
    args = [a for n in sorted(families) for a in ("-e", n)]
    res = subprocess.run(["grep", "-rnowI", "--include=*.c", "--include=*.h",
                          *args, "."], cwd=kernel_tree, capture_output=True,
                         text=True, check=False)
    grep = collections.Counter()
    for line in res.stdout.splitlines():
        path, num, name = line.split(":", 2)
        grep[(path[2:], int(num), name)] += 1
    sites = collections.Counter((s["file"], s["line"], s["name"])
                                for s in refs_all["sites"] if s["name"] in families)
    code_mentions = collections.Counter(
        (m["file"], m["line"], m["name"]) for m in refs_all["mentions"]
        if m["kind"] in ("comment", "string") and m["name"] in families)
    print(f"grep -w occurrences: {sum(grep.values())}; sites: "
          f"{sum(sites.values())}; comment/string mentions: "
          f"{sum(code_mentions.values())}")
    assert not grep - (sites + code_mentions), "occurrences grep finds, refs misses"
    assert not (sites + code_mentions) - grep
    assert all(s["role"] for s in refs_all["sites"])


def test_pci_msi_domain_supports_is_a_check(kernel_tree, capsys):
    assert main(["refs", "MSI_FLAG_PCI_MSIX", "--tree", str(kernel_tree),
                 "--format", "json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    hits = [s for s in doc["sites"] if s["file"] == "drivers/pci/msi/msi.c"
            and "pci_msi_domain_supports(" in s["text"]]
    assert hits and all(s["role"] == "check" for s in hits), hits
    assert "pci_msi_domain_supports" in hits[0]["reason"]


def test_msi_lib_filter(refs_all):
    f = next(f for f in refs_all["filters"]
             if f["function"] == "msi_lib_init_dev_msi_info"
             and f["file"] == "drivers/irqchip/irq-msi-lib.c")
    assert set(f["accepted"]) == {"DOMAIN_BUS_PCI_DEVICE_MSI",
                                  "DOMAIN_BUS_PCI_DEVICE_MSIX",
                                  "DOMAIN_BUS_DEVICE_MSI",
                                  "DOMAIN_BUS_WIRED_TO_MSI"}
    assert f["default"] == "reject"
    assert f["subject"] == "info->bus_token"


def test_subsystem_and_structs(refs_all):
    s = next(s for s in refs_all["sites"] if s["file"] == "kernel/irq/msi.c")
    assert s["subsystem"] and s["subsystem"] != "THE REST"
    structs = {(s["struct"], s["variable"]) for s in refs_all["structs"]}
    assert any(t == "msi_domain_info" for t, _ in structs)
    assert any(t == "msi_parent_ops" for t, _ in structs)
