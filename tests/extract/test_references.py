"""Reference sites and their roles on the kernel-shaped fixture tree."""

from __future__ import annotations

import json

import pytest

from patchlens.cli import main
from patchlens.extract.profile import load_profile
from patchlens.extract.roles import Role
from patchlens.extract.scan import scan_references
from patchlens.tree.directory import DirectoryTree

NAMES = {
    **{f"DOMAIN_BUS_{n}": "bus_token" for n in (
        "ANY", "WIRED", "GENERIC_MSI", "PCI_MSI", "PLATFORM_MSI",
        "PCI_DEVICE_MSI", "PCI_DEVICE_MSIX", "DEVICE_MSI", "WIRED_TO_MSI",
        "DEMO_LAST")},
    **{f"MSI_FLAG_{n}": "msi_flag" for n in (
        "USE_DEF_DOM_OPS", "USE_DEF_CHIP_OPS", "PCI_MSIX", "MULTI_PCI_MSI",
        "FREE_MSI_DESCS", "NO_MASK")},
    "MSI_GENERIC_FLAGS_MASK": "msi_flag",
    "MSI_DEFAULT_DOMAIN": "domain_id", "MSI_SECONDARY_DOMAIN": "domain_id",
    "MSI_MAX_DEVICE_IRQDOMAINS": "domain_id",
}


@pytest.fixture(scope="module")
def scan(request):
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    return scan_references(DirectoryTree(str(root)), NAMES, load_profile(None),
                           cache=False, jobs=1)


def site(scan, name, file, line=None):
    hits = [s for s in scan.sites if s.name == name and s.file == file
            and (line is None or s.line == line)]
    assert hits, f"no site of {name} in {file}:{line}"
    return hits[0]


def test_every_role(scan):
    roles = {s.role for s in scan.sites}
    assert roles == set(Role)


@pytest.mark.parametrize("name,file,line,role,function", [
    ("DOMAIN_BUS_ANY", "include/linux/irqdomain_defs.h", 10, Role.DEFINE,
     "enum irq_domain_bus_token"),
    ("DOMAIN_BUS_WIRED_TO_MSI", "include/linux/irqdomain_defs.h", 19,
     Role.COMPOSE, "enum irq_domain_bus_token"),
    ("DOMAIN_BUS_PCI_MSI", "include/linux/msi.h", 24, Role.COMPOSE, "MATCH_PCI_MSI"),
    ("MSI_FLAG_PCI_MSIX", "include/linux/msi.h", 22, Role.COMPOSE, "MSI_DEMO_PCI_FLAGS"),
    ("MSI_FLAG_PCI_MSIX", "include/linux/msi.h", 26, Role.CHECK, "msi_demo_is_msix"),
    ("MSI_MAX_DEVICE_IRQDOMAINS", "include/linux/msi.h", 41, Role.BOUND,
     "struct msi_device_data"),
    ("MSI_MAX_DEVICE_IRQDOMAINS", "kernel/irq/msi.c", 6, Role.BOUND, "msi_demo_domain"),
    ("MSI_MAX_DEVICE_IRQDOMAINS", "kernel/irq/msi.c", 15, Role.BOUND, "msi_demo_count"),
    ("MSI_DEFAULT_DOMAIN", "kernel/irq/msi.c", 22, Role.MATCH, "msi_demo_default"),
    ("MSI_SECONDARY_DOMAIN", "kernel/irq/msi.c", 27, Role.MATCH, "msi_demo_create"),
    ("MSI_FLAG_USE_DEF_DOM_OPS", "kernel/irq/msi.c", 32, Role.SET, "msi_demo_update"),
    ("MSI_FLAG_NO_MASK", "kernel/irq/msi.c", 33, Role.CLEAR, "msi_demo_update"),
    ("DOMAIN_BUS_GENERIC_MSI", "kernel/irq/msi.c", 34, Role.SET, "msi_demo_update"),
    ("DOMAIN_BUS_PLATFORM_MSI", "kernel/irq/msi.c", 40, Role.MATCH, "msi_demo_find"),
    ("DOMAIN_BUS_PCI_DEVICE_MSI", "drivers/pci/msi/irqdomain.c", 20, Role.SET,
     "pci_demo_msi_info"),
    ("MSI_FLAG_USE_DEF_CHIP_OPS", "drivers/pci/msi/irqdomain.c", 19, Role.SET,
     "pci_demo_msi_info"),
    ("DOMAIN_BUS_PCI_DEVICE_MSIX", "drivers/pci/msi/msi.c", 11, Role.CHECK,
     "pci_demo_enable_msix"),
    ("DOMAIN_BUS_WIRED", "drivers/irqchip/irq-demo-lib.c", 26, Role.CHECK,
     "demo_init_dev_msi_info"),
    ("DOMAIN_BUS_WIRED_TO_MSI", "drivers/irqchip/irq-demo-lib.c", 10, Role.SET,
     "demo_parent_ops"),
    ("MSI_FLAG_FREE_MSI_DESCS", "drivers/irqchip/irq-demo-lib.c", 22, Role.SET,
     "demo_init_dev_msi_info"),
])
def test_roles(scan, name, file, line, role, function):
    s = site(scan, name, file, line)
    assert (s.role, s.function) == (role, function), s


