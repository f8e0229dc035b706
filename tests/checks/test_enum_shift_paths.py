"""enum-shift is found whenever an enumerator's value moves, on every
path a value is read: a hunk that applied to the tree, a hunk laid onto
the tree from the patch text, a hunk whose enum the tree lacks but
whose own pre-image shows the enum's start (the values before the
patch are then proven by the patch), and a hunk that shows neither
(the shift is proven, the values are not).

Kernel-shaped diffs written for these tests (an MSI domain-id enum and
the bus-token enum), modelled on the shape of include/linux/msi_api.h
and irqdomain_defs.h.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.checks.enums import enum_shifts
from patchlens.extract.profile import load_profile
from patchlens.findings import PATCH_LINE, Severity
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series
from patchlens.tree.empty import EmptyTree
from tests.checks.builders import FIXTURES, mail, run, write_series
from tests.checks.helpers import checked_history
from tests.tree_helpers import make_series

PROFILE = load_profile(None)
TREE = FIXTURES / "extract" / "tree"

# A domain id inserted in the middle of a whole enum (the hunk shows the
# enum's opening line): the count moves 1 -> 2.
ADD_DOMAIN_ID = """\
--- a/include/linux/msi_dev.h
+++ b/include/linux/msi_dev.h
@@ -11,6 +11,7 @@ struct device;
  */
 enum msi_domain_ids {
 	MSI_DEFAULT_DOMAIN,
+	MSI_SECONDARY_DOMAIN,
 	MSI_MAX_DEVICE_IRQDOMAINS,
 };
 
"""

# A bus token removed from the middle; the hunk shows only the @@
# section, not the enum's start: values unknown, the shift is not.
DROP_BUS_TOKEN = """\
--- a/include/linux/irqdomain_bus.h
+++ b/include/linux/irqdomain_bus.h
@@ -21,8 +21,7 @@ enum irq_domain_bus_token {
 	DOMAIN_BUS_TI_SCI_INTA_MSI,
 	DOMAIN_BUS_WAKEUP,
 	DOMAIN_BUS_VMD_MSI,
-	DOMAIN_BUS_GIZMO_MSI,
 	DOMAIN_BUS_DEVICE_MSI,
 	DOMAIN_BUS_WIRED_TO_MSI,
 };
"""

# The same removal next to an explicit value: nothing after it moves.
DROP_BEFORE_EXPLICIT = """\
--- a/include/linux/irqdomain_bus.h
+++ b/include/linux/irqdomain_bus.h
@@ -21,6 +21,5 @@ enum irq_domain_bus_token {
 	DOMAIN_BUS_WAKEUP,
-	DOMAIN_BUS_GIZMO_MSI,
 	DOMAIN_BUS_DEVICE_MSI		= 40,
 	DOMAIN_BUS_WIRED_TO_MSI,
 };
