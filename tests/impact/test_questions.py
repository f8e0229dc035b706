"""impact accept / invert / rename on hand-built facts (the demo's
shape), and --emit-patch checked with a real `git apply --check`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from patchlens.impact.accept import accept
from patchlens.impact.invert import inverse_name, invert
from patchlens.impact.rename import family_prefix, rename, rename_patch
from patchlens.tree.directory import DirectoryTree
from tests.impact_samples import demo_facts


def test_accept_new_token_today_and_with_series() -> None:
    ans = accept(demo_facts(), "DOMAIN_BUS_WIDGET_IMS")
    assert ans.value == 8
    assert ans.defined.startswith("patch 1/4")
    by_fn = {f.function: f for f in ans.filters}
    lib = by_fn["demo_msi_lib_init_dev_msi_info"]
    assert (lib.today, lib.with_series, lib.patch) == (False, True, "2/4")
    assert lib.otherwise == "WARN, false"
    arch = by_fn["demo_arch_init_dev_msi_info"]
    assert (arch.today, arch.with_series, arch.patch) == (False, False, None)


def test_accept_existing_token() -> None:
    ans = accept(demo_facts(), "DOMAIN_BUS_PCI_DEVICE_MSIX")
    assert ans.value == 7 and ans.defined.endswith(":18")
    assert all(f.today and f.with_series for f in ans.filters)


def test_invert_lists_setters_others_checks_flagsets() -> None:
    ans = invert(demo_facts(), "MSI_FLAG_PCI_MSIX")
    assert ans.new_name == "MSI_FLAG_NO_PCI_MSIX"
    assert {r.instance for r in ans.setters} == {
        "pci_msix_template", "demo_arch_msi_parent_ops",
        "demo_gic_msi_parent_ops"}
    assert {r.instance for r in ans.others} == {"pci_msi_template",
                                                "widget_ims_info"}
    assert [s.function for s in ans.checks] == ["pci_setup_msix_domain"]
    assert [s.function for s in ans.set_sites] == [
        "demo_arch_init_dev_msi_info"]
    assert {s.name for s in ans.flagsets} == {
        "DEMO_ARCH_MSI_FLAGS_SUPPORTED", "DEMO_MSI_LIB_FLAGS"}
    table = {row[0]: row[1:] for row in ans.per_subsystem()}
    assert table["PCI"] == (1, 1, 1, 0)


def test_inverse_name() -> None:
    assert inverse_name("MSI_FLAG_PCI_MSIX", "MSI_FLAG_") == "MSI_FLAG_NO_PCI_MSIX"
    assert inverse_name("MSI_FLAG_NO_MASK", "MSI_FLAG_") == "MSI_FLAG_MASK"


def test_rename_collision_prefix_and_respin() -> None:
    facts = demo_facts()
    ans = rename(facts, "DOMAIN_BUS_WIDGET_IMS", "DOMAIN_BUS_GENERIC_MSI")
    assert ans.collisions == (
        "DOMAIN_BUS_GENERIC_MSI already exists: value 2, "
        "include/linux/irqdomain_defs.h:13",)
    assert {s.patch for s in ans.sites} == {"1/4", "2/4", "4/4"}
    assert family_prefix(facts, "bus_token") == "DOMAIN_BUS_"
    bad = rename(facts, "DOMAIN_BUS_WIDGET_IMS", "BUS_GENERIC_IMS")
    assert bad.collisions == ("BUS_GENERIC_IMS breaks the bus token prefix "
                              "DOMAIN_BUS_",)
    free = rename(facts, "DOMAIN_BUS_WIDGET_IMS", "DOMAIN_BUS_DEVICE_IMS")
    assert free.collisions == ()


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], text=True,
                          capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_emit_patch_applies_with_git(tmp_path: Path, fixtures_dir: Path
                                     ) -> None:
    repo = tmp_path / "tree"
    shutil.copytree(fixtures_dir / "demo" / "tree", repo)
    _git(repo, "init", "-q")
    files = ["include/linux/irqdomain_defs.h",
             "drivers/irqchip/irq-demo-msi-lib.c",
             "drivers/irqchip/irq-demo-msi-lib.h",
             "Documentation/core-api/demo-msi.rst", "no/such/file.c"]
    text, n = rename_patch(DirectoryTree(str(repo)), files,
                           "DOMAIN_BUS_DEVICE_MSI", "DOMAIN_BUS_DEV_MSI")
    assert n == 4
    patch = tmp_path / "rename.diff"
    patch.write_text(text)
    res = _git(repo, "apply", "--check", str(patch))
    assert res.returncode == 0, res.stderr
    assert _git(repo, "apply", str(patch)).returncode == 0
    body = (repo / "include/linux/irqdomain_defs.h").read_text()
    assert "DOMAIN_BUS_DEV_MSI," in body and "DOMAIN_BUS_DEVICE_MSI" not in body
    # Word boundaries: a longer name containing the old one is untouched.
    text2, _ = rename_patch(DirectoryTree(str(repo)), files,
                            "DOMAIN_BUS_DEV", "X")
    assert text2 == ""
