"""A removed constant (issue 12, case 5), on the kernel-shaped removal
fixtures (fixtures/removal/): a bus token and its 4 users in 3 files.

The report lists the uses before the series with the patch that
removes each, shows no accept table (nothing can accept a name that is
no longer defined), and a use left behind is an ERROR stale-reference
-- a comment that names the token is not a use.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.checks.builders import FIXTURES as ALL_FIXTURES
from tests.checks.builders import mail, run, write_series

FIXTURES = ALL_FIXTURES / "removal"
TOKEN = "DOMAIN_BUS_GIZMO_MSI"


pytestmark = pytest.mark.usefixtures("private_cache")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    return run(capsys, *args)


def _report(series: str, capsys: pytest.CaptureFixture[str],
            tree: Path = FIXTURES / "tree", fmt: str = "json") -> str:
    _, out = _run(["report", str(FIXTURES / series), "--tree", str(tree),
                   "--format", fmt], capsys)
    return out


def _impact(data: dict, name: str) -> dict:
    return next(i for i in data["impacts"] if i["name"] == name)


def test_all_uses_removed_by_the_same_patch(capsys) -> None:
    data = json.loads(_report("remove-token.mbox", capsys))
    imp = _impact(data, TOKEN)
    got = [(u["site"]["file"], u["site"]["line"], u["removed_by"], u["how"])
           for u in imp["removal"]]
    assert got == [
        ("drivers/bus/gizmo/gizmo-msi.c", 11, "1/1", "line changed"),
        ("drivers/bus/gizmo/gizmo-msi.c", 18, "1/1", "line changed"),
        ("drivers/irqchip/irq-gizmo-msi.c", 16, "1/1", "file removed"),
        ("drivers/irqchip/irq-msi-lib.c", 20, "1/1", "line removed")]
    # No accept table for a token that no longer exists.
    assert imp["filters"] == [] and imp["uses"] == []
    assert not any(f["code"] == "stale-reference" for f in data["findings"])
    text = _report("remove-token.mbox", capsys, fmt="text")
    assert "4 uses before the series, in 3 files: 4 removed" in text
    assert "no code in the tree or the series uses it" not in text
    assert "Parents that filter" not in text


def test_forgotten_user_is_a_stale_reference(capsys) -> None:
    status, out = _run(["check", str(FIXTURES / "remove-token-stale.mbox"),
                        "--tree", str(FIXTURES / "tree"), "--format",
                        "terse"], capsys)
    stale = [l for l in out.splitlines() if ": stale-reference: " in l]
    assert stale == [
        "drivers/irqchip/irq-msi-lib.c:20: ERROR: stale-reference: "
        f"{TOKEN} is removed by 2/2 but still used (1 place(s) in the "
        "tree, 0 later in the series) (2/2)"]
    assert status == 1
    data = json.loads(_report("remove-token-stale.mbox", capsys))
    imp = _impact(data, TOKEN)
    fates = {(u["site"]["file"], u["removed_by"]) for u in imp["removal"]}
    assert fates == {("drivers/bus/gizmo/gizmo-msi.c", "1/2"),
                     ("drivers/irqchip/irq-gizmo-msi.c", "1/2"),
                     ("drivers/irqchip/irq-msi-lib.c", None)}
    assert imp["filters"] == []
    text = _report("remove-token-stale.mbox", capsys, fmt="text")
    assert "3 removed by the series, 1 left" in text
    assert "LEFT: stale-reference" in text


def test_comment_naming_the_token_is_no_use(tmp_path: Path, capsys) -> None:
    tree = tmp_path / "linux"
    shutil.copytree(FIXTURES / "tree", tree)
    (tree / "drivers/irqchip/irq-gadget.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n"
        "/*\n * The gadget parent once served DOMAIN_BUS_GIZMO_MSI too.\n"
        " */\n#include <linux/irqdomain.h>\n\n"
        "static const char *gadget_name = \"DOMAIN_BUS_GIZMO_MSI\";\n"
        "int gadget_token = DOMAIN_BUS_WIRED; // not DOMAIN_BUS_GIZMO_MSI\n")
    _, out = _run(["check", str(FIXTURES / "remove-token.mbox"), "--tree",
                   str(tree), "--format", "terse"], capsys)
    assert "stale-reference" not in out


# A flag removed from an enum whose explicit value the hunk shows, with
# its one user (a parent's supported flags) removed by an earlier patch.
_UNADVERTISE = """\
diff --git a/drivers/irqchip/irq-gizmo-parent.c b/drivers/irqchip/irq-gizmo-parent.c
--- a/drivers/irqchip/irq-gizmo-parent.c
+++ b/drivers/irqchip/irq-gizmo-parent.c
@@ -40,7 +40,6 @@ static const struct msi_parent_ops gizmo_msi_parent_ops = {
 	.supported_flags	= MSI_GENERIC_FLAGS_MASK |
 				  MSI_FLAG_PCI_MSIX |
-				  MSI_FLAG_GIZMO_SLOTS,
+				  0,
 	.bus_select_token	= DOMAIN_BUS_NEXUS,
 	.prefix			= "GIZMO-",
 };