"""


def _history(tree, *diffs: str):
    series = make_series(*diffs)
    return checked_history(apply_series(tree, series), series, PROFILE)


def _shifts(h) -> list[tuple[str, str, str]]:
    return [(f.subject or "", f.severity.name, f.patch or "")
            for f in h.hazards if f.code == "enum-shift"]


def test_patch_only_whole_enum_in_hunk() -> None:
    """No tree: the hunk's pre-image proves MSI_MAX_DEVICE_IRQDOMAINS
    was 1, its post-image makes it 2 (today: every name "added", no
    shift)."""
    h = _history(EmptyTree(), ADD_DOMAIN_ID)
    assert _shifts(h) == [("MSI_MAX_DEVICE_IRQDOMAINS", "CHECK", "1/1")]
    acts = {(c.name, c.action) for c in h.changes}
    # Context names existed before the patch: they are not added by it.
    assert acts == {("MSI_SECONDARY_DOMAIN", "added"),
                    ("MSI_MAX_DEVICE_IRQDOMAINS", "changed")}
    f = next(f for f in h.hazards if f.code == "enum-shift")
    # Read from the patch text: said once, by the marker (the renderers'
    # "[patch line; patch-only]"), not again in the sentence.
    assert "1 -> 2" in f.message and f.patch_only
    assert f.location_kind == PATCH_LINE
    assert "patch text" not in f.message
    assert (f.file, f.line) == ("include/linux/msi_dev.h", 15)
    assert h.steps[1].before is not None


def test_tree_lacks_the_header() -> None:
    """The tree defines the enum in another header: the hunk is laid onto
    it from the patch text and the shift follows."""
    h = _history(open_tree(str(TREE), None), ADD_DOMAIN_ID)
    assert ("MSI_MAX_DEVICE_IRQDOMAINS", "CHECK", "1/1") in _shifts(h)


def test_patch_only_middle_removal_without_enum_start() -> None:
    """The enum's start is not in the hunk: each kept enumerator after
    the removed one shifts by -1, values unknown (today: nothing)."""
    h = _history(EmptyTree(), DROP_BUS_TOKEN)
    assert _shifts(h) == [("DOMAIN_BUS_DEVICE_MSI", "WARNING", "1/1"),
                          ("DOMAIN_BUS_WIRED_TO_MSI", "WARNING", "1/1")]
    f = next(f for f in h.hazards if f.code == "enum-shift")
    assert "by -1" in f.message and "removed before it" in f.message
    assert (f.file, f.line) == ("include/linux/irqdomain_bus.h", 24)


def test_explicit_value_stops_the_shift() -> None:
    h = _history(EmptyTree(), DROP_BEFORE_EXPLICIT)
    assert _shifts(h) == []


def test_shift_of_a_middle_insertion_in_the_tree(tmp_path: Path) -> None:
    """The tree path: a hunk that applies, inserting in the middle."""
    root = tmp_path / "linux"
    (root / "include/linux").mkdir(parents=True)
    (root / "Kbuild").write_text("obj-y += kernel/\n")
    (root / "include/linux/msi_dev.h").write_text(
        "/* SPDX-License-Identifier: GPL-2.0 */\n#ifndef _LINUX_MSI_DEV_H\n"
        "#define _LINUX_MSI_DEV_H\n\n" + "/* pad */\n" * 5 +
        "struct device;\n\n/*\n * Device domain ids\n */\n"
        "enum msi_domain_ids {\n\tMSI_DEFAULT_DOMAIN,\n"
        "\tMSI_MAX_DEVICE_IRQDOMAINS,\n};\n\n#endif\n")
    h = _history(open_tree(str(root), None), ADD_DOMAIN_ID)
    assert _shifts(h) == [("MSI_MAX_DEVICE_IRQDOMAINS", "CHECK", "1/1")]
    f = next(f for f in h.hazards if f.code == "enum-shift")
    assert "patch text" not in f.message


def test_relative_shift_needs_a_delta() -> None:
    """A change with unknown values and no proven delta says nothing."""
    h = _history(EmptyTree(), DROP_BUS_TOKEN)
    changes = [c for c in h.changes if c.delta is not None]
    assert {c.delta for c in changes} == {-1}
    assert enum_shifts([c.__class__(**{**c.__dict__, "delta": None})
                        for c in changes], h.final) == []
    assert all(f.severity <= Severity.WARNING for f in h.hazards)


@pytest.mark.parametrize("diff", [ADD_DOMAIN_ID, DROP_BUS_TOKEN])
def test_shift_found_once(diff: str) -> None:
    h = _history(EmptyTree(), diff)
    subjects = [s for s, _, _ in _shifts(h)]
    assert len(subjects) == len(set(subjects))


# -- what the report's constants table says, patch-only ---------------------

# A revert-shaped patch on a whole enum, and a renumbering of explicit
# flags whose context keeps one flag: written for these tests.
REVERT_DOMAIN_ID = ADD_DOMAIN_ID.replace("@@ -11,6 +11,7 @@", "@@ -11,7 +11,6 @@") \
    .replace("+\tMSI_SECONDARY_DOMAIN,", "-\tMSI_SECONDARY_DOMAIN,")
RENUMBER_FLAGS = """\
--- a/include/linux/msi_flags.h
+++ b/include/linux/msi_flags.h
@@ -20,9 +20,8 @@ enum {
 \tMSI_FLAG_USE_DEF_CHIP_OPS\t= (1 << 1),
-\t/* Support multiple PCI MSI interrupts */
-\tMSI_FLAG_MULTI_PCI_MSI\t\t= (1 << 2),
 \t/* Needs early activate, required for PCI */
-\tMSI_FLAG_ACTIVATE_EARLY\t\t= (1 << 3),
+\tMSI_FLAG_ACTIVATE_EARLY\t\t= (1 << 2),
+\tMSI_FLAG_MULTI_PCI_MSI\t\t= (1 << 16),
 };
 
