"""unset-flag / unchecked-flag see what the tables see (issue 12, case 7):
a mask covering the new flag's bit in a parent's supported_flags, the
series' own setters and tests (read from the patch text, whether or not
the hunk applied: a multi-line ``.flags =`` initializer, ``& (A | X)``, a
helper the flag is passed to), and a flag the series only renumbers is
not new.  Kernel-shaped series on the check fixture tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.builders import (FLAGGER, GADGET_LIST, check_tree,
                                   flag_mail, mail, run, where, write_series)

pytestmark = pytest.mark.usefixtures("private_cache")

# A generic flag (bit 3: inside MSI_GENERIC_FLAGS_MASK = GENMASK(15, 0))
# that the core tests; the gadget parent's supported_flags is
# MSI_GENERIC_FLAGS_MASK | MSI_FLAG_NO_MASK, so it advertises bit 3.
GENERIC_FLAG = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -18,6 +18,7 @@ enum {
 	MSI_FLAG_USE_DEF_DOM_OPS	= (1 << 0),
 	MSI_FLAG_USE_DEF_CHIP_OPS	= (1 << 1),
 	MSI_FLAG_ACTIVATE_EARLY		= (1 << 2),
+	MSI_FLAG_GADGET_QUIRK		= (1 << 3),
 
 	MSI_GENERIC_FLAGS_MASK		= GENMASK(15, 0),
 	MSI_DOMAIN_FLAGS_MASK		= GENMASK(31, 16),
diff --git a/kernel/irq/msi.c b/kernel/irq/msi.c
--- a/kernel/irq/msi.c
+++ b/kernel/irq/msi.c
@@ -19,7 +19,7 @@
 
 bool msi_can_mask(struct msi_domain_info *info)
 {
-	if (info->flags & MSI_FLAG_NO_MASK)
+	if (info->flags & (MSI_FLAG_NO_MASK | MSI_FLAG_GADGET_QUIRK))
 		return false;
 	return (info->flags & MSI_FLAG_PCI_MSIX) != 0;
 }
"""

# The same flag at bit 18: outside the generic mask; nothing sets it.
DOMAIN_FLAG = GENERIC_FLAG.replace("MSI_FLAG_GADGET_QUIRK		= (1 << 3)",
                                   "MSI_FLAG_GADGET_QUIRK		= (1 << 18)")

# The series sets the flag in a multi-line initializer of a file the
# tree does not have, and tests it through a helper and with &.
OWN_SETTERS = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -25,6 +25,8 @@ enum {
 	MSI_FLAG_PCI_MSIX		= (1 << 16),
 	MSI_FLAG_NO_MASK		= (1 << 17),
+	/* The gadget cannot mask: keep the vector live */
+	MSI_FLAG_GADGET_NOMASK		= (1 << 18),
 };
 
 /* What a parent domain offers its children. */
diff --git a/arch/x86/kernel/apic/gizmo.c b/arch/x86/kernel/apic/gizmo.c
--- a/arch/x86/kernel/apic/gizmo.c
+++ b/arch/x86/kernel/apic/gizmo.c
@@ -170,8 +170,9 @@ static struct msi_domain_ops gizmo_msi_domain_ops = {
 };
 
 static struct msi_domain_info gizmo_msi_domain_info = {
-	.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS |
-			  MSI_FLAG_PCI_MSIX,
+	.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS |
+			  MSI_FLAG_PCI_MSIX |
+			  MSI_FLAG_GADGET_NOMASK,
 	.ops		= &gizmo_msi_domain_ops,
 	.chip		= &gizmo_msi_controller,
 	.handler	= handle_edge_irq,
diff --git a/drivers/pci/msi/gizmo-api.c b/drivers/pci/msi/gizmo-api.c
--- a/drivers/pci/msi/gizmo-api.c
+++ b/drivers/pci/msi/gizmo-api.c
@@ -120,6 +120,12 @@ int gizmo_msix_vec_count(struct pci_dev *dev)
 }
 EXPORT_SYMBOL(gizmo_msix_vec_count);
 
