"""Series order and prerequisites (issue 12, cases 1-3): a name a patch
shows on a context line existed before it -- it is never "defined" by
that patch -- while a true mid-series breakage is still an ERROR; a
constant the tree lacks is a prerequisite, said once with its evidence;
no hunk noise without a tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.builders import (FIXTURES, check_tree, mail, run,
                                   write_series)

CHECKS = FIXTURES / "checks"
PREREQ = CHECKS / "needs-prerequisite" / "series.mbox"

pytestmark = pytest.mark.usefixtures("private_cache")


def _mail(n: int, total: int, subject: str, diff: str) -> str:
    return mail(diff, subject, author="Cy Checker <cy@example.org>",
                msgid=f"order-{n}@example.org", n=n, total=total,
                date=f"Thu, 05 Mar 2026 09:0{n}:00 +0000",
                in_reply_to="order-0@example.org" if n else None) + "\n"


# 1/3 uses MSI_GADGET_DOMAIN, 2/3 adds it, 3/3 shows it as context (on
# the line 2/3 added): a true breakage of 1/3, not a prerequisite.
USE = """\
diff --git a/kernel/irq/msi.c b/kernel/irq/msi.c
--- a/kernel/irq/msi.c
+++ b/kernel/irq/msi.c
@@ -24,6 +24,11 @@ bool msi_can_mask(struct msi_domain_info *info)
 \treturn (info->flags & MSI_FLAG_PCI_MSIX) != 0;
 }
 