def test_one_level_call_rule(scan):
    # pci_demo_domain_supports() tests its feature_mask: a check.
    s = site(scan, "MSI_FLAG_PCI_MSIX", "drivers/pci/msi/msi.c", 6)
    assert s.role is Role.CHECK and "pci_demo_domain_supports" in s.reason
    # pci_demo_log() only does arithmetic with it: not a check.
    s = site(scan, "MSI_FLAG_NO_MASK", "drivers/pci/msi/msi.c", 8)
    assert s.role is Role.OTHER and "pci_demo_log" in s.reason


def test_flagset_macros_followed(scan):
    assert set(scan.flagsets["MSI_DEMO_PCI_FLAGS"]) == {
        "MSI_FLAG_MULTI_PCI_MSI", "MSI_FLAG_PCI_MSIX"}
    assert scan.names["DEMO_REQUIRED_FLAGS"] == "flagset"
    s = site(scan, "DEMO_REQUIRED_FLAGS", "drivers/irqchip/irq-demo-lib.c", 8)
    assert s.role is Role.SET and s.function == "demo_parent_ops"


def test_subsystems_from_maintainers(scan):
    assert site(scan, "MSI_FLAG_PCI_MSIX", "drivers/pci/msi/msi.c", 6).subsystem \
        == "DEMO PCI MSI"
    assert site(scan, "DOMAIN_BUS_WIRED", "drivers/irqchip/irq-demo-lib.c").subsystem \
        == "DEMO IRQCHIP DRIVERS"
    # No entry but THE REST: the top two path components.
    assert site(scan, "MSI_FLAG_PCI_MSIX", "drivers/demo/broken.c").subsystem \
        == "drivers/demo"
    sub = scan.subsystems["kernel/irq/msi.c"]
    assert sub.maintainers == ("Ada Example <ada@example.org>",)
    assert sub.lists == ("demo-irq@example.org",)


def test_error_region_kept(scan):
    broken = [s for s in scan.sites if s.file == "drivers/demo/broken.c"]
    assert {s.name for s in broken} == {"DOMAIN_BUS_DEVICE_MSI", "MSI_FLAG_PCI_MSIX",
                                        "MSI_FLAG_MULTI_PCI_MSI"}
    s = site(scan, "DOMAIN_BUS_DEVICE_MSI", "drivers/demo/broken.c")
    assert s.role is Role.CHECK and "unparsed" in s.reason


def test_comments_strings_kept_apart(scan):
    kinds = {(m.name, m.file, m.kind) for m in scan.mentions}
    assert ("DOMAIN_BUS_ANY", "include/linux/irqdomain_defs.h", "comment") in kinds
    assert ("DOMAIN_BUS_GENERIC_MSI", "kernel/irq/msi.c", "string") in kinds
    assert ("MSI_FLAG_PCI_MSIX", "include/linux/msi.h", "comment") in kinds
    assert ("DOMAIN_BUS_WIRED_TO_MSI", "Documentation/core-api/demo-msi.rst",
            "documentation") in kinds
    # ...and none of them is a site.
    assert not [s for s in scan.sites if s.file.startswith("Documentation/")]
    assert not [s for s in scan.sites if s.file == "kernel/irq/msi.c" and s.line == 35]


