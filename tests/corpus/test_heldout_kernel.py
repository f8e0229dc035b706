"""Held-out validation (make test-kernel): series built at test time
from real v6.1 -> v6.12 deltas of the constant families
(tests/heldout.py), checked claim by claim against the answers derived
by hand (tests/corpus/EXPECTATIONS.md, "Held-out series"), on v6.1 as a
directory, as git at --rev v6.1, and without a tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main
from tests.heldout import HELD_OUT, build_mbox

pytestmark = pytest.mark.kernel

FLAGS_CHANGED = {
    "MSI_FLAG_MULTI_PCI_MSI": (2, 16), "MSI_FLAG_PCI_MSIX": (3, 17),
    "MSI_FLAG_ACTIVATE_EARLY": (4, 2), "MSI_FLAG_MUST_REACTIVATE": (5, 3),
    "MSI_FLAG_LEVEL_CAPABLE": (6, 18), "MSI_FLAG_DEV_SYSFS": (7, 4),
    "MSI_FLAG_MSIX_CONTIGUOUS": (8, 19),
    "MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS": (9, 5),
    "MSI_FLAG_FREE_MSI_DESCS": (10, 6)}
FLAGS_ADDED = {"MSI_FLAG_USE_DEV_FWNODE": 7, "MSI_FLAG_PARENT_PM_DEV": 8,
               "MSI_FLAG_PCI_MSI_MASK_PARENT": 9,
               "MSI_FLAG_PCI_MSIX_ALLOC_DYN": 20, "MSI_FLAG_NO_AFFINITY": 21,
               "MSI_FLAG_NO_MASK": 22}
TOKENS_ADDED = {"DOMAIN_BUS_PCI_DEVICE_MSI": 11, "DOMAIN_BUS_PCI_DEVICE_MSIX": 12,
                "DOMAIN_BUS_DMAR": 13, "DOMAIN_BUS_AMDVI": 14,
                "DOMAIN_BUS_DEVICE_MSI": 15, "DOMAIN_BUS_WIRED_TO_MSI": 16}


@pytest.fixture(params=["dir", "git", "none"])
def setting(request: pytest.FixtureRequest, kernel_git: Path,
            kernel_tree_6_1: Path) -> list[str]:
    return {"dir": ["--tree", str(kernel_tree_6_1)],
            "git": ["--tree", str(kernel_git), "--rev", "v6.1"],
            "none": ["--no-tree"]}[request.param]


def _report(name: str, kernel_git: Path, tmp_path: Path, args: list[str],
            capsys: pytest.CaptureFixture[str]) -> dict:
    title, cover, patches = HELD_OUT[name]
    mbox = tmp_path / f"{name}.mbox"
    mbox.write_text(build_mbox(kernel_git, title, cover, patches))
    main(["report", str(mbox), *args, "--format", "json"])
    return json.loads(capsys.readouterr().out)


def _findings(data: dict) -> set[tuple[str, str, str]]:
    return {(f["severity"], f["code"], f["subject"] or "")
            for f in data["findings"]}


def _constants(data: dict) -> dict[str, tuple[int | None, int | None]]:
    return {c["name"]: (c["before"], c["after"]) for c in data["constants"]}


def test_bus_tokens_move(kernel_git: Path, setting: list[str], tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    data = _report("bus-tokens-defs", kernel_git, tmp_path, setting, capsys)
    assert _constants(data) == {n: (None, v) for n, v in TOKENS_ADDED.items()}
    (move,) = data["moves"]
    assert (move["old_file"], move["old_line"], move["new_file"],
            move["new_line"]) == ("include/linux/irqdomain.h", 78,
                                  "include/linux/irqdomain_defs.h", 12)
    assert move["changed"] == []
    assert _findings(data) == set()


def test_flags_rearranged(kernel_git: Path, setting: list[str],
                          tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    data = _report("msi-flags-612", kernel_git, tmp_path, setting, capsys)
    want = {n: (1 << a, 1 << b) for n, (a, b) in FLAGS_CHANGED.items()}
    want |= {n: (None, 1 << b) for n, b in FLAGS_ADDED.items()}
    assert _constants(data) == want
    # Nothing in 6.1 or the patch sets or tests a new flag; the
    # renumbered ones are not new.
    assert _findings(data) == {
        ("CHECK", code, n) for n in FLAGS_ADDED
        for code in ("unset-flag", "unchecked-flag")}


def test_gicv2m_parent(kernel_git: Path, setting: list[str], tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    data = _report("gicv2m-parent", kernel_git, tmp_path, setting, capsys)
    # Supported (MSI_GENERIC_FLAGS_MASK: bits 0-15) and required flags set
    # bits 7-9; nothing sets 20-22, nothing tests any new flag.
    assert _findings(data) == {
        ("CHECK", "unchecked-flag", n) for n in FLAGS_ADDED} | {
        ("CHECK", "unset-flag", n) for n in (
            "MSI_FLAG_PCI_MSIX_ALLOC_DYN", "MSI_FLAG_NO_AFFINITY",
            "MSI_FLAG_NO_MASK")}
    imp = next(i for i in data["impacts"]
               if i["name"] == "MSI_FLAG_USE_DEV_FWNODE")
    if "--no-tree" not in setting:
        assert [(a["instance"], a["today"], a["with_series"], a["patch"])
                for a in imp["advertisers"]] == [
            ("gicv2m_msi_parent_ops", False, True, "2/2")]


def test_remap_tokens_are_own_tokens(kernel_git: Path, setting: list[str],
                                     tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    data = _report("remap-tokens", kernel_git, tmp_path, setting, capsys)
    known = "--no-tree" not in setting
    assert _constants(data) == {
        "DOMAIN_BUS_DMAR": (None, 11 if known else None),
        "DOMAIN_BUS_AMDVI": (None, 12 if known else None)}
    assert _findings(data) == set()
    for name, file in (("DOMAIN_BUS_DMAR", "drivers/iommu/intel/irq_remapping.c"),
                       ("DOMAIN_BUS_AMDVI", "drivers/iommu/amd/iommu.c")):
        imp = next(i for i in data["impacts"] if i["name"] == name)
        sites = [(s["file"], s["role"]) for g in imp["uses"]
                 for s in g["sites"]]
        assert sites == [(file, "set")], sites
        assert imp["filters"] == []


def test_domain_ids(kernel_git: Path, setting: list[str], tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    data = _report("domain-ids", kernel_git, tmp_path, setting, capsys)
    assert _constants(data) == {"MSI_DEFAULT_DOMAIN": (None, 0),
                                "MSI_MAX_DEVICE_IRQDOMAINS": (None, 1)}
    assert _findings(data) == set()