+bool msi_has_gadget_domain(struct msi_device_data *md)
+{
+\treturn md->__domains[MSI_GADGET_DOMAIN].domain != NULL;
+}
+
 bool msi_early(struct msi_domain_info *info)
 {
 \treturn info->flags & (MSI_FLAG_ACTIVATE_EARLY | MSI_FLAG_USE_DEF_DOM_OPS |
"""
ADD = """\
diff --git a/include/linux/msi_api.h b/include/linux/msi_api.h
--- a/include/linux/msi_api.h
+++ b/include/linux/msi_api.h
@@ -5,6 +5,7 @@
 /* Per device interrupt domains; the last one counts them. */
 enum msi_domain_ids {
 \tMSI_DEFAULT_DOMAIN,
+\tMSI_GADGET_DOMAIN,
 \tMSI_MAX_DEVICE_IRQDOMAINS,
 };
 
"""
AFTER = """\
diff --git a/include/linux/msi_api.h b/include/linux/msi_api.h
--- a/include/linux/msi_api.h
+++ b/include/linux/msi_api.h
@@ -5,7 +5,8 @@
 /* Per device interrupt domains; the last one counts them. */
 enum msi_domain_ids {
 \tMSI_DEFAULT_DOMAIN,
 \tMSI_GADGET_DOMAIN,
+\tMSI_GADGET_IMS_DOMAIN,
 \tMSI_MAX_DEVICE_IRQDOMAINS,
 };
 
"""


def _series(tmp_path: Path, diffs: list[tuple[str, str]]) -> Path:
    total = len(diffs)
    text = _mail(0, total, "genirq/msi: gadget domains", "")
    text = text.replace("---\n-- \n", "-- \n")
    for n, (subject, diff) in enumerate(diffs, start=1):
        text += _mail(n, total, subject, diff)
    return write_series(tmp_path, text)



def _check(capsys: pytest.CaptureFixture[str], series: Path,
           *where: str) -> tuple[int, list[str]]:
    status, out = run(capsys, "check", str(series), *where, "--format", "terse")
    return status, out.splitlines()


def test_a_context_name_is_not_defined_by_the_patch_showing_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Patch-only: 2/2's enum hunk shows MSI_GADGET_DOMAIN as context
    (it comes from an earlier series); 1/2 using it is no breakage.
    Failed on the old code: ERROR used-before-defined (1/2)."""
    status, out = _check(capsys, PREREQ, "--no-tree")
    assert not [l for l in out if "used-before-defined" in l], out
    assert not [l for l in out if "needs-prerequisite" in l], out
    assert status == 0


def test_patch_only_says_no_hunk_failed(
        capsys: pytest.CaptureFixture[str]) -> None:
    """With no tree there is nothing to fail (old code: one
    hunk-failed per hunk, "not in the tree")."""
    _, out = _check(capsys, PREREQ, "--no-tree")
    assert not [l for l in out if ": hunk-" in l or "not in the tree" in l]


def test_a_prerequisite_is_said_once_with_its_evidence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a tree lacking the name: one WARNING naming the hunk that
    shows it and the tree; no ERROR (old code: nothing at all)."""
    status, out = _check(capsys, PREREQ, "--tree", str(check_tree(tmp_path)))
    found = [l for l in out if ": needs-prerequisite: " in l]
    assert len(found) == 1, out
    assert "MSI_GADGET_DOMAIN is context in 2/2 but not in linux" in found[0]
    assert "used by 1/2" in found[0] and found[0].endswith("(1/2)")
    assert ": WARNING: " in found[0]
    assert not [l for l in out if ": ERROR: " in l], out
    assert status == 0


def test_no_prerequisite_for_a_name_the_tree_has(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The tree has MSI_DEFAULT_DOMAIN: a context line showing it, and a
    use of it, need nothing."""
    root = check_tree(tmp_path)
    series = _series(tmp_path, [
        ("genirq/msi: Look up the default domain",
         USE.replace("MSI_GADGET_DOMAIN", "MSI_DEFAULT_DOMAIN")),
        ("genirq/msi: Add a gadget domain", ADD)])
    _, out = _check(capsys, series, "--tree", str(root))
    assert not [l for l in out if "needs-prerequisite" in l
                or "used-before" in l], out


@pytest.mark.parametrize("where", ["tree", "patch-only"])
def test_a_true_breakage_is_still_found(
        where: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """1/3 uses what only 2/3 adds; 3/3 shows it as context on the line
    2/3 added, which proves nothing about the base: used-before-defined,
    an ERROR against a tree, a WARNING from the patch text alone."""
    series = _series(tmp_path, [
        ("genirq/msi: Look up the gadget domain", USE),
        ("genirq/msi: Add the gadget domain", ADD),
        ("genirq/msi: Add the gadget IMS domain", AFTER)])
    args = ["--tree", str(check_tree(tmp_path))] if where == "tree" \
        else ["--no-tree"]
    status, out = _check(capsys, series, *args)
    found = [l for l in out if ": used-before-defined: " in l]
    assert len(found) == 1, out
    assert "MSI_GADGET_DOMAIN, which only 2/3 defines" in found[0]
    assert found[0].endswith("(1/3)")
    assert not [l for l in out if "needs-prerequisite" in l], out
    if where == "tree":
        assert ": ERROR: " in found[0] and status == 1
    else:
        assert ": WARNING: " in found[0] and "patch-only" in found[0]


@pytest.mark.parametrize("where", ["tree", "patch-only"])
def test_used_after_removed_both_ways(
        where: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    series = CHECKS / "used-after-removed" / "series.mbox"
    args = ["--tree", str(check_tree(tmp_path))] if where == "tree" \
        else ["--no-tree"]
    _, out = _check(capsys, series, *args)
    found = [l for l in out if ": used-after-removed: " in l]
    if where == "tree":
        assert len(found) == 1 and ": ERROR: " in found[0], out
    else:
        # From the patch text alone the removal is not known to be the
        # name's only definition: at most a WARNING.
        assert all(": WARNING: " in l for l in found), out


# 1/3 adds MSI_GADGET_DOMAIN; 2/3 (not in the mailbox) used it in
# kernel/irq/msi.c; 3/3 shows that use as context.  The context line
# comes after the patch defining the name: it proves only that the
# series has it by then, not that the base had it.
LATE = """\
diff --git a/kernel/irq/msi.c b/kernel/irq/msi.c
--- a/kernel/irq/msi.c
+++ b/kernel/irq/msi.c
@@ -24,10 +24,15 @@ bool msi_can_mask(struct msi_domain_info *info)
 \treturn (info->flags & MSI_FLAG_PCI_MSIX) != 0;
 }
 
 bool msi_has_gadget_domain(struct msi_device_data *md)
 {
 \treturn md->__domains[MSI_GADGET_DOMAIN].domain != NULL;
 }
 
+bool msi_gadget_is_default(struct msi_device_data *md)
+{
+\treturn MSI_GADGET_DOMAIN == MSI_DEFAULT_DOMAIN;
+}
+
 bool msi_early(struct msi_domain_info *info)
 {
 \treturn info->flags & (MSI_FLAG_ACTIVATE_EARLY | MSI_FLAG_USE_DEF_DOM_OPS |
"""


def test_context_after_the_defining_patch_is_no_prerequisite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Failed on the first version of the rule: needs-prerequisite
    MSI_GADGET_DOMAIN 'context in 3/3' although 1/3 adds it (seen on
    Part 3 V2 at 6.1: DOMAIN_BUS_PCI_DEVICE_MSI, added by 11/33, is
    context in 30/33 on lines from the missing 20/33)."""
    series = _series(tmp_path, [
        ("genirq/msi: Add the gadget domain", ADD),
        ("genirq/msi: Look up the gadget domain", USE),
        ("genirq/msi: Compare the gadget domain", LATE)])
    text = series.read_text()
    start = text.index("From mboxrd", text.index("[PATCH 2/3]") - 200)
    end = text.index("From mboxrd", text.index("[PATCH 3/3]") - 200)
    series.write_text(text[:start] + text[end:])      # 2/3 is missing
    _, out = _check(capsys, series, "--tree", str(check_tree(tmp_path)))
    assert not [l for l in out if "needs-prerequisite" in l
                or "used-before" in l], out


def test_a_comment_uses_nothing(tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """2/2 only mentions the token 1/2 removed in a comment: no
    used-after-removed (old code: ERROR, it read every word of the
    line)."""
    text = (CHECKS / "used-after-removed" / "series.mbox").read_text()
    old = "+\tirq_domain_update_bus_token(d, DOMAIN_BUS_WIRED);"
    assert old in text
    series = tmp_path / "series.mbox"
    series.write_text(text.replace(
        old, "+\tirq_domain_update_bus_token(d, DOMAIN_BUS_NEXUS); "
        "/* was DOMAIN_BUS_WIRED */"))
    _, out = _check(capsys, series, "--tree", str(check_tree(tmp_path)))
    assert not [l for l in out if "used-after-removed" in l], out


def test_names_in_tree_are_words_of_the_text_whatever_the_bytes(tmp_path, monkeypatch):
    """_in_tree reads only files holding a name not seen yet; a name
    next to a non-ASCII letter is no word, invalid UTF-8 beside one
    does not hide it."""
    from types import SimpleNamespace
    from patchlens.checks import order
    from patchlens.tree.directory import DirectoryTree
    (tmp_path / "a.c").write_bytes(b"int x = MSI_FLAG_A;\n")
    (tmp_path / "b.c").write_bytes("int y = \u00e9MSI_FLAG_B;\n".encode())
    (tmp_path / "c.c").write_bytes(b"\xff\xfeMSI_FLAG_C\xff;\nMSI_FLAG_A\n")
    tree = DirectoryTree(str(tmp_path))
    monkeypatch.setattr(order, "search", lambda ctx, src, lits: {
        p: "" for p in ("a.c", "b.c", "c.c")})
    prof = SimpleNamespace(candidate_literals=lambda names: ())
    got = order._in_tree(SimpleNamespace(base=tree), prof,
                         ["MSI_FLAG_A", "MSI_FLAG_B", "MSI_FLAG_C", "MSI_FLAG_D"], None)
    assert got == {"MSI_FLAG_A", "MSI_FLAG_C"}
