"""git and GNU patch as the oracles of ``apply_series`` on real trees.

Every corpus series against both Debian trees: per patch, in sequence,
``patchlens apply``'s verdict is ``git apply --check``'s (and with
``--fuzz 2``, ``patch --dry-run -F2``'s); when git applies a patch, its
result is patchlens's state.  Then the cases issue 14 names.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patchlens.cli import main
from patchlens.mail import read_series
from patchlens.tree import open_tree
from patchlens.tree.apply import (AppliedSeries, HunkResult, HunkStatus,
                                  PatchResult, Rules, apply_series)
from tests.conftest import CORPUS
from tests.git_oracle import compare_with_git, compare_with_patch, have_gnu_patch

pytestmark = pytest.mark.kernel

_SERIES = sorted(p.name for p in CORPUS.glob("*.mbox")) or ["(no corpus)"]
_TREES = ["PATCHLENS_KERNEL_TREE", "PATCHLENS_KERNEL_TREE_6_1"]


def _tree(var: str) -> Path:
    value = os.environ.get(var)
    if not value or not Path(value).is_dir():
        pytest.skip(f"{var} is not set to a directory (make test-kernel sets it)")
    return Path(value)


@pytest.mark.parametrize("var", _TREES + ["PATCHLENS_KERNEL_GIT@v6.12",
                                          "PATCHLENS_KERNEL_GIT@v6.1"])
@pytest.mark.parametrize("name", _SERIES)
def test_patch_by_patch_as_git_apply_check(corpus: Path, var: str,
                                           name: str) -> None:
    """In the two-tag repository a hunk git refuses may merge 3-way from
    its pre-image blob: that is still "git apply --check refuses"."""
    var, _, rev = var.partition("@")
    root = _tree(var)
    if not (corpus / name).is_file():
        pytest.skip(f"{corpus / name} is absent")
    series = read_series(str(corpus / name))
    tree = open_tree(str(root), rev or None)
    applied = apply_series(tree, series)
    assert compare_with_git(applied) == []


@pytest.mark.parametrize("var", _TREES)
@pytest.mark.parametrize("name", _SERIES)
def test_fuzz_2_as_gnu_patch(corpus: Path, var: str, name: str) -> None:
    root = _tree(var)
    if not have_gnu_patch():
        pytest.skip("GNU patch is not installed (.ci/run installs it)")
    if not (corpus / name).is_file():
        pytest.skip(f"{corpus / name} is absent")
    series = read_series(str(corpus / name))
    applied = apply_series(open_tree(str(root), None), series,
                           Rules(fuzz=2, three_way=False))
    assert compare_with_patch(applied, 2) == []


def _hunks(applied: AppliedSeries, index: int, path: str
           ) -> tuple[PatchResult, tuple[HunkResult, ...]]:
    (r,) = [r for r in applied.results if r.index == index]
    (f,) = [f for f in r.files if f.path == path]
    return r, f.hunks


X86_MSI = "arch/x86/include/asm/msi.h"


def test_ims_13_and_26_on_linux_6_12(kernel_tree: Path, corpus: Path) -> None:
    """6.12 already has 26/33's change to asm/msi.h: git refuses 13/33's
    hunk there (its context is not in the file) and 26/33 (already in);
    GNU patch -F2 places 13/33's hunk with fuzz 1 (duplicating the
    X86_VECTOR_MSI_FLAGS_SUPPORTED block) and then 26/33 "cleanly"."""
    series = read_series(str(corpus / "ims-part3-v1.mbox"))
    tree = open_tree(str(kernel_tree), None)
    applied = apply_series(tree, series)
    r13, (h13,) = _hunks(applied, 13, X86_MSI)
    assert h13.status is HunkStatus.FAILED and not r13.git_applies
    r26, (h26,) = _hunks(applied, 26, X86_MSI)
    assert h26.status is HunkStatus.ALREADY and r26.already
    assert h26.describe == "already in the tree"
    assert applied.state_after(26).read(X86_MSI) == tree.read(X86_MSI)

    fuzzy = apply_series(tree, series, Rules(fuzz=2))
    _, (f13,) = _hunks(fuzzy, 13, X86_MSI)
    assert f13.status is HunkStatus.FUZZ and f13.fuzz == 1
    assert f13.describe.endswith("git would refuse")
    after = fuzzy.state_after(13).read(X86_MSI) or b""
    assert after.count(b"#define X86_VECTOR_MSI_FLAGS_SUPPORTED") == 2
    _, (f26,) = _hunks(fuzzy, 26, X86_MSI)
    assert f26.status is HunkStatus.CLEAN


def test_cli_apply_ims_on_linux_6_12(kernel_tree: Path, corpus: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    mbox = corpus / "ims-part3-v1.mbox"
    assert main(["apply", str(mbox), "--tree", str(kernel_tree)]) == 0
    out = capsys.readouterr().out
    section = out.split("patch 26/33", 1)[1].split("\npatch ", 1)[0]
    assert "already in the tree" in section
    assert main(["apply", str(mbox), "--tree", str(kernel_tree),
                 "--fuzz", "2"]) == 0
    out = capsys.readouterr().out
    section = out.split("patch 13/33", 1)[1].split("\npatch ", 1)[0]
    assert "fuzz 1: git would refuse" in section


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> None:
    import subprocess
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_COMMITTER_NAME": "Test Reviewer",
           "GIT_COMMITTER_EMAIL": "r@example.org", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", *args], cwd=cwd, input=stdin, env=env,
                   capture_output=True, check=True)


def test_ims_30_after_git_am_is_already_in_the_tree(
        kernel_git: Path, corpus: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What b4 shazam leaves: v6.12 with 30/33 applied by git am, in a
    (sparse) work tree.  The series names no base: HEAD is analysed,
    30/33 is said to be in it and nothing is applied twice."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mbox = corpus / "ims-part3-v1.mbox"
    series = read_series(str(mbox))
    (p30,) = [p for p in series.patches if p.index == 30]
    path = p30.files[0].new_path or ""
    wt = tmp_path / "linux"
    _git(tmp_path, "clone", "-q", "--shared", "--no-checkout", str(kernel_git),
         str(wt))
    _git(wt, "sparse-checkout", "set", "--no-cone", f"/{path}")
    _git(wt, "checkout", "-q", "-b", "review", "v6.12")
    m = p30.message
    one = (f"From patchlens Mon Sep 17 00:00:00 2001\nFrom: {m.author}\n"
           f"Date: Fri, 11 Nov 2022 14:58:59 +0100\nSubject: {m.subject}\n\n"
           f"{m.body}\n")
    _git(wt, "am", "-q", stdin=one.encode())

    from patchlens.tree.base import open_series_tree
    tree = open_series_tree(str(wt), None, series)
    assert tree.info.revision == "HEAD"
    applied = apply_series(tree, series)
    (r30,) = [r for r in applied.results if r.index == 30]
    assert r30.already and all(h.status is HunkStatus.ALREADY for h in r30.hunks)
    assert applied.state_after(30).read(path) == tree.read(path)
    assert applied.final.read(path) == tree.read(path)
    assert main(["report", str(mbox), "--tree", str(wt)]) in (0, 1)
    out = capsys.readouterr().out
    assert "30/33: already in the tree: not applied again" in out
