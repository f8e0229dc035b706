"""``patchlens constants``: tables, hazards, json; errors are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "fixtures" / "extract" / "tree"

SERIES = """\
From mboxrd@z Thu Jan  1 00:00:00 1970
From: Test Author <author@example.org>
Subject: [PATCH 1/1] genirq/msi: Add a secondary domain and an IMS flag
Date: Mon, 02 Mar 2026 10:01:00 +0000
Message-ID: <t1@example.org>

Grows the per device array by one. Trade the 8bytes for simplicity.

Signed-off-by: Test Author <author@example.org>
---
diff --git a/include/linux/msi_api.h b/include/linux/msi_api.h
--- a/include/linux/msi_api.h
+++ b/include/linux/msi_api.h
@@ -7,5 +7,6 @@
 enum msi_domain_ids {
 \tMSI_DEFAULT_DOMAIN,
+\tMSI_SECONDARY_DOMAIN,
 \tMSI_MAX_DEVICE_IRQDOMAINS,
 };
 
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -35,3 +35,4 @@ enum {
 \tMSI_FLAG_LEVEL_CAPABLE\t\t= (MSI_FLAG_PCI_MSIX << 1),
+\tMSI_FLAG_PCI_IMS\t\t= (1 << 21),
 \tMSI_FLAG_NO_AFFINITY\t\t= (1 << 21),
 \tMSI_FLAG_NO_MASK\t\t= (1 << 22),
-- 
2.39.5

"""


@pytest.fixture
def mbox(tmp_path: Path) -> str:
    path = tmp_path / "s.mbox"
    path.write_text(SERIES)
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_text_table_and_hazards(capsys, mbox: str) -> None:
    status, out, _ = run(capsys, "constants", mbox, "--tree", str(TREE))
    assert status == 0
    assert all(len(l) <= 72 and l.isascii() for l in out.splitlines())
    assert "MSI_FLAG_PCI_IMS" in out and "0x200000" in out
    assert "1/1: added = 2097152" in out
    assert "1/1: 1 -> 2 (implicit)" in out          # MSI_MAX_DEVICE_IRQDOMAINS
    assert "ERROR bit-collision 1/1 include/linux/msi.h:36" in out
    assert "array-growth" in out and "'8bytes'" in out
    assert "X86_VECTOR_MSI_FLAGS_SUPPORTED" in out   # flag sets from arch/


def test_json(capsys, mbox: str) -> None:
    status, out, _ = run(capsys, "constants", mbox, "--tree", str(TREE),
                         "--format", "json", "--family", "domain_id")
    doc = json.loads(out)
    assert [f["key"] for f in doc["families"]] == ["domain_id"]
    consts = {c["name"]: c for c in doc["families"][0]["constants"]}
    mx = consts["MSI_MAX_DEVICE_IRQDOMAINS"]
    assert [v["value"] for v in mx["values"]] == [1, 2]
    assert mx["changes"][0]["action"] == "changed"
    assert consts["MSI_SECONDARY_DOMAIN"]["value"]["value"] == 1
    codes = {h["code"] for h in doc["hazards"]}
    assert "array-growth" in codes and "bit-collision" not in codes


def test_tree_only(capsys) -> None:
    status, out, _ = run(capsys, "constants", "--tree", str(TREE),
                         "--family", "bus_token")
    assert status == 0 and "DOMAIN_BUS_DEVICE_MSI" in out
    assert "MSI_FLAG" not in out and "hazards: none" in out


def test_unknown_family_is_one_line(capsys) -> None:
    status, out, err = run(capsys, "constants", "--tree", str(TREE),
                           "--family", "nope")
    assert status == 2 and out == ""
    assert err.startswith("patchlens: --family: unknown family 'nope'")
    assert err.count("\n") == 1


def test_bad_profile_is_one_line(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[[family]]\nkey = 'x'\n")
    status, _, err = run(capsys, "constants", "--tree", str(TREE),
                         "--profile", str(bad))
    assert status == 2 and err.startswith(f"patchlens: {bad}:")


def test_second_profile_on_cli(capsys) -> None:
    status, out, _ = run(capsys, "constants", "--tree", str(TREE), "--profile",
                         str(ROOT / "fixtures/extract/irqdomain-flags.toml"))
    assert status == 0
    assert "IRQ_DOMAIN_FLAG_NONCORE" in out and "IRQCHIP_MASK_ON_SUSPEND" in out
    assert "DOMAIN_BUS_ANY" not in out
