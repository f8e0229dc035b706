"""patchlens diff: two revisions of the demo series, patch by patch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main


@pytest.fixture
def v1_v2(fixtures_dir: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    v1 = fixtures_dir / "demo" / "series.mbox"
    text = v1.read_text()
    v2 = (text.replace("[PATCH ", "[PATCH v2 ")
          .replace("MSI_FLAG_WIDGET_IMS\t\t= (1 << 19)",
                   "MSI_FLAG_WIDGET_IMS\t\t= (1 << 20)")
          .replace("@example.org>", ".v2@example.org>"))
    assert v2 != text
    p2 = tmp_path / "v2.mbox"
    p2.write_text(v2)
    both = tmp_path / "both.mbox"
    both.write_text(text + v2)
    return v1, p2, both


def test_diff_two_files(v1_v2, fixtures_dir: Path, capsys) -> None:
    v1, v2, _ = v1_v2
    tree = str(fixtures_dir / "demo" / "tree")
    assert main(["diff", str(v1), str(v2), "--tree", tree,
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == "diff"
    # patchlens-answer/2 (issue 17): a row is an object, numbers numbers
    assert {"name": "MSI_FLAG_WIDGET_IMS",
            "old": {"value": 1 << 19, "bit": 19, "absent": False},
            "new": {"value": 1 << 20, "bit": 20, "absent": False}} \
        in data["constants"]
    p3 = next(p for p in data["patches"] if p["new"] == "3/4")
    assert p3["old"] == "3/4"
    assert "now adds MSI_FLAG_WIDGET_IMS (bit 20)" in p3["changes"]
    assert "no longer adds MSI_FLAG_WIDGET_IMS (bit 19)" in p3["changes"]
    p1 = next(p for p in data["patches"] if p["new"] == "1/4")
    assert p1["changes"] == []


def test_diff_one_mailbox_two_revisions(v1_v2, fixtures_dir: Path,
                                        capsys) -> None:
    _, _, both = v1_v2
    tree = str(fixtures_dir / "demo" / "tree")
    assert main(["diff", str(both), "-v", "1", "-v", "2", "--tree",
                 tree]) == 0
    out = capsys.readouterr().out
    assert out.startswith("DIFF v1 (both.mbox) -> v2 (both.mbox)")
    assert "MSI_FLAG_WIDGET_IMS  bit 19  bit 20" in out
    assert all(len(line) <= 72 for line in out.splitlines())


def test_diff_needs_two_revisions(v1_v2, capsys) -> None:
    _, _, both = v1_v2
    assert main(["diff", str(both), "-v", "1"]) == 2
    assert "two revisions" in capsys.readouterr().err


def test_diff_pairs_a_renamed_prefix(v1_v2, fixtures_dir: Path, tmp_path: Path,
                                     capsys) -> None:
    """A subsystem prefix spelled differently (``_`` / ``-``) and a
    reworded subject are the same patch, not dropped + added (issue 13)."""
    v1, v2, _ = v1_v2
    text = v2.read_text()
    text = (text.replace("genirq/msi: Add MSI_FLAG_WIDGET_IMS",
                         "genirq_msi: Add MSI_FLAG_WIDGET_IMS")
            .replace("widget: Allocate IMS vectors from a secondary domain",
                     "widget: Use a second per device domain for IMS"))
    v3 = tmp_path / "v2b.mbox"
    v3.write_text(text)
    tree = str(fixtures_dir / "demo" / "tree")
    assert main(["diff", str(v1), str(v3), "--tree", tree,
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    pairs = {(p["old"], p["new"]) for p in data["patches"]}
    assert pairs == {("1/4", "1/4"), ("2/4", "2/4"), ("3/4", "3/4"),
                     ("4/4", "4/4")}
    p3 = next(p for p in data["patches"] if p["new"] == "3/4")
    assert not any("subject was" in c for c in p3["changes"])
    p4 = next(p for p in data["patches"] if p["new"] == "4/4")
    assert p4["changes"][0].startswith(
        "subject was: widget: Allocate IMS vectors from a secondary domain")
    assert not any("dropped" in c or "new in this" in c
                   for p in data["patches"] for c in p["changes"])


def test_subject_key_prefix_spelling() -> None:
    from patchlens.impact.seriesdiff import subject_key
    assert subject_key("fsl_mc: Use the MSI parent") == \
        subject_key("fsl-mc: Use the MSI parent.")
    assert subject_key("PCI/MSI: Split it") == subject_key("pci/msi:  split it")
    # Only the prefix: words of the subject itself still count.
    assert subject_key("x: use fsl_mc") != subject_key("x: use fsl-mc")
