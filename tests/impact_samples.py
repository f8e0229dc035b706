"""Hand-built Facts shaped like the demo series (fixtures/demo)."""

from __future__ import annotations

from patchlens.impact.facts import ConstantAt, Facts, Instance, FilterPath
from patchlens.impact.model import Site

BUS = ["DOMAIN_BUS_ANY", "DOMAIN_BUS_WIRED", "DOMAIN_BUS_GENERIC_MSI",
       "DOMAIN_BUS_PCI_MSI", "DOMAIN_BUS_PLATFORM_MSI", "DOMAIN_BUS_NEXUS",
       "DOMAIN_BUS_PCI_DEVICE_MSI", "DOMAIN_BUS_PCI_DEVICE_MSIX",
       "DOMAIN_BUS_DEVICE_MSI", "DOMAIN_BUS_WIRED_TO_MSI"]
FLAGS = {"MSI_FLAG_USE_DEF_DOM_OPS": 0, "MSI_FLAG_PCI_MSIX": 17,
         "MSI_FLAG_NO_MASK": 19}
H = "include/linux/irqdomain_defs.h"


def _bus(names: list[str]) -> dict[str, ConstantAt]:
    return {n: ConstantAt(n, "bus_token", "bus token", i, False, H, 11 + i)
            for i, n in enumerate(names)}


def _flags(extra: dict[str, int]) -> dict[str, ConstantAt]:
    out = {}
    for i, (n, b) in enumerate({**FLAGS, **extra}.items()):
        out[n] = ConstantAt(n, "msi_flag", "MSI flag", 1 << b, True,
                          "include/linux/msi.h", 30 + i)
    return out


def _ids(secondary: bool) -> dict[str, ConstantAt]:
    names = ["MSI_DEFAULT_DOMAIN"] + (["MSI_SECONDARY_DOMAIN"] if secondary
                                      else []) + ["MSI_MAX_DEVICE_IRQDOMAINS"]
    return {n: ConstantAt(n, "domain_id", "domain id", i, False,
                        "include/linux/msi_api.h", 12 + i)
            for i, n in enumerate(names)}