"""


def _mbox(tmp_path: Path, diff: str) -> Path:
    return write_series(tmp_path, mail(
        diff, "genirq/msi: Rework the domain ids", author="Cy Checker <cy@example.org>",
        msgid="shift-paths-1@example.org", body="Rework.", mime=False))


def _constants(tmp_path: Path, diff: str, capsys) -> dict[str, tuple]:
    import json
    _, out = run(capsys, "report", str(_mbox(tmp_path, diff)), "--no-tree",
                 "--format", "json")
    data = json.loads(out)
    assert not [f for f in data["findings"]
                if f["code"] == "stale-reference"]
    return {c["name"]: (c["kind"], c["before"], c["after"])
            for c in data["constants"]}


@pytest.mark.usefixtures("private_cache")
def test_patch_only_table_revert(tmp_path: Path, capsys) -> None:
    """The context name is not "new", the removed one is removed, the
    count shifts (today: MSI_DEFAULT_DOMAIN and the count were "new")."""
    assert _constants(tmp_path, REVERT_DOMAIN_ID, capsys) == {
        "MSI_SECONDARY_DOMAIN": ("removed", 1, None),
        "MSI_MAX_DEVICE_IRQDOMAINS": ("shifted", 2, 1)}


@pytest.mark.usefixtures("private_cache")
def test_patch_only_table_renumbering(tmp_path: Path, capsys) -> None:
    """Explicit values on "-" lines are the values before the patch: a
    renumbered flag is changed, not new; a context flag is unchanged."""
    assert _constants(tmp_path, RENUMBER_FLAGS, capsys) == {
        "MSI_FLAG_ACTIVATE_EARLY": ("changed", 8, 4),
        "MSI_FLAG_MULTI_PCI_MSI": ("changed", 4, 65536)}


def _removed(h) -> set[str]:
    return {c.name for c in h.changes if c.action == "removed"}


def test_patch_only_removal_without_enum_start_is_a_removal() -> None:
    """No tree, a removed token whose hunk shows neither the enum's
    start nor (its @@ section naming something else) the enum's tag: the
    family is recognised by its members' spelling (profile ``spelling``)
    and by the enumerators around the line.  The removal is in the
    changes, its value unknown."""
    h = _history(EmptyTree(), DROP_BUS_TOKEN)
    assert _removed(h) == {"DOMAIN_BUS_GIZMO_MSI"}
    gone = next(c for c in h.changes if c.name == "DOMAIN_BUS_GIZMO_MSI")
    assert gone.family == "bus_token" and gone.before is not None \
        and gone.before.value is None
    no_section = DROP_BUS_TOKEN.replace(" enum irq_domain_bus_token {", "")
    assert _removed(_history(EmptyTree(), no_section)) == \
        {"DOMAIN_BUS_GIZMO_MSI"}
    # A list of tokens (an array initializer) is no enum: not a removal.
    array = """\
--- a/include/linux/gizmo_tokens.h
+++ b/include/linux/gizmo_tokens.h
@@ -3,7 +3,6 @@
 static const int gizmo_tokens[] = {
 	DOMAIN_BUS_WAKEUP,
 	DOMAIN_BUS_VMD_MSI,
-	DOMAIN_BUS_GIZMO_MSI,
 	gizmo_last_token(),
 };
"""
    assert _removed(_history(EmptyTree(), array)) == set()