def test_struct_instances(scan):
    by_var = {s.variable: s for s in scan.structs}
    info = by_var["pci_demo_msi_info"]
    assert info.struct == "msi_domain_info"
    assert info.field("flags") == ("MSI_DEMO_PCI_FLAGS", "MSI_FLAG_USE_DEF_CHIP_OPS")
    assert info.field("bus_token") == ("DOMAIN_BUS_PCI_DEVICE_MSI",)
    ops = by_var["demo_parent_ops"]
    assert ops.struct == "msi_parent_ops"
    from patchlens.extract.structs import flagset_resolver, resolve_fields
    fields = dict(resolve_fields(ops, flagset_resolver(scan.flagsets)))
    assert set(fields["supported_flags"]) == {
        "MSI_FLAG_MULTI_PCI_MSI", "MSI_FLAG_PCI_MSIX", "MSI_FLAG_NO_MASK"}
    assert set(fields["required_flags"]) == {
        "MSI_FLAG_USE_DEF_DOM_OPS", "MSI_FLAG_USE_DEF_CHIP_OPS"}


def test_switch_filter(scan):
    f = next(f for f in scan.filters if f.function == "demo_init_dev_msi_info")
    assert f.kind == "switch" and f.subject == "info->bus_token"
    assert f.accepted == {"DOMAIN_BUS_PCI_DEVICE_MSI", "DOMAIN_BUS_PCI_DEVICE_MSIX",
                          "DOMAIN_BUS_DEVICE_MSI", "DOMAIN_BUS_WIRED_TO_MSI"}
    assert f.rejected == {"DOMAIN_BUS_WIRED"}
    assert (f.default, f.default_text) == ("reject", "WARN, false")


def test_if_filters(scan):
    chain = next(f for f in scan.filters if f.function == "demo_select")
    assert chain.kind == "if" and chain.subject == "tok"
    assert chain.accepted == {"DOMAIN_BUS_ANY", "DOMAIN_BUS_PCI_MSI",
                              "DOMAIN_BUS_PLATFORM_MSI"}
    assert chain.default == "accept" and chain.default_text == "0"
    guard = next(f for f in scan.filters if f.function == "demo_guard")
    assert guard.accepted == {"DOMAIN_BUS_DEVICE_MSI"}
    assert (guard.default, guard.default_text) == ("reject", "-EINVAL")


def test_refs_cli_json(request, capsys):
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    assert main(["refs", "MSI_FLAG_PCI_MSIX", "--tree", str(root), "--no-cache",
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    roles = {(s["file"], s["line"]): s["role"] for s in doc["sites"]}
    assert roles[("drivers/pci/msi/msi.c", 6)] == "check"
    assert all(s["name"] == "MSI_FLAG_PCI_MSIX" for s in doc["sites"])


def test_refs_cli_text_is_narrow(request, capsys):
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    assert main(["refs", "--all", "--tree", str(root), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert all(len(l) <= 72 and l.isascii() for l in out.splitlines())
    assert "pci_demo_enable_msix()" in out


def test_refs_cli_errors(request, capsys):
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    assert main(["refs", "--tree", str(root)]) == 2
    assert main(["refs", "--family", "nope", "--tree", str(root), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "Traceback" not in err


def test_refs_cli_text_wraps_instead_of_cutting(request, capsys):
    """Every site's file:line and reason reach the reader whole."""
    root = request.config.rootpath / "fixtures" / "refs" / "tree"
    assert main(["refs", "MSI_FLAG_PCI_MSIX", "--tree", str(root),
                 "--no-cache", "--format", "json"]) == 0
    sites = json.loads(capsys.readouterr().out)["sites"]
    assert main(["refs", "MSI_FLAG_PCI_MSIX", "--tree", str(root),
                 "--no-cache"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for s in sites:
        assert f"{s['file']}:{s['line']}" in text
        assert " ".join(s["reason"].split()) in text