def demo_facts() -> Facts:
    new_bus = BUS[:8] + ["DOMAIN_BUS_WIDGET_IMS"] + BUS[8:]
    s0 = {**_bus(BUS), **_flags({}), **_ids(False)}
    s1 = {**_bus(new_bus), **_flags({}), **_ids(False)}
    s2 = dict(s1)
    s3 = {**_bus(new_bus), **_flags({"MSI_FLAG_WIDGET_IMS": 19}),
          **_ids(True)}
    lib = "drivers/irqchip/irq-demo-msi-lib.c"
    arch = "arch/demo/kernel/msi.c"
    accepted = frozenset(BUS[6:9])
    base_filters = (
        FilterPath("demo_msi_lib_init_dev_msi_info", lib, 15, "IRQCHIP",
                    accepted, "WARN, false", "switch", "warn"),
        FilterPath("demo_arch_init_dev_msi_info", arch, 16, "ARCH",
                    frozenset(BUS[6:8]), "false", "if"))
    filters = (
        FilterPath("demo_msi_lib_init_dev_msi_info", lib, 15, "IRQCHIP",
                    accepted | {"DOMAIN_BUS_WIDGET_IMS"}, "WARN, false",
                    "switch", "warn"),
        base_filters[1])
    pci = "drivers/pci/msi/irqdomain.c"
    msix = Instance("pci_msix_template", "msi_domain_info", pci, 12, "PCI",
                    {"flags": frozenset({"MSI_FLAG_USE_DEF_DOM_OPS",
                                         "MSI_FLAG_PCI_MSIX"}),
                     "bus_token": frozenset({"DOMAIN_BUS_PCI_DEVICE_MSIX"})})
    msi = Instance("pci_msi_template", "msi_domain_info", pci, 7, "PCI",
                   {"flags": frozenset({"MSI_FLAG_USE_DEF_DOM_OPS"}),
                    "bus_token": frozenset({"DOMAIN_BUS_PCI_DEVICE_MSI"})})
    arch_ops = Instance("demo_arch_msi_parent_ops", "msi_parent_ops", arch,
                        24, "ARCH",
                        {"supported_flags": frozenset({"MSI_FLAG_PCI_MSIX"})},
                        {"supported_flags": {
                            "MSI_FLAG_PCI_MSIX": "DEMO_ARCH_MSI_FLAGS_SUPPORTED"}})
    gic_base = Instance("demo_gic_msi_parent_ops", "msi_parent_ops", lib, 31,
                        "IRQCHIP",
                        {"supported_flags": frozenset({"MSI_FLAG_PCI_MSIX"})},
                        {"supported_flags": {
                            "MSI_FLAG_PCI_MSIX": "DEMO_MSI_LIB_FLAGS"}})
    gic = Instance("demo_gic_msi_parent_ops", "msi_parent_ops", lib, 34,
                   "IRQCHIP",
                   {"supported_flags": frozenset({"MSI_FLAG_PCI_MSIX",
                                                  "MSI_FLAG_WIDGET_IMS"})},
                   {"supported_flags": {
                       "MSI_FLAG_PCI_MSIX": "DEMO_MSI_LIB_FLAGS",
                       "MSI_FLAG_WIDGET_IMS": "DEMO_MSI_LIB_FLAGS"}})
    widget = Instance("widget_ims_info", "msi_domain_info",
                      "drivers/misc/widget/widget-ims.c", 7, "WIDGET",
                      {"flags": frozenset({"MSI_FLAG_USE_DEF_DOM_OPS",
                                           "MSI_FLAG_WIDGET_IMS"}),
                       "bus_token": frozenset({"DOMAIN_BUS_WIDGET_IMS"})},
                      patch="4/4")
    sites = (
        Site("DOMAIN_BUS_WIDGET_IMS", "define", H, 19, None, "IRQ", "1/4"),
        Site("DOMAIN_BUS_WIDGET_IMS", "check", lib, 22,
             "demo_msi_lib_init_dev_msi_info", "IRQCHIP", "2/4"),
        Site("DOMAIN_BUS_WIDGET_IMS", "set",
             "drivers/misc/widget/widget-ims.c", 9, "widget_ims_info",
             "WIDGET", "4/4"),
        Site("MSI_FLAG_PCI_MSIX", "check", pci, 26, "pci_setup_msix_domain",
             "PCI"),
        Site("MSI_FLAG_PCI_MSIX", "set", arch, 19,
             "demo_arch_init_dev_msi_info", "ARCH"),
        Site("MSI_FLAG_PCI_MSIX", "set", pci, 13, "pci_msix_template", "PCI"),
        Site("MSI_FLAG_PCI_MSIX", "compose", arch, 9,
             "DEMO_ARCH_MSI_FLAGS_SUPPORTED", "ARCH"),
        Site("MSI_FLAG_WIDGET_IMS", "set",
             "drivers/misc/widget/widget-ims.c", 8, "widget_ims_info",
             "WIDGET", "4/4"),
    )
    mentions = (Site("DOMAIN_BUS_DEVICE_MSI", "doc",
                     "Documentation/core-api/demo-msi.rst", 9),)
    added = {
        ("1/4", H): ("\tDOMAIN_BUS_WIDGET_IMS,",),
        ("2/4", lib): ("\tcase DOMAIN_BUS_WIDGET_IMS:",
                       "\t\trequired = MSI_FLAG_WIDGET_IMS;", "\t\tbreak;"),
        ("2/4", "drivers/irqchip/irq-demo-msi-lib.h"): (
            "\t\t\t\t MSI_FLAG_WIDGET_IMS)",),
        ("3/4", "include/linux/msi.h"): ("\tMSI_FLAG_WIDGET_IMS = (1 << 19),",),
        ("3/4", "include/linux/msi_api.h"): ("\tMSI_SECONDARY_DOMAIN,",),
        ("4/4", "drivers/misc/widget/widget-ims.c"): (
            "\t.bus_token\t= DOMAIN_BUS_WIDGET_IMS,",),
    }
    return Facts(
        states=(s0, s1, s2, s3, s3), labels=("1/4", "2/4", "3/4", "4/4"),
        base_sites=sites[3:7], sites=sites, mentions=mentions,
        base_instances=(msi, msix, arch_ops, gic_base),
        instances=(msi, msix, arch_ops, gic, widget),
        base_filters=base_filters, filters=filters,
        flagsets={"DEMO_ARCH_MSI_FLAGS_SUPPORTED": frozenset(
            {"MSI_FLAG_PCI_MSIX"}), "DEMO_MSI_LIB_FLAGS": frozenset(
            {"MSI_FLAG_PCI_MSIX", "MSI_FLAG_WIDGET_IMS"})},
        maintainers={"IRQCHIP": ("Ira Chipwright <ira@example.org>",)},
        field_meaning={("msi_domain_info", "flags"): "sets",
                       ("msi_domain_info", "bus_token"): "sets",
                       ("msi_parent_ops", "supported_flags"): "supports",
                       ("msi_parent_ops", "bus_select_mask"): "supports"},
        added=added)
