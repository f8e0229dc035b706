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
    assert ["MSI_FLAG_WIDGET_IMS", "bit 19", "bit 20"] in data["constants"]
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
