"""bit-collision against the tree when a hunk did not apply (issue 12,
cases 7-9): the new flag is placed where it would land in the tree and
marked as a patch line; a hunk whose context shows the tree's layout
collides truly (ERROR, with a line per instance that already sets the
old bit); a hunk whose context shows another layout, or a name the tree
already defines, claims no collision; a hunk with no family context is
patch-only (at most a WARNING); two flags the series itself puts on one
bit are an ERROR the patch proves.  Kernel-shaped series on the check
fixture tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.builders import flag_mail, run, where, write_series

pytestmark = pytest.mark.usefixtures("private_cache")

# The context (PCI_MSIX, NO_MASK) is the tree's; the trailing comment
# line differs, so the hunk fails.  GADGET_IMS lands on NO_MASK's bit.
VERIFIED = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -24,6 +24,8 @@ enum {
 
 	MSI_FLAG_PCI_MSIX		= (1 << 16),
 	MSI_FLAG_NO_MASK		= (1 << 17),
+	/* Gadget IMS slots */
+	MSI_FLAG_GADGET_IMS		= (1 << 17),
 };
 
 /* What a parent domain offers to its child domains. */
"""

# Written against a tree where NO_MASK was bit 18: bit 17 was free there.
OTHERBASE = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -24,6 +24,7 @@ enum {
 
 	MSI_FLAG_PCI_MSIX		= (1 << 16),
+	MSI_FLAG_GADGET_IMS		= (1 << 17),
 	MSI_FLAG_NO_MASK		= (1 << 18),
 };
 
"""

# An old form of NO_MASK: the tree defines that name already (at bit
# 17); the patch's bit 16 is PCI_MSIX's, but the name is not new.
SAMENAME = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -18,6 +18,7 @@ enum {
 	MSI_FLAG_USE_DEF_DOM_OPS	= (1 << 0),
 	MSI_FLAG_USE_DEF_CHIP_OPS	= (1 << 1),
 	MSI_FLAG_ACTIVATE_EARLY		= (1 << 2),
+	MSI_FLAG_NO_MASK		= (1 << 16),
 };
 
 /* What a parent domain offers its children. */
"""

# No family constant beside the new one: nothing checks the layout.
NOCONTEXT = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -27,3 +27,4 @@
 };
+#define MSI_FLAG_GADGET_LEGACY	(1 << 17)
 
 /* What a parent domain offers to children. */
"""

# Two new flags on one bit: the patch alone proves it.
TWONEW = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -24,6 +24,8 @@ enum {
 
 	MSI_FLAG_PCI_MSIX		= (1 << 16),
 	MSI_FLAG_NO_MASK		= (1 << 17),
+	MSI_FLAG_GADGET_IMS		= (1 << 18),
+	MSI_FLAG_GADGET_DYN		= (1 << 18),
 };
 
 /* What a parent domain offers its children. */
"""



def _collisions(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                diff: str, tree: bool = True, fmt: str = "terse") -> list[str]:
    mbox = write_series(tmp_path, flag_mail(diff, "Add a gadget flag", "collision"))
    _, out = run(capsys, "check", str(mbox), *where(tmp_path, tree),
                 "--format", fmt)
    if fmt != "terse":
        return out.splitlines()
    return [l for l in out.splitlines() if ": bit-collision: " in l]


def test_context_of_the_tree_collides_at_the_landing_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _collisions(tmp_path, capsys, VERIFIED) == [
        "include/linux/msi.h:28: ERROR: bit-collision: MSI_FLAG_GADGET_IMS "
        "is bit 17 (0x20000), already used by MSI_FLAG_NO_MASK (MSI flag "
        "family) [patch line] (1/1)"]


