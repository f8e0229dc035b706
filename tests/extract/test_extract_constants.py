"""Constant families on the fixture tree: values, history, hazards."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from patchlens.extract.constants import extract_constants, scan_flag_sets
from patchlens.checks import table_findings as table_hazards
from patchlens.extract.profile import load_profile
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series
from patchlens.tree.empty import EmptyTree
from patchlens.tree.overlay import OverlayTree
from tests.checks.helpers import checked_history
from tests.tree_helpers import make_series

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "tree"
PROFILE = load_profile(None)


@pytest.fixture(scope="module")
def tree():
    return open_tree(str(TREE), None)


@pytest.fixture(scope="module")
def table(tree):
    return extract_constants(tree, PROFILE)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


# -- values ------------------------------------------------------------------

def test_bus_tokens_implicit_values(table) -> None:
    toks = table.by_family("bus_token")
    assert [(c.name, c.value.value) for c in toks] == [
        ("DOMAIN_BUS_ANY", 0), ("DOMAIN_BUS_WIRED", 1), ("DOMAIN_BUS_PCI_MSI", 2),
        ("DOMAIN_BUS_NEXUS", 3), ("DOMAIN_BUS_PCI_DEVICE_MSIX", 4),
        ("DOMAIN_BUS_AMDVI", 5), ("DOMAIN_BUS_DEVICE_MSI", 6)]
    assert toks[0].implicit is False and toks[1].implicit is True
    assert toks[2].after == "DOMAIN_BUS_WIRED" and toks[2].position == 2
    assert toks[0].file == "include/linux/irqdomain_defs.h" and toks[0].line == 8


def test_msi_flag_value_forms(table) -> None:
    bits = {c.name: c.bit for c in table.by_family("msi_flag") if not c.is_set}
    assert bits == {
        "MSI_FLAG_USE_DEF_DOM_OPS": 0,      # (1 << 0)
        "MSI_FLAG_USE_DEF_CHIP_OPS": 1,     # BIT(1)
        "MSI_FLAG_ACTIVATE_EARLY": 2,       # 0x4U
        "MSI_FLAG_MUST_REACTIVATE": 3,      # 010 (octal)
        "MSI_FLAG_DEV_SYSFS": 4,            # (u32)(1UL << 4)
        "MSI_FLAG_OLD_NAME": 5,             # earlier enumerator << 1
        "MSI_FLAG_FROM_MACRO": 6,           # macro using a macro
        "MSI_FLAG_MULTI_PCI_MSI": 16, "MSI_FLAG_PCI_MSIX": 17,  # BIT_ULL
        "MSI_FLAG_LEVEL_CAPABLE": 18,       # (earlier << 1)
        "MSI_FLAG_NO_AFFINITY": 21,
        "MSI_FLAG_NO_MASK": 22,             # one bit despite "_MASK"
        "MSI_FLAG_NOT_KNOWN": None,
    }
    masks = {c.name: c.value.value for c in table.by_family("msi_flag") if c.is_set}
    assert masks == {"MSI_GENERIC_FLAGS_MASK": 0xFFFF,
                     "MSI_DOMAIN_FLAGS_MASK": 0xFFFF0000}
    unknown = table.get("MSI_FLAG_NOT_KNOWN")
    assert unknown.kind == "macro" and "MSI_DEMO_ELSEWHERE" in unknown.value.reason
    assert table.get("MSI_FLAG_PCI_MSIX").condition == "CONFIG_GENERIC_MSI_IRQ"


def test_only_candidate_files_are_parsed(table) -> None:
    assert set(table.files) == {"include/linux/irqdomain_defs.h",
                                "include/linux/msi.h", "include/linux/msi_api.h"}
    assert table.get("MSI_DEFAULT_DOMAIN").value.value == 0
    assert table.get("MSI_MAX_DEVICE_IRQDOMAINS").value.value == 1


def test_base_tree_has_no_hazards(table) -> None:
    assert table_hazards(table, PROFILE) == []


def test_flag_sets_resolved_with_alternatives_and_cycles(tree, table) -> None:
    sets = scan_flag_sets(tree, table, PROFILE)
    vec = [f for f in sets if f.name == "X86_VECTOR_MSI_FLAGS_SUPPORTED"]
    by_cond = {f.condition: set(f.members) for f in vec}
    generic = {"MSI_FLAG_USE_DEF_DOM_OPS", "MSI_FLAG_USE_DEF_CHIP_OPS",
               "MSI_FLAG_ACTIVATE_EARLY", "MSI_FLAG_MUST_REACTIVATE",
               "MSI_FLAG_DEV_SYSFS", "MSI_FLAG_OLD_NAME", "MSI_FLAG_FROM_MACRO"}
    assert by_cond == {
        "CONFIG_X86_DEMO_MULTI": generic | {"MSI_FLAG_PCI_MSIX",
                                            "MSI_FLAG_MULTI_PCI_MSI"},
        "!CONFIG_X86_DEMO_MULTI": generic | {"MSI_FLAG_PCI_MSIX"}}
    nested = next(f for f in sets if f.name == "X86_DEMO_ALL_FLAGS")
    assert "MSI_FLAG_LEVEL_CAPABLE" in nested.members
    assert "MSI_FLAG_PCI_MSIX" in nested.members
    cyc = next(f for f in sets if f.name == "X86_DEMO_CYCLE_A")
    assert set(cyc.members) == {"MSI_FLAG_PCI_MSIX", "MSI_FLAG_NO_MASK"}
    assert cyc.unresolved == ("X86_DEMO_CYCLE_A",)


# -- history and hazards -------------------------------------------------

BUS_IMS = """\
--- a/include/linux/irqdomain_defs.h
+++ b/include/linux/irqdomain_defs.h
@@ -12,4 +12,5 @@ enum irq_domain_bus_token {
 	DOMAIN_BUS_PCI_DEVICE_MSIX,
 	DOMAIN_BUS_AMDVI,
+	DOMAIN_BUS_PCI_DEVICE_IMS,
 	DOMAIN_BUS_DEVICE_MSI,
 };
