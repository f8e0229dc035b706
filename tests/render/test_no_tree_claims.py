"""Patch-only runs claim nothing about a tree (audit of the reply-ready
output): a patch deleting a file is not "already in the tree" (there is
no tree; it said "already in the tree: 1/2 (the series is partly
applied ...)" and counted "1 already in the tree, 3 failed"), and the
apply summary says the hunks were read from the patch text."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.cli import main

_PATCH = """\
From mboxrd@z Thu Jan  1 00:00:00 1970
From: Dee Deleter <dee@example.org>
To: gizmo-irq@lists.example.org
Subject: [PATCH {n}/2] {subject}
Date: Tue, 03 Mar 2026 09:0{n}:00 +0000
Message-ID: <del-{n}@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

{body}

Signed-off-by: Dee Deleter <dee@example.org>
---
{diff}-- 
2.39.5

"""

_DELETE = """\
diff --git a/drivers/irqchip/irq-gizmo-its.c b/drivers/irqchip/irq-gizmo-its.c
deleted file mode 100644
index 3c56708..0000000
--- a/drivers/irqchip/irq-gizmo-its.c
+++ /dev/null
@@ -1,5 +0,0 @@
-// SPDX-License-Identifier: GPL-2.0
-int gizmo_its_probe(void)
-{
-\treturn 0;
-}
"""

_MAKEFILE = """\
diff --git a/drivers/irqchip/Makefile b/drivers/irqchip/Makefile
--- a/drivers/irqchip/Makefile
+++ b/drivers/irqchip/Makefile
@@ -3,3 +3,2 @@
 obj-$(CONFIG_GIZMO_MSI)\t\t+= irq-gizmo-msi.o
-obj-$(CONFIG_GIZMO_ITS)\t\t+= irq-gizmo-its.o
 obj-$(CONFIG_GIZMO_LIB)\t\t+= irq-gizmo-lib.o
"""


@pytest.fixture
def series(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mbox = tmp_path / "series.mbox"
    mbox.write_text(
        _PATCH.format(n=1, subject="irqchip/gizmo: Remove the gizmo ITS",
                      body="It never shipped.", diff=_DELETE)
        + _PATCH.format(n=2, subject="irqchip/gizmo: Drop the ITS object",
                        body="Its source is gone.", diff=_MAKEFILE))
    return mbox


def _out(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(args)
    return capsys.readouterr().out


def test_a_deleted_file_is_not_already_in_a_tree_there_is_none(
        series: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applied = _out(["apply", str(series), "--no-tree"], capsys)
    assert "already" not in applied and "partly applied" not in applied
    assert applied.rstrip().endswith(
        "2 hunks read from the patch text (no tree to apply them to)")
    for fmt in ("text", "markdown"):
        report = _out(["report", str(series), "--no-tree", "--format", fmt],
                      capsys)
        assert "already" not in report and "partly applied" not in report
    check = _out(["check", str(series), "--no-tree", "--format", "terse"],
                 capsys)
    assert "already-applied" not in check and "hunk-failed" not in check


_FAILS = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -24,6 +24,7 @@ enum {
 
 \tMSI_FLAG_PCI_MSIX\t\t= (1 << 16),
 \tMSI_FLAG_NO_MASK\t\t= (1 << 17),
+\t/* a comment line the tree does not have */
 };
 
 /* A line the tree does not have either. */
"""


def test_two_patches_failing_alike_are_two_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The same hunk failing in 1/2 and 2/2 (a resend folded into one
    series, or a fix repeated) is two hunk-failed findings: check
    merged them into one while the report's Applied line counted two
    (corpus: Part 2 V1 10/20 and 11/20 at linux-6.1)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mbox = tmp_path / "series.mbox"
    mbox.write_text(
        _PATCH.format(n=1, subject="genirq/msi: Comment the flags",
                      body="Say what they are.", diff=_FAILS)
        + _PATCH.format(n=2, subject="genirq/msi: Comment the flags again",
                        body="Say it twice.", diff=_FAILS))
    tree = Path(__file__).resolve().parents[2] / "fixtures" / "checks" / "tree"
    check = _out(["check", str(mbox), "--tree", str(tree), "--format",
                  "terse"], capsys)
    failed = [l for l in check.splitlines() if ": hunk-failed: " in l]
    assert [l[-5:] for l in failed] == ["(1/2)", "(2/2)"]
    report = _out(["report", str(mbox), "--tree", str(tree)], capsys)
    assert "2 failed" in " ".join(report.split())


_RENUMBER = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -24,6 +24,6 @@ enum {
 
 \tMSI_FLAG_PCI_MSIX\t\t= (1 << 16),
-\tMSI_FLAG_NO_MASK\t\t= (1 << 17),
+\tMSI_FLAG_NO_MASK\t\t= (1 << 18),
 };
 
 /* What a parent domain offers its children. */
"""


def test_without_a_tree_an_unused_constant_is_not_unused_in_the_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Patch-only, a renumbered flag no + line uses: the report said "no
    code in the tree or the series uses it" with no tree to look in
    (Part 3 V1 --no-tree: MSI_FLAG_LEVEL_CAPABLE and two more)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mbox = tmp_path / "series.mbox"
    mbox.write_text(_PATCH.format(n=1, subject="genirq/msi: Move NO_MASK",
                                  body="Make room.", diff=_RENUMBER)
                    .replace("[PATCH 1/2]", "[PATCH 1/1]"))
    report = " ".join(_out(["report", str(mbox), "--no-tree"],
                           capsys).split())
    assert "IMPACT: MSI_FLAG_NO_MASK" in report
    assert "no code in the tree" not in report
    assert "no line the series adds uses it (no tree: its uses in the " \
        "tree are not known)" in report
    from patchlens.render.text import check_lines
    assert check_lines(_out(["report", str(mbox), "--no-tree"], capsys)) == []


def test_an_advertising_parent_is_cited_at_its_field_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """"Parents that advertise it" says ".supported_flags at FILE:LINE":
    the line of that field, not the structure's first line (it said
    irq-demo-msi-lib.c:34, the `static const struct msi_parent_ops` line;
    at linux-6.12, amd/iommu.c:4026 for the field on 4027)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    report = _out(["report", str(demo / "series.mbox"), "--tree",
                   str(demo / "tree")], capsys)
    assert ".supported_flags at drivers/irqchip/irq-demo-msi-lib.c:35" \
        in report
