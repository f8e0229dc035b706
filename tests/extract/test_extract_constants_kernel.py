"""Constant families on real trees (Debian linux-source) and real mail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchlens.extract.constants import extract_constants
from tests.checks.helpers import checked_history
from patchlens.extract.profile import load_profile
from patchlens.mail import read_series
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series

PROFILE = load_profile(None)


def header_enum(path: Path, tag: str) -> list[str]:
    """Enumerator names of ``enum tag`` read with a plain regex, to check
    the extractor against the header itself."""
    text = path.read_text()
    body = re.search(r"enum " + tag + r" \{(.*?)\};", text, re.S).group(1)
    return re.findall(r"^\s*([A-Z][A-Z0-9_]+)", body, re.M)


def header_flags(path: Path) -> dict[str, int]:
    text = path.read_text()
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^\s*(MSI_FLAG_\w+)\s*=\s*\(1 << (\d+)\),", text, re.M)}


@pytest.mark.kernel
def test_612_values(kernel_tree: Path) -> None:
    table = extract_constants(open_tree(str(kernel_tree), None), PROFILE)
    names = header_enum(kernel_tree / "include/linux/irqdomain_defs.h",
                        "irq_domain_bus_token")
    assert len(names) == 17
    toks = table.by_family("bus_token")
    assert [c.name for c in toks] == names
    assert [c.value.value for c in toks] == list(range(17))
    assert table.get("DOMAIN_BUS_ANY").value.value == 0
    assert toks[0].file == "include/linux/irqdomain_defs.h"
    flags = header_flags(kernel_tree / "include/linux/msi.h")
    got = {c.name: c.bit for c in table.by_family("msi_flag") if not c.is_set}
    assert got == flags
    assert got["MSI_FLAG_PCI_MSIX"] == 17
    assert got["MSI_FLAG_NO_AFFINITY"] == 21
    assert table.get("MSI_GENERIC_FLAGS_MASK").value.value == 0xFFFF
    assert table.get("MSI_DOMAIN_FLAGS_MASK").value.value == 0xFFFF0000
    assert table.get("MSI_MAX_DEVICE_IRQDOMAINS").value.value == 1
    # Found by content, not by parsing the tree: a handful of headers.
    assert len(table.files) < 20


@pytest.mark.kernel
@pytest.mark.corpus
def test_612_ims_series(kernel_tree: Path, corpus: Path) -> None:
    series = read_series(str(corpus / "ims-part3-v1.mbox"))
    applied = apply_series(open_tree(str(kernel_tree), None), series)
    h = checked_history(applied, series, PROFILE)
    coll = [f for f in h.hazards if f.code == "bit-collision"
            and f.subject == "MSI_FLAG_PCI_IMS"]
    assert len(coll) == 1
    assert "MSI_FLAG_NO_AFFINITY" in coll[0].message and "bit 21" in coll[0].message
    assert coll[0].patch == "27/33" and coll[0].file == "include/linux/msi.h"
    # The new bus token lands after DOMAIN_BUS_AMDVI; the ones after shift.
    ims = h.final.get("DOMAIN_BUS_PCI_DEVICE_IMS")
    assert ims.value.value == 15 and ims.after == "DOMAIN_BUS_AMDVI"
    shifts = {f.subject for f in h.hazards if f.code == "enum-shift"}
    assert {"DOMAIN_BUS_DEVICE_MSI", "DOMAIN_BUS_WIRED_TO_MSI"} <= shifts
    grow = next(f for f in h.hazards if f.code == "array-growth")
    assert grow.file == "kernel/irq/msi.c" and grow.patch == "27/33"
    assert "+24 bytes" in grow.message and "'8bytes'" in grow.message
    assert any("struct xarray: 16" in d for d in grow.detail)


@pytest.mark.kernel
@pytest.mark.corpus
def test_61_enum_in_irqdomain_h_and_patch_only(kernel_tree_6_1: Path,
                                               corpus: Path) -> None:
    tree = open_tree(str(kernel_tree_6_1), None)
    table = extract_constants(tree, PROFILE)
    toks = table.by_family("bus_token")
    assert toks and {c.file for c in toks} == {"include/linux/irqdomain.h"}
    assert table.get("DOMAIN_BUS_VMD_MSI").value.value == 10
    series = read_series(str(corpus / "ims-part3-v1.mbox"))
    h = checked_history(apply_series(tree, series), series, PROFILE)
    assert "include/linux/irqdomain_defs.h" in h.missing_files
    assert "include/linux/msi_api.h" in h.missing_files
    # Patch-only values: 11/33 adds after DOMAIN_BUS_VMD_MSI (in the 6.1
    # enum, found by its tag), 27/33's flag is explicit, and msi_api.h's
    # hunk shows the enum's opening line.
    assert h.final.get("DOMAIN_BUS_PCI_DEVICE_MSI").value.value == 11
    assert h.final.get("MSI_FLAG_PCI_IMS").bit == 21
    assert h.final.get("MSI_SECONDARY_DOMAIN").value.value == 1
    assert h.final.get("MSI_FLAG_PCI_IMS").origin.startswith("patch-only")


@pytest.mark.corpus
def test_seed_text_alone(corpus: Path) -> None:
    series = read_series(str(corpus / "seed-reply-27-33.txt"))
    tree = open_tree(None, None, no_tree=True)
    h = checked_history(apply_series(tree, series), series, PROFILE)
    ims = h.final.get("DOMAIN_BUS_PCI_DEVICE_IMS")
    assert ims is not None and ims.after == "DOMAIN_BUS_AMDVI"
    flag = h.final.get("MSI_FLAG_PCI_IMS")
    assert flag.bit == 21 and flag.after == "MSI_FLAG_PCI_MSIX_ALLOC_DYN"
    assert [s.label for s in h.steps] == ["base", "27/33"]