+bool gizmo_can_mask(struct pci_dev *dev)
+{
+	return !gizmo_domain_supports(dev,
+				      MSI_FLAG_GADGET_NOMASK, DENY_LEGACY);
+}
+
 /**
  * gizmo_disable_msix - Disable MSI-X interrupt mode on device
  * @dev: the PCI device to operate on
"""

# The series renumbers two existing flags: they are not new.
RENUMBER = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -18,6 +18,6 @@ enum {
-	MSI_FLAG_USE_DEF_DOM_OPS	= (1 << 0),
-	MSI_FLAG_USE_DEF_CHIP_OPS	= (1 << 1),
+	MSI_FLAG_USE_DEF_DOM_OPS	= (1 << 4),
+	MSI_FLAG_USE_DEF_CHIP_OPS	= (1 << 5),
 	MSI_FLAG_ACTIVATE_EARLY		= (1 << 2),
 
 	MSI_GENERIC_FLAGS_MASK		= GENMASK(15, 0),
 	MSI_DOMAIN_FLAGS_MASK		= GENMASK(31, 16),
"""


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], diff: str,
           subject: str, tree: bool) -> list[str]:
    mbox = write_series(tmp_path, flag_mail(diff, subject,
                                            subject.split()[-1].lower()))
    _, out = run(capsys, "check", str(mbox), *where(tmp_path, tree),
                 "--format", "terse", "--fail-on", "check")
    return [l for l in out.splitlines() if "-flag:" in l]


def test_a_mask_covering_the_bit_sets_it(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    """supported_flags = MSI_GENERIC_FLAGS_MASK advertises bit 3."""
    assert _check(tmp_path, capsys, GENERIC_FLAG,
                  "Add MSI_FLAG_GADGET_QUIRK", tree=True) == []


def test_outside_every_mask_nothing_sets_it(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    """Bit 18 is outside the generic mask and no field names it; the
    core tests it inside ``& (A | X)``."""
    assert _check(tmp_path, capsys, DOMAIN_FLAG,
                  "Add MSI_FLAG_GADGET_QUIRK", tree=True) == [
        "include/linux/msi.h:21: CHECK: unset-flag: nothing sets "
        "MSI_FLAG_GADGET_QUIRK: checks of it are never true (1/1)"]


@pytest.mark.parametrize("tree", [False, True])
def test_the_series_own_setters_and_tests_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], tree: bool) -> None:
    """Set on a continuation line of a ``.flags =`` initializer and
    tested through a helper, in files the tree lacks (the hunks fail)."""
    assert _check(tmp_path, capsys, OWN_SETTERS,
                  "Add MSI_FLAG_GADGET_NOMASK", tree=tree) == []


def test_renumbered_flags_are_not_new(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    assert _check(tmp_path, capsys, RENUMBER,
                  "Rearrange MSI domain flags", tree=False) == []


def test_the_report_calls_a_renumbered_flag_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a tree, the renumbered flags are changed (their old value
    read from the removed line), not new."""
    import json
    mbox = write_series(tmp_path, flag_mail(RENUMBER, "Rearrange MSI domain flags",
                                            "renumber-report"))
    _, out = run(capsys, "report", str(mbox), "--no-tree", "--format", "json")
    data = json.loads(out)
    got = {c["name"]: (c["kind"], c["before"], c["after"])
           for c in data["constants"]}
    assert got["MSI_FLAG_USE_DEF_DOM_OPS"] == ("changed", 1 << 0, 1 << 4)
    assert got["MSI_FLAG_USE_DEF_CHIP_OPS"] == ("changed", 1 << 1, 1 << 5)


def test_a_parent_advertises_by_bits(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The report's advertiser table agrees with unset-flag: the gadget
    parent's supported_flags (MSI_GENERIC_FLAGS_MASK | MSI_FLAG_NO_MASK)
    keeps a new flag at bit 3 through the mask, not one at bit 18."""
    import json
    linux = check_tree(tmp_path)
    got = {}
    for diff in (GENERIC_FLAG, DOMAIN_FLAG):
        mbox = write_series(tmp_path, flag_mail(diff, "Add MSI_FLAG_GADGET_QUIRK",
                                                "advertise"))
        _, out = run(capsys, "report", str(mbox), "--tree", str(linux),
                     "--format", "json")
        data = json.loads(out)
        (imp,) = [i for i in data["impacts"]
                  if i["name"] == "MSI_FLAG_GADGET_QUIRK"]
        got[diff is GENERIC_FLAG] = [
            (a["instance"], a["today"], a["with_series"], a["via"])
            for a in imp["advertisers"]]
    assert got[True] == [("gadget_msi_parent_ops", False, True,
                          "MSI_GENERIC_FLAGS_MASK")]
    assert got[False] == [("gadget_msi_parent_ops", False, False, None)]


def test_truth_calls_come_from_the_profile(tmp_path: Path) -> None:
    """A flag inside one of the profile's truth calls (``[calls] truth``)
    is no argument of a helper that tests it; the kernel's words are the
    profile's, not Python's (any other call still is a helper)."""
    from patchlens.checks import flags
    from patchlens.extract.profile import load_profile
    from patchlens.extract.roles import Rules
    from patchlens.mail import read_series

    assert not {"WARN_ON", "likely"} & flags._NOT_CALLS
    truth = frozenset(load_profile(None).truth_calls)
    assert {"WARN_ON", "WARN_ON_ONCE", "likely"} <= truth
    mbox = write_series(tmp_path, flag_mail("""\
diff --git a/kernel/irq/msi.c b/kernel/irq/msi.c
--- a/kernel/irq/msi.c
+++ b/kernel/irq/msi.c
@@ -19,6 +19,8 @@
 
 bool msi_can_mask(struct msi_domain_info *info)
 {
+	GADGET_ASSERT(MSI_FLAG_GADGET_QUIRK);
+	gadget_probe(MSI_FLAG_GADGET_QUIRK);
 	if (info->flags & MSI_FLAG_NO_MASK)
 		return false;
 	return (info->flags & MSI_FLAG_PCI_MSIX) != 0;
""", "Warn on the gadget quirk", "truth"))
    series = read_series(str(mbox))

    def roles(calls: frozenset[str]) -> list[str]:
        return [u.role.value for u in flags.patch_uses(
            series, ["MSI_FLAG_GADGET_QUIRK"],
            rules=Rules(names={}, truth_calls=calls))]

    assert roles(frozenset()) == ["check", "check"]
    assert roles(frozenset({"GADGET_ASSERT"})) == ["other", "check"]


_WIDGET_PARENT = """\
diff --git a/drivers/irqchip/irq-widget-msi.c b/drivers/irqchip/irq-widget-msi.c
new file mode 100644
--- /dev/null
+++ b/drivers/irqchip/irq-widget-msi.c
@@ -0,0 +1,14 @@
+// SPDX-License-Identifier: GPL-2.0
+#include <linux/msi.h>
+
+#define WIDGET_MSI_FLAGS_REQUIRED	(MSI_FLAG_USE_DEF_DOM_OPS |	\\
+					 MSI_FLAG_GADGET_QUIRK)
+
+#define WIDGET_MSI_FLAGS_SUPPORTED	(MSI_GENERIC_FLAGS_MASK |	\\
+					 MSI_FLAG_PCI_MSIX)
+
+static const struct msi_parent_ops widget_msi_parent_ops = {
+	.supported_flags	= WIDGET_MSI_FLAGS_SUPPORTED,
+	.required_flags		= WIDGET_MSI_FLAGS_REQUIRED,
+	.prefix			= "WIDGET-",
+};
"""
_NEW_PARENT = mail(_WIDGET_PARENT, "irqchip/widget: Add the widget MSI parent",
                   author=FLAGGER, to=GADGET_LIST, n=2, total=2,
                   date="Tue, 03 Mar 2026 09:02:00 +0000",
                   msgid="flags-parent-2@example.org",
                   body="A parent which requires the gadget quirk.")


def test_a_parent_a_later_patch_adds_advertises_from_that_patch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """1/2 adds a generic flag, 2/2 a parent whose supported flags cover
    it by mask: the parent advertises it from 2/2 (it said 1/2, the
    patch defining the flag, before the parent existed), through its
    supported flags' macro -- not through the required-flags macro that
    names the flag (the held-out GICv2m conversion said
    "GICV2M_MSI_FLAGS_REQUIRED" for .supported_flags)."""
    import json
    linux = check_tree(tmp_path)
    mbox = write_series(tmp_path, flag_mail(GENERIC_FLAG, "Add MSI_FLAG_GADGET_QUIRK",
                                            "later", total=2), _NEW_PARENT, sep="\n")
    _, out = run(capsys, "report", str(mbox), "--tree", str(linux), "--format", "json")
    data = json.loads(out)
    (imp,) = [i for i in data["impacts"] if i["name"] == "MSI_FLAG_GADGET_QUIRK"]
    rows = {a["instance"]: (a["with_series"], a["patch"], a["via"])
            for a in imp["advertisers"]}
    assert rows["widget_msi_parent_ops"] == (
        True, "2/2", "WIDGET_MSI_FLAGS_SUPPORTED (MSI_GENERIC_FLAGS_MASK)")
    assert rows["gadget_msi_parent_ops"] == (
        True, "1/2", "MSI_GENERIC_FLAGS_MASK")


_MASK_SETTER = """\
diff --git a/drivers/irqchip/irq-gadget-msi.c b/drivers/irqchip/irq-gadget-msi.c
--- a/drivers/irqchip/irq-gadget-msi.c
+++ b/drivers/irqchip/irq-gadget-msi.c
@@ -20,6 +20,9 @@
 #include <linux/msi.h>
 
+#define GADGET_MSI_FLAGS_SUPPORTED	(MSI_GENERIC_FLAGS_MASK |	\\
+					 MSI_FLAG_PCI_MSIX)
+
 static int gadget_msi_count;
 
"""


def test_without_a_tree_a_mask_the_series_composes_sets_the_bit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No tree: a supported-flags macro a patch writes with
    MSI_GENERIC_FLAGS_MASK carries the new generic flag's bit 3, so
    "nothing sets" it is false (the held-out GICv2m conversion,
    --no-tree, said so for USE_DEV_FWNODE and PARENT_PM_DEV); nothing
    tests it still holds."""
    got = _check(tmp_path, capsys,
                 GENERIC_FLAG.split("diff --git a/kernel")[0] + _MASK_SETTER,
                 "Add MSI_FLAG_GADGET_QUIRK", tree=False)
    assert [l.split(": ")[2] for l in got] == ["unchecked-flag"]
