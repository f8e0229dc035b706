"""The commands end to end on the bundled demo (fixtures/demo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from patchlens.cli import main
from patchlens.render.text import check_lines


@pytest.fixture
def demo(fixtures_dir: Path) -> tuple[str, str]:
    d = fixtures_dir / "demo"
    return str(d / "series.mbox"), str(d / "tree")


def _run(capsys, *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    return rc, capsys.readouterr().out


def test_make_demo_shows_every_section(demo, capsys) -> None:
    mbox, tree = demo
    rc, out = _run(capsys, "report", mbox, "--tree", tree)
    heads = ["patchlens report --", "Series", "Tree", "Applied",
             "CONSTANTS CHANGED BY THE SERIES", "FINDINGS",
             "IMPACT: DOMAIN_BUS_WIDGET_IMS", "Parents that filter",
             "IMPACT: MSI_FLAG_WIDGET_IMS", "Parents that advertise it",
             "REVIEW"]
    pos = [out.index(h) for h in heads]
    assert pos == sorted(pos)
    for needle in ("bit-collision", "enum-shift", "array-growth",
                   "used-before-defined", "unchecked-flag",
                   "rename to DOMAIN_BUS_GENERIC_MSI: name exists"):
        assert needle in out
    assert check_lines(out) == []
    assert rc == 1


@pytest.mark.parametrize("fail_on,rc", [("error", 1), ("warning", 1),
                                        ("check", 1)])
def test_check_fail_on(demo, capsys, fail_on: str, rc: int) -> None:
    mbox, tree = demo
    got, out = _run(capsys, "check", mbox, "--tree", tree, "--fail-on",
                    fail_on)
    assert got == rc
    assert "ERROR" in out


def test_check_clean_series_exits_0(demo, capsys, tmp_path: Path) -> None:
    """Only patch 4/4 (no constants): no finding at or above error."""
    mbox, tree = demo
    text = Path(mbox).read_text()
    parts = text.split("From mboxrd@z")
    last = "From mboxrd@z" + parts[5]
    one = tmp_path / "one.mbox"
    one.write_text(last.replace("[PATCH 4/4]", "[PATCH]"))
    rc, out = _run(capsys, "check", str(one), "--tree", tree)
    assert rc == 0, out


def test_check_formats(demo, capsys) -> None:
    mbox, tree = demo
    _, out = _run(capsys, "check", mbox, "--tree", tree, "--format", "terse")
    assert out.splitlines()[0].startswith(
        "drivers/irqchip/irq-demo-msi-lib.c:23: ERROR: used-before-defined:")
    _, out = _run(capsys, "check", mbox, "--tree", tree, "--format",
                  "b4-check")
    data = json.loads(out)
    assert {d["status"] for d in data} <= {"pass", "warn", "fail"}
    assert any(d["status"] == "fail" and "patch 2/4" in d["summary"]
               for d in data)
    _, out = _run(capsys, "report", mbox, "--tree", tree, "--format", "json")
    assert json.loads(out)["schema"] == "patchlens-report/2"
    _, out = _run(capsys, "report", mbox, "--tree", tree, "--format",
                  "markdown")
    assert "## Review" in out


def test_accept_and_invert(demo, capsys) -> None:
    mbox, tree = demo
    _, out = _run(capsys, "impact", "accept", "DOMAIN_BUS_WIDGET_IMS",
                  "--series", mbox, "--tree", tree, "--format", "json")
    data = json.loads(out)
    by = {f["function"]: f for f in data["filters"]}
    assert by["demo_msi_lib_init_dev_msi_info"]["with_series"] is True
    assert by["demo_msi_lib_init_dev_msi_info"]["today"] is False
    assert by["demo_arch_init_dev_msi_info"]["with_series"] is False
    _, out = _run(capsys, "impact", "invert", "MSI_FLAG_PCI_MSIX", "--tree",
                  tree)
    assert "pci_msix_template" in out and "pci_msi_template" in out
    assert check_lines(out) == []


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(repo), *args], text=True,
                          capture_output=True, env=env)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_rename_emit_patch_applies_on_series(demo, capsys,
                                             tmp_path: Path) -> None:
    mbox, tree = demo
    repo = tmp_path / "repo"
    shutil.copytree(tree, repo)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "base"),
                 ("am", "-q", "--empty=drop", mbox)):
        res = _git(repo, *args)
        assert res.returncode == 0, res.stderr
    diff = tmp_path / "rename.diff"
    _, out = _run(capsys, "impact", "rename", "DOMAIN_BUS_WIDGET_IMS",
                  "DOMAIN_BUS_DEVICE_IMS", "--series", mbox, "--tree", tree,
                  "--emit-patch", str(diff))
    assert "no collision" in out
    assert "1/4 genirq: Add a bus token" in out
    res = _git(repo, "apply", "--check", str(diff))
    assert res.returncode == 0, res.stderr
    assert _git(repo, "apply", str(diff)).returncode == 0
    res = subprocess.run(["grep", "-rw", "DOMAIN_BUS_WIDGET_IMS", str(repo),
                          "--exclude-dir=.git"], capture_output=True)
    assert res.stdout == b""
    # The user's tree is never written.
    assert "DOMAIN_BUS_WIDGET_IMS" not in Path(
        tree, "include/linux/irqdomain_defs.h").read_text()


def test_bad_input_is_one_line(demo, capsys, tmp_path: Path) -> None:
    mbox, tree = demo
    rc = main(["report", str(tmp_path / "nope.mbox"), "--tree", tree])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("patchlens: ") and err.count("\n") == 1


@pytest.mark.parametrize("argv", [
    ["impact", "accept", "DOMAIN_BUS_NOPE"],
    ["impact", "invert", "MSI_FLAG_NOPE"],
    ["impact", "rename", "MSI_FLAG_NOPE", "MSI_FLAG_X"]])
def test_unknown_name_is_input_error(demo, capsys, argv) -> None:
    _, tree = demo
    assert main([*argv, "--tree", tree]) == 2
    err = capsys.readouterr().err
    assert err == (f"patchlens: {argv[2]}: not a constant of any family in "
                   "the tree or the series\n")


def test_report_on_archive_reply_alone(corpus: Path, capsys) -> None:
    """The seed: a web-archive copy of Jason's reply, no patch, no tree.
    The report is titled after the patch it answers and credits the
    constants rebuilt from its quotes to 27/33."""
    rc, out = _run(capsys, "report", str(corpus / "seed-reply-27-33.txt"),
                   "--no-tree")
    assert rc == 0
    assert out.splitlines()[0].endswith(
        "genirq/msi: Provide constants for PCI/IMS support")
    rows = [l.split() for l in out.splitlines()
            if l.startswith(("bus token", "MSI flag"))]
    assert ["MSI", "flag", "MSI_FLAG_PCI_IMS", "-", "bit", "21",
            "27/33"] in rows
    assert any(r[2] == "DOMAIN_BUS_PCI_DEVICE_IMS" and r[5] == "27/33"
               for r in rows)
    assert check_lines(out) == []
