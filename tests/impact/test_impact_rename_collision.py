"""impact rename on a collision (issue 13): the emitted patch would
declare the new name twice, so nothing is written unless --force, the
exit status is 1 and the answer says why; --emit-patch - writes the
patch to stdout; the collision is a record in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main


@pytest.fixture
def demo(fixtures_dir: Path) -> tuple[str, str]:
    d = fixtures_dir / "demo"
    return str(d / "series.mbox"), str(d / "tree")


def test_collision_writes_nothing(demo, capsys, tmp_path: Path) -> None:
    mbox, tree = demo
    diff = tmp_path / "x.diff"
    rc = main(["impact", "rename", "DOMAIN_BUS_WIDGET_IMS",
               "DOMAIN_BUS_GENERIC_MSI", "--series", mbox, "--tree", tree,
               "--emit-patch", str(diff)])
    out = capsys.readouterr().out
    assert rc == 1
    assert not diff.exists()
    assert "DOMAIN_BUS_GENERIC_MSI already exists" in out
    assert "not written" in " ".join(out.split())
    assert "--force" in out


def test_collision_with_force_writes(demo, capsys, tmp_path: Path) -> None:
    mbox, tree = demo
    diff = tmp_path / "x.diff"
    rc = main(["impact", "rename", "DOMAIN_BUS_WIDGET_IMS",
               "DOMAIN_BUS_GENERIC_MSI", "--series", mbox, "--tree", tree,
               "--emit-patch", str(diff), "--force"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "DOMAIN_BUS_GENERIC_MSI" in diff.read_text()
    assert "wrote" in out.split()


def test_quiet_collision_says_why_on_stderr(demo, capsys,
                                            tmp_path: Path) -> None:
    mbox, tree = demo
    diff = tmp_path / "x.diff"
    rc = main(["impact", "rename", "DOMAIN_BUS_WIDGET_IMS",
               "DOMAIN_BUS_GENERIC_MSI", "--series", mbox, "--tree", tree,
               "--emit-patch", str(diff), "-q"])
    err = capsys.readouterr().err
    assert rc == 1 and not diff.exists()
    assert "already exists" in err and "not written" in err


def test_emit_patch_dash_is_stdout(demo, capsys, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    mbox, tree = demo
    monkeypatch.chdir(tmp_path)
    rc = main(["impact", "rename", "DOMAIN_BUS_WIDGET_IMS",
               "DOMAIN_BUS_DEVICE_IMS", "--series", mbox, "--tree", tree,
               "--emit-patch", "-"])
    cap = capsys.readouterr()
    assert rc == 0
    assert not (tmp_path / "-").exists()
    assert cap.out.startswith("diff --git a/")
    assert "+" in cap.out and "DOMAIN_BUS_DEVICE_IMS" in cap.out
    # The answer does not mix into the patch.
    assert "RENAME" not in cap.out and "RENAME" in cap.err
    assert "wrote stdout" in cap.err


def test_collision_is_a_json_record(demo, capsys) -> None:
    mbox, tree = demo
    rc = main(["impact", "rename", "DOMAIN_BUS_WIDGET_IMS",
               "DOMAIN_BUS_GENERIC_MSI", "--series", mbox, "--tree", tree,
               "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0           # no patch asked for: nothing refused
    [c] = data["collisions"]
    assert c["kind"] == "exists" and c["blocks"] is True
    assert c["name"] == "DOMAIN_BUS_GENERIC_MSI"
    assert c["value"] == 2
    assert c["file"] == "include/linux/irqdomain_defs.h"
    assert c["line"] == 13
    assert "conflicts" not in data
    assert data["patch_refused"] is False


def test_prefix_break_does_not_block(demo, capsys, tmp_path: Path) -> None:
    mbox, tree = demo
    diff = tmp_path / "x.diff"
    rc = main(["impact", "rename", "DOMAIN_BUS_WIDGET_IMS",
               "BUS_WIDGET_IMS", "--series", mbox, "--tree", tree,
               "--emit-patch", str(diff), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and diff.exists()
    assert [c["kind"] for c in data["collisions"]] == ["prefix"]
    assert data["collisions"][0]["blocks"] is False
