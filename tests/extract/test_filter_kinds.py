"""Issue 13's kinds of bus-token filters, on a kernel-shaped toy tree
(fixtures/accept/tree, written for these tests): (a) a parent's
decision on a child's token, (b) a parent found by a lookup token,
(c) a test of a domain's own token, (d) core helpers -- and the
configuration each accepted token needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.c.parse import parse_c
from patchlens.cli import main
from patchlens.extract.filters import (CHILD, CORE, LOOKUP, OWN, filter_kind,
                                       find_filters, value_macros)
from patchlens.extract.profile import load_profile

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "accept" / "tree"
NAMES = {n: "bus_token" for n in (
    "DOMAIN_BUS_ANY", "DOMAIN_BUS_WIRED", "DOMAIN_BUS_GENERIC_MSI",
    "DOMAIN_BUS_PCI_MSI", "DOMAIN_BUS_PLATFORM_MSI", "DOMAIN_BUS_NEXUS",
    "DOMAIN_BUS_IPI", "DOMAIN_BUS_PCI_DEVICE_MSI",
    "DOMAIN_BUS_PCI_DEVICE_MSIX", "DOMAIN_BUS_DEVICE_MSI",
    "DOMAIN_BUS_WIRED_TO_MSI")}
FAMILIES = frozenset({"bus_token"})


def _filters(path: str):
    tree = parse_c((TREE / path).read_bytes())
    return find_filters(path, tree, NAMES, FAMILIES)


def _kinds(path: str) -> list[tuple[str, int, str]]:
    p = load_profile(None)
    return [(f.function, f.line, filter_kind(f, p.callbacks, p.core))
            for f in _filters(path)]


def test_child_token_in_init_dev_msi_info_is_a_decision_on_a_child() -> None:
    # The same function tests the parent's own token first (c), then
    # the child's info->bus_token (a); the select callback's key is a
    # lookup, never a child's token.
    assert _kinds("drivers/irqchip/irq-toy-lib.c") == [
        ("toy_lib_init_dev_msi_info", 13, OWN),
        ("toy_lib_init_dev_msi_info", 21, CHILD),
        ("toy_ipi_match", 43, LOOKUP)]


def test_msi_prepare_reads_the_child_through_host_data() -> None:
    f, = _filters("arch/demo/kernel/msi.c")
    assert (f.origin, f.member) == ("arg 0->host_data", "bus_token")
    assert _kinds("arch/demo/kernel/msi.c") == [("toy_msi_prepare", 13, CHILD)]


def test_core_helpers_and_own_tokens_are_never_children() -> None:
    assert _kinds("kernel/irq/toy-core.c") == [
        ("toy_check_reservation_mode", 9, CORE), ("toy_alloc_name", 22, CORE)]
    # A template's token tested by the code it is handed to: its own.
    assert _kinds("drivers/pci/controller/pcie-toy.c") == [
        ("toy_create_device_domain", 10, OWN)]


def test_case_conditions() -> None:
    f = _filters("drivers/irqchip/irq-toy-lib.c")[1]
    # Under #ifdef, and behind a WARN_ON_ONCE(!IS_ENABLED()) guard.
    assert dict(f.conditions) == {
        "DOMAIN_BUS_PCI_DEVICE_MSI": "CONFIG_TOY_PCI",
        "DOMAIN_BUS_PCI_DEVICE_MSIX": "CONFIG_PCI_MSI"}
    assert f.accepted == {"DOMAIN_BUS_PCI_DEVICE_MSI",
                          "DOMAIN_BUS_PCI_DEVICE_MSIX", "DOMAIN_BUS_DEVICE_MSI"}
    assert (f.default, f.default_text) == ("reject", "WARN, false")


def test_value_macros_keep_their_condition() -> None:
    path = "drivers/irqchip/irq-toy-lib.h"
    got = value_macros(path, parse_c((TREE / path).read_bytes()), NAMES,
                       FAMILIES)
    assert [(m.name, m.tokens, m.condition, m.line) for m in got] == [
        ("TOY_MATCH_PCI", ("DOMAIN_BUS_PCI_MSI",), "CONFIG_PCI_MSI", 9),
        ("TOY_MATCH_PLATFORM", ("DOMAIN_BUS_PLATFORM_MSI",), None, 14)]


def _accept(token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> dict:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["impact", "accept", token, "--tree", str(TREE),
                 "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _rows(records: list[dict]) -> list[tuple]:
    return [(r["function"], f"{r['file']}:{r['line']}", r["with_series"],
             r["condition"], r["otherwise"],
             [(a["token"], a["condition"]) for a in r["accepted"]])
            for r in records]


def test_accept_tables_are_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    ans = _accept("DOMAIN_BUS_PCI_DEVICE_MSIX", tmp_path, monkeypatch, capsys)
    lib = [("DOMAIN_BUS_DEVICE_MSI", None),
           ("DOMAIN_BUS_PCI_DEVICE_MSI", "CONFIG_TOY_PCI"),
           ("DOMAIN_BUS_PCI_DEVICE_MSIX", "CONFIG_PCI_MSI")]
    assert _rows(ans["filters"]) == [
        ("toy_msi_prepare", "arch/demo/kernel/msi.c:13", True, None,
         "-EINVAL", [("DOMAIN_BUS_PCI_DEVICE_MSI", None),
                     ("DOMAIN_BUS_PCI_DEVICE_MSIX", None)]),
        ("toy_lib_init_dev_msi_info", "drivers/irqchip/irq-toy-lib.c:21",
         True, "CONFIG_PCI_MSI", "WARN, false", lib)]
    assert {r["decides"] for r in ans["filters"]} == {"child"}
    # Selection: the line of the deciding field, macros resolved with
    # their condition.
    assert _rows(ans["selections"]) == [
        ("toy_parent_ops", "drivers/irqchip/irq-toy-parent.c:11", False, None,
         "not selected", [("DOMAIN_BUS_NEXUS", None),
                          ("DOMAIN_BUS_PCI_MSI", "CONFIG_PCI_MSI"),
                          ("DOMAIN_BUS_PLATFORM_MSI", None)]),
        ("toy_generic_ops", "drivers/irqchip/irq-toy-parent.c:16", False, None,
         "not selected", [("DOMAIN_BUS_GENERIC_MSI", None),
                          ("DOMAIN_BUS_PLATFORM_MSI", None)])]
    assert ans["unlisted"] == {"core": 2, "lookup": 1, "own": 2}


def test_accept_select_token_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    ans = _accept("DOMAIN_BUS_GENERIC_MSI", tmp_path, monkeypatch, capsys)
    found = [r for r in ans["selections"] if r["with_series"]]
    # Found by its select token: the .bus_select_token line decides.
    assert [(r["function"], r["line"], r["subject"]) for r in found] == [
        ("toy_generic_ops", 17, "bus_select_token")]
    assert all(r["with_series"] is False for r in ans["filters"])


def _series(tmp_path: Path, token: str, file: str, body: list[str],
            extra: str = "") -> Path:
    """A one-patch series adding ``token`` to the enum and a new file
    (and ``extra`` diff text)."""
    new = "\n".join("+" + line for line in body)
    text = f"""From mboxrd@z Thu Jan  1 00:00:00 1970
