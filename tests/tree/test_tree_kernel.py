"""The IMS series (v1) on real kernel trees: Debian linux-source-6.12 as
a directory, and a git repository at tag v6.12."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.cli import main
from patchlens.mail import read_series
from patchlens.tree import open_tree
from patchlens.tree.apply import AppliedSeries, HunkStatus, apply_series

pytestmark = pytest.mark.kernel


def _patch_27(applied: AppliedSeries) -> dict[str, object]:
    (result,) = [r for r in applied.results if r.index == 27]
    return {f.path: f for f in result.files}


def _check_27(applied: AppliedSeries) -> None:
    files = _patch_27(applied)
    api = files["include/linux/msi_api.h"]
    assert api.applied and [h.status for h in api.hunks] == [HunkStatus.CLEAN]
    msi = files["include/linux/msi.h"]
    (hunk,) = msi.hunks
    assert hunk.status is HunkStatus.FAILED
    # 6.12 has MSI_FLAG_NO_AFFINITY after MSI_FLAG_PCI_MSIX_ALLOC_DYN
    near = hunk.near
    assert near is not None and near.line == 544 and near.matched == 3
    assert near.differs_at == 547
    assert "PCI MSIs cannot be steered" in (near.tree_text or "")
    # the new flag stays readable from the failed hunk
    assert any("MSI_FLAG_PCI_IMS" in l.text for l in hunk.hunk.added)
    after = applied.state_after(27).read("include/linux/msi_api.h")
    assert after is not None and b"MSI_SECONDARY_DOMAIN" in after
    assert b"MSI_FLAG_PCI_IMS" not in applied.state_after(27).read("include/linux/msi.h")


def _check_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 0
    out = capsys.readouterr().out
    section = out.split("patch 27/33", 1)[1].split("\npatch ", 1)[0]
    assert "include/linux/msi.h" in section and "FAILED" in section
    assert "nearly fits at line 544" in section
    assert "PCI MSIs cannot be steered" in section
    api = section.split("include/linux/msi_api.h", 1)[1]
    assert "clean" in api.splitlines()[1]
    assert all(len(l) <= 72 for l in out.splitlines())


def test_ims_27_on_linux_6_12_directory(kernel_tree: Path, corpus: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    mbox = corpus / "ims-part3-v1.mbox"
    tree = open_tree(str(kernel_tree), None)
    assert tree.info.kind == "directory"
    _check_27(apply_series(tree, read_series(str(mbox))))
    _check_cli(["apply", str(mbox), "--tree", str(kernel_tree)], capsys)


def test_ims_27_on_linux_git_at_v6_12(kernel_git: Path, corpus: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    mbox = corpus / "ims-part3-v1.mbox"
    tree = open_tree(str(kernel_git), "v6.12")
    assert tree.info.kind == "git" and tree.info.revision == "v6.12"
    _check_27(apply_series(tree, read_series(str(mbox))))
    _check_cli(["apply", str(mbox), "--tree", str(kernel_git), "--rev", "v6.12"],
               capsys)


def test_ims_27_on_linux_git_at_v6_1(kernel_git: Path, corpus: Path) -> None:
    """6.1 predates msi_api.h (6.2 added it): the hunk fails and says why."""
    tree = open_tree(str(kernel_git), "v6.1")
    applied = apply_series(tree, read_series(str(corpus / "ims-part3-v1.mbox")))
    api = _patch_27(applied)["include/linux/msi_api.h"]
    assert not api.applied and "not in the tree" in api.message
    assert api.hunks[0].status is HunkStatus.FAILED
