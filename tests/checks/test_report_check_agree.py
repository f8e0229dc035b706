"""``report`` and ``check`` print one finding list from one pipeline and
exit alike (issue 12, case 4); the report folds the hunk findings into
its Applied line and its total says so; without a tree both say once,
first, that the analysis is patch-only (case 3)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from patchlens.cli import main
from patchlens.impact.report import PATCH_ONLY

REPO = Path(__file__).resolve().parents[2]
CHECKS = REPO / "fixtures" / "checks"
CORPUS = REPO.parent / "shared" / "corpus" / "lkml"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _tree(tmp_path: Path, code: str) -> Path:
    root = tmp_path / "linux"
    if not root.exists():
        shutil.copytree(CHECKS / "tree", root)
        if (CHECKS / code / "tree").is_dir():
            shutil.copytree(CHECKS / code / "tree", root, dirs_exist_ok=True)
    return root


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    return status, capsys.readouterr().out


def _both(capsys: pytest.CaptureFixture[str], series: Path,
          where: list[str]) -> tuple[list[object], list[object]]:
    _, rep = _run(capsys, "report", str(series), *where, "--format", "json")
    _, chk = _run(capsys, "check", str(series), *where, "--format", "json")
    return json.loads(rep)["findings"], json.loads(chk)["findings"]


@pytest.mark.parametrize("code", ["hunk-failed", "needs-prerequisite",
                                  "used-before-defined", "bit-collision"])
def test_one_finding_list_and_one_exit_status(
        code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Old code: check added the hunk findings of every file to the
    report's list; the report had none, and exited on its own list."""
    series = CHECKS / code / "series.mbox"
    where = ["--tree", str(_tree(tmp_path, code))]
    rep, chk = _both(capsys, series, where)
    assert rep == chk and rep
    for level in ("error", "warning", "check"):
        a, _ = _run(capsys, "report", str(series), *where, "--fail-on", level)
        b, _ = _run(capsys, "check", str(series), *where, "--fail-on", level)
        assert a == b, level


def test_the_report_folds_hunks_into_applied_and_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = "hunk-failed"
    series = CHECKS / code / "series.mbox"
    where = ["--tree", str(_tree(tmp_path, code))]
    _, terse = _run(capsys, "check", str(series), *where, "--format", "terse")
    hunks = [l for l in terse.splitlines() if ": hunk-failed: " in l]
    _, text = _run(capsys, "report", str(series), *where)
    applied = text[text.index("Applied"):text.index("CONSTANTS")]
    assert f"{len(hunks)} failed" in applied
    patches = sorted({l.rsplit("(", 1)[1].split("/")[0] for l in hunks})
    assert f"failed: {', '.join(patches)}" in " ".join(applied.split())
    findings = text[text.index("FINDINGS"):].split("\n\n")[0]
    listed, total = findings.split("total:")
    assert "hunk-failed" not in listed
    total = " ".join(total.split())
    assert f"{len(hunks)} hunk note" in total and "patchlens apply" in total
    assert f"({len(hunks)} hunk-failed)" in total


def test_patch_only_is_said_once_first(capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    series = CHECKS / "needs-prerequisite" / "series.mbox"
    _, terse = _run(capsys, "check", str(series), "--no-tree",
                    "--format", "terse")
    assert terse.splitlines()[0] == PATCH_ONLY
    assert terse.count("patch-only analysis") == 1
    assert len(PATCH_ONLY) <= 72
    _, text = _run(capsys, "check", str(series), "--no-tree")
    assert text.splitlines()[0] == PATCH_ONLY
    _, data = _run(capsys, "check", str(series), "--no-tree",
                   "--format", "json")
    assert json.loads(data)["patch_only"] == PATCH_ONLY
    _, data = _run(capsys, "report", str(series), "--no-tree",
                   "--format", "json")
    assert json.loads(data)["patch_only"] == PATCH_ONLY
    _, report = _run(capsys, "report", str(series), "--no-tree")
    lines = report.splitlines()
    assert lines.count(PATCH_ONLY) == 1
    assert lines.index(PATCH_ONLY) < next(i for i, l in enumerate(lines)
                                          if l.startswith("Series"))
    applied = next(l for l in lines if l.startswith("Applied"))
    assert "read from the patch text" in applied and "failed" not in applied


def test_no_patch_only_note_with_a_tree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = CHECKS / "needs-prerequisite" / "series.mbox"
    where = ["--tree", str(_tree(tmp_path, "needs-prerequisite"))]
    _, terse = _run(capsys, "check", str(series), *where, "--format", "terse")
    assert "patch-only" not in terse
    _, data = _run(capsys, "check", str(series), *where, "--format", "json")
    assert json.loads(data)["patch_only"] is None


def _corpus_params() -> list[object]:
    names = sorted(p.stem for p in CORPUS.glob("*.mbox"))
    out: list[object] = []
    for n in names:
        out.append(pytest.param(n, "patch-only", marks=pytest.mark.corpus,
                                id=f"{n}-patch-only"))
        out.append(pytest.param(n, "linux-6.12", marks=[pytest.mark.corpus,
                                                        pytest.mark.kernel],
                                id=f"{n}-linux-6.12"))
    return out


@pytest.mark.parametrize(("series", "setting"), _corpus_params())
def test_report_and_check_agree_on_the_corpus(
        series: str, setting: str, capsys: pytest.CaptureFixture[str]) -> None:
    if setting == "patch-only":
        where = ["--no-tree"]
    else:
        tree = os.environ.get("PATCHLENS_KERNEL_TREE")
        if not tree or not Path(tree).is_dir():
            pytest.skip("PATCHLENS_KERNEL_TREE is not set")
        where = ["--tree", tree]
    rep, chk = _both(capsys, CORPUS / f"{series}.mbox", where)
    assert rep == chk


@pytest.mark.parametrize("fmt", ["terse", "b4-check"])
def test_report_as_findings_is_check(fmt: str,
                                     capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    """``report --format terse|b4-check`` is check's output, patch-only
    note included."""
    series = str(CHECKS / "needs-prerequisite" / "series.mbox")
    _, rep = _run(capsys, "report", series, "--no-tree", "--format", fmt)
    _, chk = _run(capsys, "check", series, "--no-tree", "--format", fmt)
    assert rep == chk and PATCH_ONLY in rep
