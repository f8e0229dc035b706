"""The IMS story on Debian linux 6.12 (make test-kernel)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from patchlens.cli import main

pytestmark = pytest.mark.kernel


def _run(capsys, *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    return rc, capsys.readouterr().out


def test_report_names_bit_21_collision(kernel_tree: Path, corpus: Path,
                                       capsys) -> None:
    rc, out = _run(capsys, "report", str(corpus / "ims-part3-v1.mbox"),
                   "--tree", str(kernel_tree), "--format", "json")
    data = json.loads(out)
    assert rc == 1                       # an ERROR is at --fail-on error
    hits = [f for f in data["findings"] if f["code"] == "bit-collision"
            and f["subject"] == "MSI_FLAG_PCI_IMS"]
    assert hits and hits[0]["severity"] == "ERROR"
    assert "MSI_FLAG_NO_AFFINITY" in hits[0]["message"]
    assert hits[0]["patch"] == "27/33"
    consts = {c["name"]: c for c in data["constants"]}
    assert consts["MSI_FLAG_PCI_IMS"]["after"] == 1 << 21
    assert "collision" in consts["MSI_FLAG_PCI_IMS"]["marks"]
    assert consts["DOMAIN_BUS_PCI_DEVICE_IMS"]["after"] == 15
    note = next(c for c in data["comments"]
                if c["author"] == "Jason Gunthorpe"
                and "GENERIC maybe?" in c["text"])
    assert note["subjects"] == ["DOMAIN_BUS_PCI_DEVICE_IMS"]
    assert note["answers"][0].startswith(
        "rename to DOMAIN_BUS_GENERIC_MSI: name exists (value 2, "
        "include/linux/irqdomain_defs.h:15)")


def test_report_text_is_quotable(kernel_tree: Path, corpus: Path,
                                 capsys) -> None:
    from patchlens.render.text import check_lines
    _, out = _run(capsys, "report", str(corpus / "ims-part3-v1.mbox"),
                  "--tree", str(kernel_tree))
    assert check_lines(out) == []
    for head in ("CONSTANTS CHANGED BY THE SERIES", "FINDINGS",
                 "IMPACT: DOMAIN_BUS_PCI_DEVICE_IMS", "REVIEW"):
        assert head in out
    assert "msi_lib_init_dev_msi_info" in out


def test_rename_generic_msi_exists(kernel_tree: Path, corpus: Path,
                                   capsys, tmp_path: Path) -> None:
    diff = tmp_path / "rename.diff"
    # A collision: nothing written without --force (issue 13), exit 1.
    rc, out = _run(capsys, "impact", "rename", "DOMAIN_BUS_PCI_DEVICE_IMS",
                   "DOMAIN_BUS_GENERIC_MSI", "--series",
                   str(corpus / "ims-part3-v1.mbox"), "--tree",
                   str(kernel_tree), "--emit-patch", str(diff))
    assert rc == 1 and not diff.exists() and "not written" in out
    _, out = _run(capsys, "impact", "rename", "DOMAIN_BUS_PCI_DEVICE_IMS",
                  "DOMAIN_BUS_GENERIC_MSI", "--series",
                  str(corpus / "ims-part3-v1.mbox"), "--tree",
                  str(kernel_tree), "--emit-patch", str(diff), "--force")
    assert ("DOMAIN_BUS_GENERIC_MSI already exists: value 2,\n"
            "  include/linux/irqdomain_defs.h:15") in out
    assert "27/33 genirq/msi: Provide constants for PCI/IMS support" in out
    assert "+\tcase DOMAIN_BUS_GENERIC_MSI:" in diff.read_text()


def test_invert_pci_msix_lists_every_setter(kernel_tree: Path,
                                            capsys) -> None:
    _, out = _run(capsys, "impact", "invert", "MSI_FLAG_PCI_MSIX",
                  "--tree", str(kernel_tree), "--format", "json")
    data = json.loads(out)
    setters = {r["instance"] for r in data["setters"]}
    # Every instance whose initializer names the flag, directly or via a
    # flag-set macro, found independently with git grep -w.
    res = subprocess.run(
        ["grep", "-rlw", "--include=*.c", "MSI_FLAG_PCI_MSIX",
         str(kernel_tree)], capture_output=True, text=True)
    files = {str(Path(p).relative_to(kernel_tree))
             for p in res.stdout.split()}
    for expected in ("x86_vector_msi_parent_ops", "gic_v3_its_msi_parent_ops",
                     "pnv_msi_domain_info", "hv_pci_msi_domain_info",
                     "xen_pci_msi_domain_info", "dw_pcie_msi_domain_info",
                     "amdvi_msi_parent_ops", "dmar_msi_parent_ops"):
        assert expected in setters
    for r in data["setters"]:
        # The per-device templates are listed by name (issue 13).
        assert r["struct"] in ("msi_domain_info", "msi_parent_ops",
                               "msi_domain_template")
        assert r["sets"] is True
    direct = {r["file"] for r in data["setters"] if "via" not in
              (r["via"] or "")}
    assert direct <= files
    assert len(setters) >= 25
    assert "pci_msix_template" in setters
    assert "pci_msi_template" in {r["instance"] for r in data["others"]}
    # A PCI flag asks nothing of platform-only parents (issue 13).
    left = {r["instance"] for r in data["left_out"]}
    assert {"imx_mu_msi_parent_ops", "sei_msi_parent_ops"} <= left
    assert not left & {r["instance"] for r in data["others"]}
    # WARN_ON_ONCE(info->flags) for DEVICE_MSI children: msi-lib, IMSIC.
    trips = {(t["file"], t["case"]) for t in data["trips"]}
    assert ("drivers/irqchip/irq-msi-lib.c", "DOMAIN_BUS_DEVICE_MSI") in trips
    assert any(f == "drivers/irqchip/irq-riscv-imsic-platform.c"
               for f, _ in trips)
    print(f"{len(setters)} instances set MSI_FLAG_PCI_MSIX")
