"""impact invert on a kernel-shaped tree (issue 13): the "would set
MSI_FLAG_NO_X" list holds only domains to which X means something (a
PCI flag asks nothing of a platform or wired-to-MSI domain: decided from
the bus tokens they serve, profile [[flag_scope]]), names the
per-device templates (pci_msi_template, pci_msix_template, struct
msi_domain_template with a nested .info), warns about WARN_ON_ONCE on a
flags field, and cites the line of the field, not of the structure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from patchlens.cli import main

TEMPLATES = """\
// SPDX-License-Identifier: GPL-2.0
/*
 * Per device PCI MSI domains start from these templates.
 */
#include <linux/msi.h>

struct msi_domain_template {
	char			name[48];
	struct msi_domain_info	info;
};

static const struct msi_domain_template pci_msi_template = {
	.name = "PCI-MSI",

	.info = {
		.flags		= MSI_FLAG_USE_DEF_DOM_OPS |
				  MSI_FLAG_MULTI_PCI_MSI,
		.bus_token	= DOMAIN_BUS_PCI_DEVICE_MSI,
	},
};

static const struct msi_domain_template pci_msix_template = {
	.name = "PCI-MSIX",

	.info = {
		.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_PCI_MSIX,
		.bus_token	= DOMAIN_BUS_PCI_DEVICE_MSIX,
	},
};

int pci_setup_msix_domain(struct device *dev)
{
	if (!msi_domain_supports(dev, MSI_FLAG_PCI_MSIX))
		return -1;
	return 0;
}
"""

PLATFORM_PARENT = """\
// SPDX-License-Identifier: GPL-2.0
/*
 * A parent that only serves platform devices.
 */
#include <linux/msi.h>

#define PLAT_CHILD_MASK		BIT(DOMAIN_BUS_PLATFORM_MSI)

static const struct msi_parent_ops plat_msi_parent_ops = {
	.prefix			= "PLAT-",
	.supported_flags	= MSI_GENERIC_FLAGS_MASK,
	.required_flags		= MSI_FLAG_USE_DEF_DOM_OPS,
	.bus_select_token	= DOMAIN_BUS_NEXUS,
	.bus_select_mask	= PLAT_CHILD_MASK,
};
"""

WIRED = """\
// SPDX-License-Identifier: GPL-2.0
/*
 * Wired interrupts converted to messages.
 */
#include <linux/msi.h>

static struct msi_domain_info wired_msi_info = {
	.bus_token	= DOMAIN_BUS_WIRED_TO_MSI,
	.flags		= MSI_FLAG_USE_DEF_DOM_OPS,
};
"""

# A PCI host controller's own MSI domain (no bus token in its info: it
# is a PCI domain by the PCI flags it carries).
HOST = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/msi.h>

static struct msi_domain_info host_msi_info = {
	.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_PCI_MSIX,
};

static struct msi_domain_info host_legacy_info = {
	.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_MULTI_PCI_MSI,
};

/* Its bus token is set at run time: its kind cannot be read here. */
static struct msi_domain_info timer_msi_info = {
	.flags		= MSI_FLAG_USE_DEF_DOM_OPS,
};
"""

# The library's DEVICE_MSI children must come without any flag.
DEVICE_MSI_CASE = """\
	case DOMAIN_BUS_DEVICE_MSI:
		/* A per device domain is a dumb chip: no flag has a meaning. */
		if (WARN_ON_ONCE(info->flags))
			return false;
		break;
"""


@pytest.fixture
def tree(fixtures_dir: Path, tmp_path: Path) -> Path:
    t = tmp_path / "tree"
    shutil.copytree(fixtures_dir / "demo" / "tree", t)
    (t / "drivers/pci/msi/irqdomain.c").write_text(TEMPLATES)
    (t / "drivers/irqchip/irq-plat-msi.c").write_text(PLATFORM_PARENT)
    (t / "drivers/irqchip/irq-wired-msi.c").write_text(WIRED)
    (t / "drivers/pci/controller").mkdir(parents=True)
    (t / "drivers/pci/controller/pcie-host.c").write_text(HOST)
    lib = t / "drivers/irqchip/irq-demo-msi-lib.c"
    text = lib.read_text()
    old = "\tcase DOMAIN_BUS_DEVICE_MSI:\n\t\tbreak;\n"
    assert old in text
    lib.write_text(text.replace(old, DEVICE_MSI_CASE))
    return t