From: Tess Toy <tess@example.org>
Subject: [PATCH 1/1] genirq: Add {token}
Date: Tue, 03 Mar 2026 09:01:00 +0000
Message-ID: <accept-kinds-{token}@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

A new bus token.

Signed-off-by: Tess Toy <tess@example.org>
---
diff --git a/include/linux/irqdomain_defs.h b/include/linux/irqdomain_defs.h
--- a/include/linux/irqdomain_defs.h
+++ b/include/linux/irqdomain_defs.h
@@ -15,4 +15,5 @@
 \tDOMAIN_BUS_PCI_DEVICE_MSIX,
 \tDOMAIN_BUS_DEVICE_MSI,
 \tDOMAIN_BUS_WIRED_TO_MSI,
+\t{token},
 }};
diff --git a/{file} b/{file}
new file mode 100644
--- /dev/null
+++ b/{file}
@@ -0,0 +1,{len(body)} @@
{new}
{extra}--
2.39.5
"""
    path = tmp_path / f"{token}.mbox"
    path.write_text(text)
    return path


def _unhandled(series: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> list[str]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    main(["check", str(series), "--tree", str(TREE), "--format", "terse"])
    return sorted(line.split(": unhandled-enumerator: ")[0].split(": ")[0]
                  for line in capsys.readouterr().out.splitlines()
                  if "unhandled-enumerator" in line)


def test_unhandled_only_at_decisions_on_a_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A child's token (a device domain's msi_domain_info.bus_token):
    # only the parents' decisions on a child count, never the core
    # helpers, the parent's own token, the lookup callback or the
    # template check.
    series = _series(tmp_path, "DOMAIN_BUS_TOY_IMS", "drivers/misc/toy-ims.c", [
        "// SPDX-License-Identifier: GPL-2.0",
        "static struct msi_domain_info toy_ims_info = {",
        "\t.bus_token\t= DOMAIN_BUS_TOY_IMS,",
        "};"])
    assert _unhandled(series, tmp_path, monkeypatch, capsys) == [
        "arch/demo/kernel/msi.c:13", "drivers/irqchip/irq-toy-lib.c:21"]


def test_lookup_key_is_not_a_child_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Used only as a search key and as a domain's own token: no child
    # domain carries it, so no parent's decision can refuse it.
    series = _series(tmp_path, "DOMAIN_BUS_TOY_NEXUS", "drivers/irqchip/irq-toy-nexus.c", [
        "// SPDX-License-Identifier: GPL-2.0",
        "static int toy_nexus_probe(struct irq_domain *d, struct irq_fwspec *fwspec)",
        "{",
        "\tirq_domain_update_bus_token(d, DOMAIN_BUS_TOY_NEXUS);",
        "\treturn irq_find_matching_fwspec(fwspec, DOMAIN_BUS_TOY_NEXUS) != NULL;",
        "}",
        "static const struct msi_parent_ops toy_nexus_ops = {",
        "\t.bus_select_token\t= DOMAIN_BUS_TOY_NEXUS,",
        "};"])
    assert _unhandled(series, tmp_path, monkeypatch, capsys) == []


def test_a_case_the_series_adds_is_handled_even_if_its_hunk_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The patch adds the case to toy_lib_init_dev_msi_info, against a
    # version of the file the tree no longer has (the hunk fails: the
    # hunk findings say so); the parent is not "not handling" it.
    extra = """diff --git a/drivers/irqchip/irq-toy-lib.c b/drivers/irqchip/irq-toy-lib.c
