"""``impact accept`` at linux 6.12 against a table checked by hand.

Every row below was read in the 6.12 source (Debian linux-source-6.12,
PATCHLENS_KERNEL_TREE); docs/accept-6.12.md gives the reasoning per
row.  Kinds (issue 13): ``child`` -- a parent's decision on a child
domain's token (a switch on the child's ``info->bus_token`` in an
``init_dev_msi_info`` or ``msi_prepare`` callback); ``select`` -- whether
a parent is found by a lookup token (its ``msi_parent_ops``
``bus_select_token`` / ``bus_select_mask``, tested by
``msi_lib_irq_domain_select()`` or IMSIC's private copy).  The
command's rows must equal the table exactly: no row more, none less.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main

pytestmark = pytest.mark.kernel

PCI = "DOMAIN_BUS_PCI_DEVICE_MSI"
PCIX = "DOMAIN_BUS_PCI_DEVICE_MSIX"
DEV = "DOMAIN_BUS_DEVICE_MSI"
WIRED = "DOMAIN_BUS_WIRED_TO_MSI"
NEXUS = "DOMAIN_BUS_NEXUS"
PCI_MSI = "DOMAIN_BUS_PCI_MSI"
PLAT = "DOMAIN_BUS_PLATFORM_MSI"
GENERIC = "DOMAIN_BUS_GENERIC_MSI"

# (a) Child filters: function, file:line of the switch, accepted set
# (token -> condition), otherwise.
CHILD = {
    "x86_msi_prepare": ("arch/x86/kernel/apic/msi.c:182",
                        {PCI: None, PCIX: None}, "-EINVAL"),
    "x86_init_dev_msi_info": ("arch/x86/kernel/apic/msi.c:227",
                              {PCI: None, PCIX: None}, "WARN, false"),
    "its_init_dev_msi_info": ("drivers/irqchip/irq-gic-v3-its-msi-parent.c:168",
                              {PCI: None, PCIX: None, DEV: None, WIRED: None},
                              "WARN, false"),
    "mbi_init_dev_msi_info": ("drivers/irqchip/irq-gic-v3-mbi.c:174",
                              {PCI: None, PCIX: None, DEV: None}, "WARN, false"),
    "msi_lib_init_dev_msi_info": ("drivers/irqchip/irq-msi-lib.c:53",
                                  {PCI: "CONFIG_PCI_MSI",
                                   PCIX: "CONFIG_PCI_MSI", DEV: None,
                                   WIRED: None}, "WARN, false"),
    "imsic_init_dev_msi_info": ("drivers/irqchip/irq-riscv-imsic-platform.c:259",
                                {PCI: "CONFIG_RISCV_IMSIC_PCI",
                                 PCIX: "CONFIG_RISCV_IMSIC_PCI", DEV: None,
                                 WIRED: None}, "WARN, false"),
}

# (b) Lookup selection: instance -> file, its bus_select_token and that
# field's line, the bus_select_mask line (None: no mask) and the mask's
# bits with the configuration each needs (MATCH_PCI_MSI is
# BIT(DOMAIN_BUS_PCI_MSI) only under CONFIG_PCI_MSI in irq-msi-lib.h,
# under CONFIG_RISCV_IMSIC_PCI in IMSIC's own definition).  Otherwise:
# not selected.
MASK_PCI_PLAT = {PCI_MSI: "CONFIG_PCI_MSI", PLAT: None}
SELECT = {
    "gicv2m_msi_parent_ops": ("drivers/irqchip/irq-gic-v2m.c",
                              NEXUS, 263, 264, MASK_PCI_PLAT),
    "gic_v3_its_msi_parent_ops": ("drivers/irqchip/irq-gic-v3-its-msi-parent.c",
                                  NEXUS, 206, 207, MASK_PCI_PLAT),
    "gic_v3_mbi_msi_parent_ops": ("drivers/irqchip/irq-gic-v3-mbi.c",
                                  NEXUS, 204, 205, MASK_PCI_PLAT),
    "imx_mu_msi_parent_ops": ("drivers/irqchip/irq-imx-mu-msi.c",
                              NEXUS, 217, 218, {PLAT: None}),
    "pch_msi_parent_ops": ("drivers/irqchip/irq-loongson-pch-msi.c",
                           NEXUS, 150, 149, {PCI_MSI: "CONFIG_PCI_MSI"}),
    "gicp_msi_parent_ops": ("drivers/irqchip/irq-mvebu-gicp.c",
                            GENERIC, 164, 165, {PLAT: None}),
    "odmi_msi_parent_ops": ("drivers/irqchip/irq-mvebu-odmi.c",
                            GENERIC, 160, 161, {PLAT: None}),
    "sei_msi_parent_ops": ("drivers/irqchip/irq-mvebu-sei.c",
                           GENERIC, 360, 359, {PLAT: None}),
    "imsic_msi_parent_ops": ("drivers/irqchip/irq-riscv-imsic-platform.c",
                             NEXUS, 310, 311,
                             {PCI_MSI: "CONFIG_RISCV_IMSIC_PCI", PLAT: None}),
    "mtk_msi_parent_ops": ("drivers/pci/controller/pcie-mediatek.c",
                           PCI_MSI, 493, None, {}),
}

# Never parents: 2 tests of a domain's own token (the real_parent
# switches of x86_init_dev_msi_info:211 and imsic_init_dev_msi_info:245),
# 2 lookup keys (the IPI match callbacks of irq-mips-gic.c and
# irq-mips-cpu.c), 9 core helpers in kernel/irq/ (msi.c:
# msi_check_reservation_mode, msi_handle_pci_fail,
# msi_device_domain_alloc_wired, msi_device_domain_free_wired;
# irqdomain.c: alloc_name, alloc_fwnode_name, alloc_unknown_name,
# irq_domain_set_name, irq_find_matching_fwspec).
UNLISTED = {"own": 2, "lookup": 2, "core": 9}


def expected_child(token: str) -> list[tuple]:
    rows = []
    for fn, (where, accepted, otherwise) in CHILD.items():
        file, line = where.rsplit(":", 1)
        ok = token in accepted
        rows.append((fn, file, int(line), ok, accepted.get(token),
                     otherwise, sorted(accepted.items())))
    return sorted(rows, key=lambda r: (r[1], r[2]))


def expected_select(token: str) -> list[tuple]:
    rows = []
    for inst, (file, select, token_line, mask_line, mask) in SELECT.items():
        accepted = {select: None, **mask}
        # The line of the decision: the select token's when it is the
        # token (or there is no mask), else the mask's.
        line = token_line if token == select or mask_line is None \
            else mask_line
        rows.append((inst, file, line, token in accepted,
                     accepted.get(token), "not selected",
                     sorted(accepted.items())))
    return sorted(rows, key=lambda r: (r[1], r[2]))


def _rows(records: list[dict]) -> list[tuple]:
    return sorted(((r["function"], r["file"], r["line"], r["with_series"],
                    r["condition"], r["otherwise"],
                    sorted((a["token"], a["condition"]) for a in r["accepted"]))
                   for r in records), key=lambda r: (r[1], r[2]))


@pytest.mark.parametrize("token", [GENERIC, PCIX])
def test_accept_table_at_6_12(token: str, kernel_tree: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["impact", "accept", token, "--tree", str(kernel_tree),
                 "--format", "json"]) == 0
    ans = json.loads(capsys.readouterr().out)
    assert _rows(ans["filters"]) == expected_child(token)
    assert _rows(ans["selections"]) == expected_select(token)
    assert all(r["decides"] == "child" for r in ans["filters"])
    assert all(r["decides"] == "select" for r in ans["selections"])
    assert ans["unlisted"] == UNLISTED
    # 6.12 uses GENERIC_MSI only as a lookup key (hpet.c, io_apic.c), as
    # the Marvell parents' select token and as their inner domains' own
    # token: no child domain carries it.  MSI-X is a child's token.
    assert ans["lookup_only"] is (token == GENERIC)