def _line(path: Path, needle: str, after: str = "") -> int:
    lines = path.read_text().split("\n")
    start = next(i for i, l in enumerate(lines) if after in l) if after else 0
    return next(i for i, l in enumerate(lines) if i >= start
                and needle in l) + 1


def _invert(capsys, tree: Path, flag: str) -> dict:
    assert main(["impact", "invert", flag, "--tree", str(tree),
                 "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_pci_flag_asks_only_pci_domains(tree: Path, capsys) -> None:
    data = _invert(capsys, tree, "MSI_FLAG_PCI_MSIX")
    assert data["scope"] == "PCI"
    setters = {r["instance"] for r in data["setters"]}
    others = {r["instance"] for r in data["others"]}
    left = {r["instance"]: r["via"] for r in data["left_out"]}
    assert {"pci_msix_template", "host_msi_info"} <= setters
    # A PCI host domain is one by the PCI flags it carries.
    assert "host_legacy_info" in others
    # The MSI template is named: it would have to set the inverse.
    assert "pci_msi_template" in others
    # A platform-only parent and a wired-to-MSI domain are left out.
    assert "plat_msi_parent_ops" not in others
    assert "wired_msi_info" not in others
    assert left["plat_msi_parent_ops"] == "serves DOMAIN_BUS_NEXUS, " \
        "DOMAIN_BUS_PLATFORM_MSI"
    assert left["wired_msi_info"] == "serves DOMAIN_BUS_WIRED_TO_MSI"
    # No token, no PCI flag: kept, and said.
    timer = next(r for r in data["others"]
                 if r["instance"] == "timer_msi_info")
    assert timer["via"].startswith("kind unknown")


def test_rows_cite_the_field_line(tree: Path, capsys) -> None:
    data = _invert(capsys, tree, "MSI_FLAG_PCI_MSIX")
    rows = {r["instance"]: r for r in (*data["setters"], *data["others"])}
    tmpl = tree / "drivers/pci/msi/irqdomain.c"
    assert rows["pci_msix_template"]["line"] == _line(
        tmpl, ".flags", "pci_msix_template")
    assert rows["pci_msix_template"]["via"] == ".info.flags"
    # Where the inverse would go: the same field as the setters'.
    assert rows["pci_msi_template"]["line"] == _line(
        tmpl, ".flags", "pci_msi_template")
    lib = tree / "drivers/irqchip/irq-demo-msi-lib.c"
    assert rows["demo_gic_msi_parent_ops"]["line"] == _line(
        lib, ".supported_flags")


def test_warn_on_flags_is_a_trip(tree: Path, capsys) -> None:
    data = _invert(capsys, tree, "MSI_FLAG_PCI_MSIX")
    [trip] = data["trips"]
    lib = tree / "drivers/irqchip/irq-demo-msi-lib.c"
    assert trip["file"] == "drivers/irqchip/irq-demo-msi-lib.c"
    assert trip["line"] == _line(lib, "WARN_ON_ONCE(info->flags)")
    assert trip["condition"] == "info->flags"
    assert trip["case"] == "DOMAIN_BUS_DEVICE_MSI"
    assert trip["function"] == "demo_msi_lib_init_dev_msi_info"
    main(["impact", "invert", "MSI_FLAG_PCI_MSIX", "--tree", str(tree)])
    out = capsys.readouterr().out
    assert "run-time checks any new flag trips (1)" in out
    assert "WARN on info->flags" in out
    assert "irq-demo-msi-lib.c:%d for DOMAIN_BUS_DEVICE_MSI" % trip["line"] \
        in out
    assert "left out: MSI_FLAG_PCI_MSIX means nothing to them" in out


def test_a_generic_flag_has_no_scope(tree: Path, capsys) -> None:
    data = _invert(capsys, tree, "MSI_FLAG_USE_DEF_DOM_OPS")
    assert data["scope"] is None and data["left_out"] == []
