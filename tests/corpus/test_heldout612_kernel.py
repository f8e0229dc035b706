"""Held-out series on linux 6.12 (make test-kernel): three small series
written the way a submitter would, on 6.12's own files, each with the
answer derived by hand before patchlens was run on it.

- startup-parent: a new generic flag (bit 10, free) that PCI/MSI checks,
  the ITS *requires* through ITS_MSI_FLAGS_REQUIRED and msi-lib clears.
  Right answer: bit 10 added, no finding; every parent whose
  .supported_flags holds MSI_GENERIC_FLAGS_MASK advertises it from
  1/3, the ITS through ITS_MSI_FLAGS_SUPPORTED -- not "from 3/3 via
  ITS_MSI_FLAGS_REQUIRED" (what patchlens said before the fix: the
  required field is another field).
- bit-macros: the flags respelled ``(1 << n)`` -> ``BIT(n)``, then a
  comment added.  Right answer: nothing changes value; no finding.
- drop-and-move: MSI_FLAG_PCI_MSI_MASK_PARENT removed while 7 uses
  remain (gic-v2m, its, mbi, pch, msi-lib, PCI twice), NO_MASK moved
  to the free bit 23.  Right answer: one stale-reference ERROR naming
  the 7 uses; NO_MASK bit 22 -> 23 with no finding (bit 23 is free, no
  parent advertises NO_MASK).

The edits are ours; the files they apply to are read from the kernel
tree when the tests run (nothing of the kernel is stored here).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from patchlens.cli import main

pytestmark = pytest.mark.kernel

Edit = Callable[[str], str]


def _series(tree: Path, work: Path, title: str,
            patches: list[tuple[str, dict[str, Edit]]]) -> Path:
    """A format-patch mbox of ``patches`` (subject, {path: edit}) on
    ``tree``'s files, a cover letter first."""
    repo = work / "repo"
    env = {"GIT_AUTHOR_NAME": "Ann Dev", "GIT_AUTHOR_EMAIL": "ann@example.org",
           "GIT_COMMITTER_NAME": "Ann Dev",
           "GIT_COMMITTER_EMAIL": "ann@example.org",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(work), "PATH": "/usr/bin:/bin"}

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True,
                              capture_output=True, text=True, env=env).stdout
    repo.mkdir(parents=True)
    git("init", "-q")
    paths = {p for _, edits in patches for p in edits}
    for p in paths:
        (repo / p).parent.mkdir(parents=True, exist_ok=True)
        (repo / p).write_bytes((tree / p).read_bytes())
    git("add", "-A")
    git("commit", "-qm", "base")
    for subject, edits in patches:
        for p, edit in edits.items():
            before = (repo / p).read_text()
            after = edit(before)
            assert after != before, f"{subject}: {p} unchanged"
            (repo / p).write_text(after)
        git("commit", "-qam", f"{subject}\n\nWhy it is needed.")
    out = work / "out"
    git("format-patch", "-q", "--cover-letter", "--thread", "-o", str(out),
        f"HEAD~{len(patches)}")
    mbox = work / "series.mbox"
    text = "".join(f.read_text() for f in sorted(out.iterdir()))
    mbox.write_text(text.replace("*** SUBJECT HERE ***", title))
    return mbox