"""

FLAG_IMS = """\
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -35,3 +35,4 @@ enum {
 	MSI_FLAG_LEVEL_CAPABLE		= (MSI_FLAG_PCI_MSIX << 1),
+	MSI_FLAG_PCI_IMS		= (1 << 21),
 	MSI_FLAG_NO_AFFINITY		= (1 << 21),
 	MSI_FLAG_NO_MASK		= (1 << 22),
"""

SECONDARY = """\
--- a/include/linux/msi_api.h
+++ b/include/linux/msi_api.h
@@ -7,5 +7,6 @@
 enum msi_domain_ids {
 	MSI_DEFAULT_DOMAIN,
+	MSI_SECONDARY_DOMAIN,
 	MSI_MAX_DEVICE_IRQDOMAINS,
 };
 
"""


def history_of(tree, *diffs: str, messages: dict[int, str] | None = None):
    series = make_series(*diffs)
    if messages:
        series = replace(series, patches=tuple(
            replace(p, commit_message=messages.get(p.index, ""))
            for p in series.patches))
    applied = apply_series(tree, series)
    return checked_history(applied, series, PROFILE)


def test_history_values_and_changes(tree) -> None:
    h = history_of(tree, BUS_IMS, FLAG_IMS, SECONDARY)
    assert [s.label for s in h.steps] == ["base", "1/3", "2/3", "3/3"]
    assert h.values("DOMAIN_BUS_PCI_DEVICE_IMS")[0][1] is None
    assert [v.value for _, v in h.values("DOMAIN_BUS_PCI_DEVICE_IMS")[1:]] == [6, 6, 6]
    assert [v.value for _, v in h.values("DOMAIN_BUS_DEVICE_MSI")] == [6, 7, 7, 7]
    acts = {(c.name, c.action, c.patch) for c in h.changes}
    assert ("DOMAIN_BUS_PCI_DEVICE_IMS", "added", "1/3") in acts
    assert ("DOMAIN_BUS_DEVICE_MSI", "changed", "1/3") in acts
    assert ("MSI_FLAG_PCI_IMS", "added", "2/3") in acts
    assert ("MSI_MAX_DEVICE_IRQDOMAINS", "changed", "3/3") in acts
    assert h.patch_only == () and h.missing_files == ()


def test_enum_shift(tree) -> None:
    h = history_of(tree, BUS_IMS)
    shifts = [f for f in h.hazards if f.code == "enum-shift"]
    assert len(shifts) == 1
    f = shifts[0]
    assert f.subject == "DOMAIN_BUS_DEVICE_MSI" and "6 -> 7" in f.message
    assert f.patch == "1/1" and f.file == "include/linux/irqdomain_defs.h"
    assert f.severity.name == "WARNING"


def test_bit_collision(tree) -> None:
    h = history_of(tree, FLAG_IMS)
    f = next(f for f in h.hazards if f.code == "bit-collision")
    assert f.severity.name == "ERROR" and f.patch == "1/1"
    assert f.subject == "MSI_FLAG_PCI_IMS" and "MSI_FLAG_NO_AFFINITY" in f.message
    assert "bit 21" in f.message
    assert (f.file, f.line) == ("include/linux/msi.h", 36)


def test_bit_outside_mask_and_beyond_width(tree) -> None:
    huge = """\
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -37,2 +37,3 @@ enum {
 	MSI_FLAG_NO_MASK		= (1 << 22),
+	MSI_FLAG_HUGE			= BIT_ULL(35),
 };
"""
    h = history_of(tree, huge)
    got = {f.code: f for f in h.hazards}
    assert "bit-outside-mask" in got and "bit-width" in got
    assert "0xffffffff" in got["bit-outside-mask"].message
    assert "32-bit" in got["bit-width"].message
    assert got["bit-width"].severity.name == "ERROR"
    assert got["bit-width"].line == 38


def test_duplicate_name(tree) -> None:
    dup = """\
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -40,2 +40,3 @@ enum {
 #define MSI_FLAG_FROM_MACRO		(1UL << MSI_DEMO_SHIFT)
+#define MSI_FLAG_PCI_MSIX		BIT(17)
 #define MSI_FLAG_NOT_KNOWN		(MSI_DEMO_ELSEWHERE + 1)
"""
    h = history_of(tree, dup)
    f = next(f for f in h.hazards if f.code == "duplicate-name")
    assert f.subject == "MSI_FLAG_PCI_MSIX" and "2 times" in f.message


def test_bit_index_reaching_mask_width(tree) -> None:
    wide = """\
--- a/include/linux/irqdomain_defs.h
+++ b/include/linux/irqdomain_defs.h
@@ -8,3 +8,3 @@ enum irq_domain_bus_token {
-	DOMAIN_BUS_ANY		= 0,
+	DOMAIN_BUS_ANY		= 30,
 	DOMAIN_BUS_WIRED,
 	DOMAIN_BUS_PCI_MSI,
"""
    h = history_of(tree, wide)
    hits = [f for f in h.hazards if f.code == "bit-index-width"]
    # PCI_MSI becomes 32 and NEXUS 33: both feed the u32 bus_select_mask.
    assert [(f.subject, f.line) for f in hits] == [("DOMAIN_BUS_PCI_MSI", 8),
                                                   ("DOMAIN_BUS_NEXUS", 9)]
    f = hits[0]
    assert f.file == "drivers/irqchip/irq-msi-lib.h" and f.patch == "1/1"
    assert "bus_select_mask" in f.message and "32 bits" in f.message
    assert f.severity.name == "ERROR"
    # WIRED (31) and the tokens not used as bit numbers are not reported.
    assert h.final.get("DOMAIN_BUS_WIRED").value.value == 31


def test_stale_reference_after_rename(tree) -> None:
    rename = """\
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -27,3 +27,3 @@ enum {
 	MSI_FLAG_DEV_SYSFS		= (u32)(1UL << 4),
-	MSI_FLAG_OLD_NAME		= MSI_FLAG_DEV_SYSFS << 1,
+	MSI_FLAG_NEW_NAME		= MSI_FLAG_DEV_SYSFS << 1,
 
"""
    h = history_of(tree, rename)
    ch = next(c for c in h.changes if c.action == "renamed")
    assert (ch.name, ch.old_name) == ("MSI_FLAG_NEW_NAME", "MSI_FLAG_OLD_NAME")
    f = next(f for f in h.hazards if f.code == "stale-reference")
    assert f.subject == "MSI_FLAG_OLD_NAME" and "renamed" in f.message
    assert (f.file, f.line) == ("drivers/misc/widget.c", 7)


def test_removed_constant_used_later_in_series(tree) -> None:
    remove = """\
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -36,3 +36,2 @@ enum {
 	MSI_FLAG_NO_AFFINITY		= (1 << 21),
-	MSI_FLAG_NO_MASK		= (1 << 22),
 };
"""
    use = """\
--- a/drivers/misc/widget.c
+++ b/drivers/misc/widget.c
@@ -6,3 +6,3 @@ static unsigned long widget_flags(void)
 {
-	return MSI_FLAG_OLD_NAME | MSI_FLAG_USE_DEF_DOM_OPS;
+	return MSI_FLAG_OLD_NAME | MSI_FLAG_NO_MASK;
 }
"""
    h = history_of(tree, remove, use)
    f = next(f for f in h.hazards if f.code == "stale-reference")
    assert f.subject == "MSI_FLAG_NO_MASK" and f.patch == "1/2"
    assert "removed" in f.message
    assert any("2/2 adds" in d for d in f.detail)


def test_array_growth_with_derivation(tree) -> None:
    h = history_of(tree, SECONDARY,
                   messages={1: "Costs a pointer. Trade the 8bytes for simplicity."})
    f = next(f for f in h.hazards if f.code == "array-growth")
    assert (f.file, f.line, f.patch) == ("kernel/irq/msi.c", 7, "1/1")
    assert "__domains[MSI_MAX_DEVICE_IRQDOMAINS]" in f.message
    assert "1 -> 2" in f.message
    assert "+24 bytes per struct msi_device_data" in f.message
    assert "struct xarray 16 + struct irq_domain * 8" in f.message
    assert "1/1 says '8bytes'" in f.message
    detail = "\n".join(f.detail)
    assert "element: struct msi_dev_domain" in detail
    assert "struct xarray: 16 = spinlock_t 4 + gfp_t 4 + void * 8" in detail
    assert "spinlock_t: 4" in detail


def test_array_growth_unknown_size_says_why(tree, tmp_path) -> None:
    files = {p: (TREE / p).read_bytes() for p in (
        "include/linux/msi_api.h", "kernel/irq/msi.c",
        "include/linux/irqdomain_defs.h")}
    files["include/linux/msi.h"] = b"struct msi_dev_domain { struct mystery m; };\n"
    mem = OverlayTree(EmptyTree(), files)
    h = history_of(mem, SECONDARY)
    f = next(f for f in h.hazards if f.code == "array-growth")
    assert "unknown" in f.message and "struct mystery" in f.message


# -- patch-only mode -------------------------------------------------------

def test_patch_only_without_tree() -> None:
    h = history_of(EmptyTree(), BUS_IMS, FLAG_IMS, SECONDARY)
    ims = h.final.get("DOMAIN_BUS_PCI_DEVICE_IMS")
    assert ims.value.value is None and ims.after == "DOMAIN_BUS_AMDVI"
    assert "DOMAIN_BUS_AMDVI" in ims.value.reason
    assert h.final.get("MSI_FLAG_PCI_IMS").bit == 21
    # The hunk shows the enum's opening line: implicit values are known.
    assert h.final.get("MSI_SECONDARY_DOMAIN").value.value == 1
    assert h.final.get("MSI_MAX_DEVICE_IRQDOMAINS").value.value == 2
    assert set(h.missing_files) == {"include/linux/irqdomain_defs.h",
                                    "include/linux/msi.h",
                                    "include/linux/msi_api.h"}
    assert all(c.origin.startswith("patch-only") for c in h.final.constants)


def test_failed_hunk_laid_onto_tree(tree) -> None:
    """Context that no longer matches: the hunk fails, its enumerator is
    placed after the one preceding it in the hunk, and shifts follow."""
    stale = """\
--- a/include/linux/irqdomain_defs.h
+++ b/include/linux/irqdomain_defs.h
@@ -12,4 +12,5 @@ enum irq_domain_bus_token {
 	DOMAIN_BUS_PCI_DEVICE_MSIX,
 	DOMAIN_BUS_AMDVI,
+	DOMAIN_BUS_PCI_DEVICE_IMS,
 	DOMAIN_BUS_SOMETHING_GONE,
 };
"""
    h = history_of(tree, stale)
    assert [n.file for n in h.patch_only] == ["include/linux/irqdomain_defs.h"]
    ims = h.final.get("DOMAIN_BUS_PCI_DEVICE_IMS")
    assert ims.value.value == 6 and ims.origin.startswith("patch-only")
    assert h.final.get("DOMAIN_BUS_DEVICE_MSI").value.value == 7
    assert "enum-shift" in codes(h.hazards)


def test_ifdef_alternatives_are_not_duplicates() -> None:
    src = b"""\
#ifndef _LINUX_DEMO_ALT_H
#define _LINUX_DEMO_ALT_H
#ifdef CONFIG_DEMO_WIDE
#define MSI_FLAG_DEMO_ALT	BIT(24)
#else
#define MSI_FLAG_DEMO_ALT	BIT(12)
#endif
#define MSI_FLAG_DEMO_TWICE	BIT(13)
#define MSI_FLAG_DEMO_TWICE	BIT(14)
#endif
"""
    mem = OverlayTree(EmptyTree(), {"include/linux/demo_alt.h": src})
    table = extract_constants(mem, PROFILE)
    alts = table.all_named("MSI_FLAG_DEMO_ALT")
    assert [(c.condition, c.bit) for c in alts] == [("CONFIG_DEMO_WIDE", 24),
                                                    ("!CONFIG_DEMO_WIDE", 12)]
    found = table_hazards(table, PROFILE)
    assert [(f.code, f.subject) for f in found] == [
        ("duplicate-name", "MSI_FLAG_DEMO_TWICE")]
    assert found[0].line == 9


SECOND_DOMAIN = """\
--- a/include/linux/msi_api.h
+++ b/include/linux/msi_api.h
@@ -7,4 +7,5 @@
 enum msi_domain_ids {
 \tMSI_DEFAULT_DOMAIN,
+\tMSI_SECONDARY_DOMAIN,
 \tMSI_MAX_DEVICE_IRQDOMAINS,
 };
"""


def test_a_count_that_grows_is_a_check(tree) -> None:
    """The last enumerator named as a count is meant to move: a CHECK
    pointing at what it sizes, not a WARNING about a shift."""
    h = history_of(tree, SECOND_DOMAIN)
    shift = next(f for f in h.hazards if f.code == "enum-shift")
    assert shift.subject == "MSI_MAX_DEVICE_IRQDOMAINS"
    assert shift.severity.name == "CHECK"
    assert "count of enum msi_domain_ids" in shift.message and "1 -> 2" in shift.message
    assert any(f.code == "array-growth" for f in h.hazards)