def test_a_collision_says_what_it_does_to_instances(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    out = "\n".join(_collisions(tmp_path, capsys, VERIFIED,
                                fmt="json"))
    (f,) = [f for f in json.loads(out)["findings"]
            if f["code"] == "bit-collision"]
    assert f["location_kind"] == "patch" and f["patch_only"] is False
    assert f["line"] == 28
    assert f["detail"] == [
        "MSI_FLAG_NO_MASK = (1 << 17) at include/linux/msi.h:26 [tree]",
        "MSI_FLAG_GADGET_IMS = (1 << 17) would land at include/linux/msi.h:28"
        " [patch-only: 1/1: include/linux/msi.h: nearly fits at line 24"
        " (5 of 6 lines match)]",
        # The field's line (28), not the struct's (27): it names the field.
        "gadget_msi_parent_ops.supported_flags "
        "(drivers/irqchip/irq-gadget-msi.c:28) advertises MSI_FLAG_NO_MASK:"
        " it now also advertises MSI_FLAG_GADGET_IMS"]


def test_context_of_another_layout_claims_no_collision(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _collisions(tmp_path, capsys, OTHERBASE) == []


def test_a_name_the_tree_defines_is_not_a_collision(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _collisions(tmp_path, capsys, SAMENAME) == []


def test_no_family_context_is_patch_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _collisions(tmp_path, capsys, NOCONTEXT) == [
        "include/linux/msi.h:28: WARNING: bit-collision: "
        "MSI_FLAG_GADGET_LEGACY is bit 17 (0x20000), already used by "
        "MSI_FLAG_NO_MASK (MSI flag family) [patch line; patch-only] (1/1)"]


def test_two_new_flags_on_one_bit_the_patch_proves(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _collisions(tmp_path, capsys, TWONEW,
                       tree=False) == [
        "include/linux/msi.h:27: ERROR: bit-collision: MSI_FLAG_GADGET_IMS "
        "is bit 18 (0x40000), already used by MSI_FLAG_GADGET_DYN (MSI flag "
        "family) [patch line; patch-only] (1/1)"]


def test_every_location_says_what_it_is() -> None:
    """A finding resting on patch text alone is at a patch line unless
    the check says otherwise; terse marks patch lines and patch-only
    evidence, and says nothing for a tree line."""
    from patchlens.checks.bits import BIT_COLLISION
    from patchlens.findings import PATCH_LINE, TREE_LINE
    from patchlens.render.terse import render
    only = BIT_COLLISION.finding("A is bit 3, already used by B", file="x.h",
                                 line=3, patch="1/1", patch_only=True)
    assert only.location_kind == PATCH_LINE and only.patch_only
    assert only.severity.name == "WARNING"
    tree = BIT_COLLISION.finding("A is bit 3, already used by B", file="x.h",
                                 line=3, patch="1/1", location_kind=TREE_LINE)
    assert render([only, tree]).splitlines() == [
        "x.h:3: ERROR: bit-collision: A is bit 3, already used by B (1/1)",
        "x.h:3: WARNING: bit-collision: A is bit 3, already used by B "
        "[patch line; patch-only] (1/1)"]


def test_without_a_tree_the_added_flag_collides_not_its_context(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Patch-only, the context flag NO_MASK first appears in the table at
    the same patch as the flag the patch adds: the finding names the
    added flag, at its own line, as the one landing on a used bit (it
    said "MSI_FLAG_NO_MASK ... already used by MSI_FLAG_GADGET_IMS",
    backwards, at NO_MASK's line)."""
    assert _collisions(tmp_path, capsys, VERIFIED,
                       tree=False) == [
        "include/linux/msi.h:28: ERROR: bit-collision: MSI_FLAG_GADGET_IMS "
        "is bit 17 (0x20000), already used by MSI_FLAG_NO_MASK (MSI flag "
        "family) [patch line; patch-only] (1/1)"]


# An older series adding MSI_FLAG_NO_MASK at another bit, on a layout
# the tree has moved on from (its context is not there): the tree
# already defines the name in this file.
_READDED = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -18,6 +18,7 @@ enum {
 	MSI_FLAG_USE_DEF_DOM_OPS	= (1 << 0),
 	MSI_FLAG_USE_DEF_CHIP_OPS	= (1 << 1),
 	MSI_FLAG_MULTI_PCI_MSI		= (1 << 2),
+	MSI_FLAG_NO_MASK		= (1 << 3),
 };
 
 /* What a parent domain offers its children. */
"""


def test_a_name_the_file_has_added_again_is_no_value_change(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hunk that does not apply adds a flag the tree's file already
    defines (at another bit) and removes it nowhere: a second
    definition, not a new value -- the report said "bit 7 -> bit 8" for
    the 2022 ARM series' MSI_FLAG_USE_DEV_FWNODE on linux-6.12."""
    import json
    mbox = write_series(tmp_path, flag_mail(_READDED, "Add MSI_FLAG_NO_MASK",
                                            "again"))
    _, out = run(capsys, "report", str(mbox), *where(tmp_path, True),
                 "--format", "json")
    data = json.loads(out)
    assert [c["name"] for c in data["constants"]] == []
    assert not [f for f in data["findings"] if f["code"] == "bit-collision"]