--- a/drivers/irqchip/irq-toy-lib.c
+++ b/drivers/irqchip/irq-toy-lib.c
@@ -30,3 +30,4 @@ bool toy_lib_init_dev_msi_info(struct device *dev, struct irq_domain *domain,
 \tcase DOMAIN_BUS_GADGET_MSI:
+\tcase DOMAIN_BUS_TOY_IMS:
 \t\tbreak;
 \tdefault:
"""
    series = _series(tmp_path, "DOMAIN_BUS_TOY_IMS", "drivers/misc/toy-ims.c", [
        "// SPDX-License-Identifier: GPL-2.0",
        "static struct msi_domain_info toy_ims_info = {",
        "\t.bus_token\t= DOMAIN_BUS_TOY_IMS,",
        "};"], extra)
    assert _unhandled(series, tmp_path, monkeypatch, capsys) == [
        "arch/demo/kernel/msi.c:13"]


def test_accept_says_when_no_child_carries_the_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The toy tree uses GENERIC_MSI only as a select token, a lookup key
    # and a domain's own token; PCI_DEVICE_MSIX is a child's (tested in
    # the parents' decisions).
    assert _accept("DOMAIN_BUS_GENERIC_MSI", tmp_path, monkeypatch,
                   capsys)["lookup_only"] is True
    assert _accept("DOMAIN_BUS_PCI_DEVICE_MSIX", tmp_path, monkeypatch,
                   capsys)["lookup_only"] is False
