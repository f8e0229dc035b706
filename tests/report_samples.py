"""A hand-built Report shaped like the IMS story, for renderer tests."""

from __future__ import annotations

from patchlens.findings import Finding, Severity
from patchlens.impact.model import (
    AcceptAnswer, Advertiser, Application, ConstantChange, FilterVerdict,
    Impact, InstanceRow, InvertAnswer, PatchApplied, PatchDiff,
    RenameAnswer, Report, ReviewNote, SeriesDiff, SeriesInfo, Site,
    SubsystemUse,
)

LONG = ("an_extraordinarily_long_function_name_that_would_never_fit_"
        "in_a_seventy_two_column_line_of_a_mail_reply")


def sample_report() -> Report:
    series = SeriesInfo(
        title="[patch 00/33] genirq, PCI/MSI: Support for per device MSI "
              "and PCI/IMS - Part 3 implementation",
        author="Thomas Gleixner <tglx@linutronix.de>", date="2022-11-11",
        revision=1, revision_reason="only revision in the thread", total=33,
        present=tuple(i for i in range(1, 34)
                      if i not in (16, 20, 21, 28, 33)),
        missing=(16, 20, 21, 28, 33), replies=9, base_commit=None,
        tree="linux-6.12 (directory)", tree_reason="--tree",
        source="ims-part3-v1.mbox", warnings=("J\u00f6rg's reply: no anchor",))
    app = Application((
        PatchApplied("27/33", "genirq/msi: Provide constants for PCI/IMS "
                     "support", hunks=3, clean=2, failed=1,
                     notes=("include/linux/msi.h: hunk 1 failed; nearest "
                            "at line 546 (2 of 6 lines differ)",)),
        PatchApplied("26/33", "x86/apic/msi: Enable MSI_FLAG_PCI_MSIX_"
                     "ALLOC_DYN", hunks=1, fuzz=1)))
    consts = (
        ConstantChange("bus token", "bus_token", "DOMAIN_BUS_PCI_DEVICE_IMS",
                       "added", None, 15, patch="27/33",
                       file="include/linux/irqdomain_defs.h", line=28),
        ConstantChange("bus token", "bus_token", "DOMAIN_BUS_DEVICE_MSI",
                       "shifted", 15, 16, patch="27/33", marks=("shift",)),
        ConstantChange("MSI flag", "msi_flag", "MSI_FLAG_PCI_IMS", "added",
                       None, 1 << 21, bit=True, patch="27/33",
                       file="include/linux/msi.h", line=548,
                       marks=("collision",)),
    )
    findings = (
        Finding("bit-collision", Severity.ERROR,
                "MSI_FLAG_PCI_IMS takes bit 21, which the tree gives "
                "MSI_FLAG_NO_AFFINITY", "include/linux/msi.h", 548, "27/33",
                "MSI_FLAG_PCI_IMS", ("MSI_FLAG_NO_AFFINITY = (1 << 21) at "
                                     "include/linux/msi.h:548",)),
        Finding("enum-shift", Severity.WARNING,
                "DOMAIN_BUS_DEVICE_MSI moves from 15 to 16",
                "include/linux/irqdomain_defs.h", 28, "27/33"),
        Finding("unchecked-flag", Severity.CHECK,
                "nothing checks MSI_FLAG_PCI_IMS", None, None, "27/33",
                "MSI_FLAG_PCI_IMS"),
    )
    sites = (
        Site("DOMAIN_BUS_PCI_DEVICE_IMS", "check",
             "arch/x86/kernel/apic/msi.c", 227, "x86_init_dev_msi_info",
             "X86 ARCHITECTURE (32-BIT AND 64-BIT)", "30/33"),
        Site("DOMAIN_BUS_PCI_DEVICE_IMS", "set",
             "drivers/pci/msi/irqdomain.c", 400, LONG, "PCI MSI", "29/33"),
    )
    impacts = (
        Impact("DOMAIN_BUS_PCI_DEVICE_IMS", "bus token", "new bus token, 15",
               uses=(SubsystemUse("X86 ARCHITECTURE (32-BIT AND 64-BIT)",
                                  ("Thomas Gleixner <tglx@linutronix.de>",),
                                  sites[:1]),
                     SubsystemUse("PCI MSI", (), sites[1:])),
               neighbours=("DOMAIN_BUS_AMDVI", "DOMAIN_BUS_DEVICE_MSI"),
               filters=(FilterVerdict("x86_init_dev_msi_info",
                                      "arch/x86/kernel/apic/msi.c", 227,
                                      "X86", False, True, "30/33",
                                      "WARN, false"),
                        FilterVerdict("msi_lib_init_dev_msi_info",
                                      "drivers/irqchip/irq-msi-lib.c", 53,
                                      "IRQCHIP", False, False, None,
                                      "WARN, false"))),
        Impact("MSI_FLAG_PCI_IMS", "MSI flag", "new flag, bit 21",
               advertisers=(Advertiser("x86_vector_msi_parent_ops",
                                       "msi_parent_ops", "supported_flags",
                                       "arch/x86/kernel/apic/vector.c", 1, "X86",
                                       "X86_VECTOR_MSI_FLAGS_SUPPORTED",
                                       False, True, "30/33"),)),
    )
    notes = (ReviewNote("Jason Gunthorpe <jgg@nvidia.com>", "27/33",
                        "include/linux/irqdomain_defs.h", 28,
                        ("+\tDOMAIN_BUS_PCI_DEVICE_IMS,",),
                        "I don't think we should call this IMS.. GENERIC "
                        "maybe?", ("DOMAIN_BUS_PCI_DEVICE_IMS",),
                        ("rename to DOMAIN_BUS_GENERIC_MSI: name exists "
                         "(value 2, include/linux/irqdomain_defs.h:15)",)),)
    return Report(series, app, consts, findings, impacts, sites, notes)


def sample_answers() -> list[object]:
    site = Site("X", "check", "kernel/irq/msi.c", 10, LONG, "IRQ")
    row = InstanceRow("pci_msix_template", "msi_domain_info",
                      "drivers/pci/msi/irqdomain.c", 12, "PCI MSI", True,
                      "flags")
    return [
        RenameAnswer("DOMAIN_BUS_PCI_DEVICE_IMS", "DOMAIN_BUS_GENERIC_MSI",
                     "bus token", 15, (site,), (site,),
                     ("DOMAIN_BUS_GENERIC_MSI exists: value 2, include/"
                      "linux/irqdomain_defs.h:15",),
                     (("27/33", "genirq/msi: Provide constants", 1),)),
        InvertAnswer("MSI_FLAG_PCI_MSIX", "MSI_FLAG_NO_PCI_MSIX", (row,),
                     (row,), (site,), (site,), (site,)),
        AcceptAnswer("DOMAIN_BUS_WIDGET_IMS", 8, "patch 1/4",
                     (FilterVerdict(LONG, "a.c", 3, "IRQ", False, True, "2/4",
                                    "WARN, false"),)),
        SeriesDiff("v1", "v2", (("MSI_FLAG_PCI_IMS", "bit 21", "bit 22"),),
                   (PatchDiff("27/33", "26/33", "genirq/msi: Provide "
                              "constants for PCI/IMS support",
                              ("MSI_FLAG_PCI_IMS: bit 21 -> bit 22",)),)),
    ]