def _report(mbox: Path, tree: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    main(["report", str(mbox), "--tree", str(tree), "--format", "json"])
    return json.loads(capsys.readouterr().out)


def _sub(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


MSI_H = "include/linux/msi.h"


def test_startup_parent(kernel_tree: Path, tmp_path: Path, capsys) -> None:
    mbox = _series(kernel_tree, tmp_path, "PCI/MSI: Parent startup", [
        ("genirq/msi: Add MSI_FLAG_PCI_MSI_STARTUP_PARENT", {MSI_H: _sub(
            "\tMSI_FLAG_PCI_MSI_MASK_PARENT\t= (1 << 9),\n",
            "\tMSI_FLAG_PCI_MSI_MASK_PARENT\t= (1 << 9),\n"
            "\t/* Support for parent startup/shutdown */\n"
            "\tMSI_FLAG_PCI_MSI_STARTUP_PARENT\t= (1 << 10),\n")}),
        ("PCI/MSI: Start up the parent when asked to", {
            "drivers/pci/msi/irqdomain.c": _sub(
                "static void pci_irq_mask_msi(struct irq_data *data)",
                "static unsigned int cond_startup_parent(struct irq_data *data)\n"
                "{\n\tstruct msi_domain_info *info = data->domain->host_data;\n\n"
                "\tif (unlikely(info->flags & MSI_FLAG_PCI_MSI_STARTUP_PARENT))\n"
                "\t\treturn irq_chip_startup_parent(data);\n\treturn 0;\n}\n\n"
                "static void pci_irq_mask_msi(struct irq_data *data)")}),
        ("irqchip/gic-v3-its: Require parent startup for PCI/MSI", {
            "drivers/irqchip/irq-gic-v3-its-msi-parent.c": _sub(
                "\t\t\t\t MSI_FLAG_PCI_MSI_MASK_PARENT)",
                "\t\t\t\t MSI_FLAG_PCI_MSI_MASK_PARENT |\t\\\n"
                "\t\t\t\t MSI_FLAG_PCI_MSI_STARTUP_PARENT)"),
            "drivers/irqchip/irq-msi-lib.c": _sub(
                "\t\trequired_flags &= ~MSI_FLAG_PCI_MSI_MASK_PARENT;",
                "\t\trequired_flags &= ~(MSI_FLAG_PCI_MSI_MASK_PARENT |\n"
                "\t\t\t\t    MSI_FLAG_PCI_MSI_STARTUP_PARENT);")}),
    ])
    data = _report(mbox, kernel_tree, capsys)
    assert [(c["name"], c["before"], c["after"]) for c in data["constants"]] == [
        ("MSI_FLAG_PCI_MSI_STARTUP_PARENT", None, 1 << 10)]
    assert data["findings"] == []
    (imp,) = [i for i in data["impacts"]
              if i["name"] == "MSI_FLAG_PCI_MSI_STARTUP_PARENT"]
    adv = {a["instance"]: a for a in imp["advertisers"]}
    its = adv["gic_v3_its_msi_parent_ops"]
    assert (its["field"], its["with_series"], its["patch"], its["via"]) == (
        "supported_flags", True, "1/3",
        "ITS_MSI_FLAGS_SUPPORTED (MSI_GENERIC_FLAGS_MASK)")
    # Every parent advertising the generic mask gets the new bit from 1/3.
    assert all(a["patch"] == "1/3" for a in adv.values() if a["with_series"])
    assert not any(a["today"] for a in adv.values())
    roles = {(s["file"], s["role"]) for u in imp["uses"] for s in u["sites"]}
    assert ("drivers/pci/msi/irqdomain.c", "check") in roles
    assert ("drivers/irqchip/irq-msi-lib.c", "clear") in roles


def test_bit_macros_change_nothing(kernel_tree: Path, tmp_path: Path, capsys) -> None:
    def respell(text: str) -> str:
        return re.sub(r"(MSI_FLAG_\w+\s*= )\(1 << (\d+)\)",
                      lambda m: f"{m.group(1)}BIT({m.group(2)})", text)
    mbox = _series(kernel_tree, tmp_path, "genirq/msi: BIT() for flags", [
        ("genirq/msi: Use BIT() for the MSI feature flags", {MSI_H: respell}),
        ("genirq/msi: Document bit 19", {MSI_H: _sub(
            "\tMSI_FLAG_LEVEL_CAPABLE\t\t= BIT(18),\n",
            "\tMSI_FLAG_LEVEL_CAPABLE\t\t= BIT(18),\n"
            "\t/* Reserved for MSI-X with a contiguous range */\n")}),
    ])
    data = _report(mbox, kernel_tree, capsys)
    assert data["constants"] == []
    assert data["findings"] == []


def test_drop_and_move(kernel_tree: Path, tmp_path: Path, capsys) -> None:
    mbox = _series(kernel_tree, tmp_path, "genirq/msi: flag clean-up", [
        ("genirq/msi: Drop MSI_FLAG_PCI_MSI_MASK_PARENT and move NO_MASK", {
            MSI_H: lambda t: _sub(
                "\tMSI_FLAG_NO_MASK\t\t= (1 << 22),",
                "\tMSI_FLAG_NO_MASK\t\t= (1 << 23),")(_sub(
                    "\t/* Support for parent mask/unmask */\n"
                    "\tMSI_FLAG_PCI_MSI_MASK_PARENT\t= (1 << 9),\n", "")(t))}),
    ])
    data = _report(mbox, kernel_tree, capsys)
    assert {(c["name"], c["before"], c["after"]) for c in data["constants"]} == {
        ("MSI_FLAG_PCI_MSI_MASK_PARENT", 1 << 9, None),
        ("MSI_FLAG_NO_MASK", 1 << 22, 1 << 23)}
    assert [(f["severity"], f["code"], f["subject"]) for f in data["findings"]] == [
        ("ERROR", "stale-reference", "MSI_FLAG_PCI_MSI_MASK_PARENT")]
    (stale,) = data["findings"]
    where = {(loc["file"], loc["line"]) for loc in stale["facts"]["locations"]
             if loc["kind"] == "tree"}
    assert {f for f, _ in where} >= {
        "drivers/irqchip/irq-gic-v2m.c", "drivers/irqchip/irq-gic-v3-its-msi-parent.c",
        "drivers/irqchip/irq-gic-v3-mbi.c", "drivers/irqchip/irq-loongson-pch-msi.c",
        "drivers/irqchip/irq-msi-lib.c", "drivers/pci/msi/irqdomain.c"}