"""
_REMOVE_FLAG = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -30,7 +30,6 @@ enum {
 	MSI_FLAG_PCI_MSIX		= (1 << 16),
 	MSI_FLAG_NO_MASK		= (1 << 17),
-	MSI_FLAG_GIZMO_SLOTS		= (1 << 18),
 };
 
 /* What a parent domain offers its children. */
"""
_REMOVER = "Rae Remover <rae@example.org>"
_FLAG_REMOVAL = "\n".join([
    mail(_UNADVERTISE, "irqchip/gizmo: Stop advertising MSI_FLAG_GIZMO_SLOTS",
         author=_REMOVER, to="gizmo-irq@lists.example.org", n=1, total=2,
         msgid="rm-flag-1@example.org", body="Nobody allocates from the slots."),
    mail(_REMOVE_FLAG, "genirq/msi: Remove MSI_FLAG_GIZMO_SLOTS",
         author=_REMOVER, to="gizmo-irq@lists.example.org", n=2, total=2,
         msgid="rm-flag-2@example.org", date="Tue, 03 Mar 2026 09:02:00 +0000",
         body="No user left."),
])


def test_without_a_tree_a_removal_lists_the_uses_its_patches_remove(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Patch-only, a removed flag's uses before the series are the ones
    the patches remove (read from their - lines); it said "no code in
    the tree used it before the series" with no tree at all."""
    mbox = write_series(tmp_path, _FLAG_REMOVAL)
    _, text = _run(["report", str(mbox), "--no-tree"], capsys)
    assert "no code in the tree used it before the series" not in text
    flat = " ".join(text.split())
    assert "1 use removed by the series, in 1 file (read from the patch " \
        "text: no tree shows a use it leaves behind)" in flat
    assert "other   drivers/irqchip/irq-gizmo-parent.c:42: line removed " \
        "by 1/2" in text
    _, data = _run(["report", str(mbox), "--no-tree", "--format", "json"],
                   capsys)
    imp = _impact(json.loads(data), "MSI_FLAG_GIZMO_SLOTS")
    assert [(u["site"]["file"], u["site"]["line"], u["removed_by"])
            for u in imp["removal"]] == [
        ("drivers/irqchip/irq-gizmo-parent.c", 42, "1/2")]


def test_without_a_tree_a_removed_token_is_in_the_table(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Patch-only, a ``-`` enumerator line of the bus-token enum whose
    hunk does not show the enum's start is still a removal (the hunk's
    @@ section names the enum): it said "none: the series adds, removes
    or moves no family constant" and listed no use."""
    _, text = _run(["report", str(FIXTURES / "remove-token.mbox"),
                    "--no-tree"], capsys)
    assert "adds, removes or moves no family constant" not in text
    row = next(l for l in text.splitlines() if TOKEN in l and "1/1" in l
               and l.startswith("bus token"))
    # Its value is unknown (the hunk does not show the enum's start),
    # not absent: "?" before, "-" after.
    assert row.split()[3:] == ["?", "-", "1/1", "?"]
    assert "removed bus token, value unknown, by 1/1" in text
    _, data = _run(["report", str(FIXTURES / "remove-token.mbox"),
                    "--no-tree", "--format", "json"], capsys)
    imp = _impact(json.loads(data), TOKEN)
    got = sorted((u["site"]["file"], u["removed_by"]) for u in imp["removal"])
    assert ("drivers/irqchip/irq-msi-lib.c", "1/1") in got
    assert ("drivers/bus/gizmo/gizmo-msi.c", "1/1") in got
    assert imp["filters"] == [] and imp["uses"] == []
