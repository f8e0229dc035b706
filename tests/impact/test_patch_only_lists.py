"""Patch-only (no tree), the accept lists name every token a parent's
``case`` list shows, also one only another series (or another patch of
this one) defines: the scan reads filters in terms of family names, and
with no tree to define them such a token dropped out of the list (the
2022 ARM series' gic_msi_lib_init_dev_msi_info() "accepts: DEVICE_IMS,
WIRED_TO_MSI", without the PCI_DEVICE_MSI/MSIX its 12/40 adds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main

_MSG = """\
From mboxrd@z Thu Jan  1 00:00:00 1970
From: Lia Lister <lia@example.org>
To: gizmo-irq@lists.example.org
Subject: [PATCH {n}/2] {subject}
Date: Tue, 03 Mar 2026 09:0{n}:00 +0000
Message-ID: <lists-{n}@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

{subject}.

Signed-off-by: Lia Lister <lia@example.org>
---
{diff}-- 
2.39.5

"""

_NEW_PARENT = """\
diff --git a/drivers/irqchip/irq-gizmo-lib.c b/drivers/irqchip/irq-gizmo-lib.c
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/drivers/irqchip/irq-gizmo-lib.c
@@ -0,0 +1,16 @@
+// SPDX-License-Identifier: GPL-2.0
+#include <linux/msi.h>
+
+bool gizmo_lib_init_dev_msi_info(struct device *dev, struct irq_domain *domain,
+				 struct irq_domain *real_parent,
+				 struct msi_domain_info *info)
+{
+	switch (info->bus_token) {
+	case DOMAIN_BUS_PCI_DEVICE_MSIX:
+		break;
+	default:
+		WARN_ON_ONCE(1);
+		return false;
+	}
+	return true;
+}
"""

_NEW_TOKEN = """\
diff --git a/include/linux/irqdomain_defs.h b/include/linux/irqdomain_defs.h
index 2222222..3333333 100644
--- a/include/linux/irqdomain_defs.h
+++ b/include/linux/irqdomain_defs.h
@@ -26,6 +26,7 @@ enum irq_domain_bus_token {
 	DOMAIN_BUS_PCI_DEVICE_MSIX,
 	DOMAIN_BUS_DMAR,
 	DOMAIN_BUS_AMDVI,
+	DOMAIN_BUS_GIZMO_MSI,
 };
 
 #endif /* _LINUX_IRQDOMAIN_DEFS_H */
diff --git a/drivers/irqchip/irq-gizmo-lib.c b/drivers/irqchip/irq-gizmo-lib.c
index 1111111..4444444 100644
--- a/drivers/irqchip/irq-gizmo-lib.c
+++ b/drivers/irqchip/irq-gizmo-lib.c
@@ -7,6 +7,7 @@ bool gizmo_lib_init_dev_msi_info(struct device *dev, struct irq_domain *domain,
 {
 	switch (info->bus_token) {
 	case DOMAIN_BUS_PCI_DEVICE_MSIX:
+	case DOMAIN_BUS_GIZMO_MSI:
 		break;
 	default:
 		WARN_ON_ONCE(1);
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_patch_only_accept_list_names_tokens_no_tree_defines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mbox = tmp_path / "series.mbox"
    mbox.write_text(
        _MSG.format(n=1, subject="irqchip/gizmo: Add the gizmo MSI library",
                    diff=_NEW_PARENT)
        + _MSG.format(n=2, subject="irqchip/gizmo: Add DOMAIN_BUS_GIZMO_MSI",
                      diff=_NEW_TOKEN))
    main(["report", str(mbox), "--no-tree", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    imp = next(i for i in data["impacts"] if i["name"] == "DOMAIN_BUS_GIZMO_MSI")
    (path,) = imp["filters"]
    assert path["function"] == "gizmo_lib_init_dev_msi_info"
    shown = json.dumps(path["accepted"])
    # PCI_DEVICE_MSIX: no tree and no patch defines it (another series').
    assert "DOMAIN_BUS_PCI_DEVICE_MSIX" in shown
    assert "DOMAIN_BUS_GIZMO_MSI" in shown


def test_patch_only_accept_says_what_it_counts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A token the series defines with a value no hunk shows is defined,
    its value unknown (it said "not defined"); the parents listed are
    those of the files the series creates, and the answer says so."""
    mbox = tmp_path / "series.mbox"
    mbox.write_text(
        _MSG.format(n=1, subject="irqchip/gizmo: Add the gizmo MSI library",
                    diff=_NEW_PARENT)
        + _MSG.format(n=2, subject="irqchip/gizmo: Add DOMAIN_BUS_GIZMO_MSI",
                      diff=_NEW_TOKEN))
    main(["impact", "accept", "DOMAIN_BUS_GIZMO_MSI", "--series", str(mbox),
          "--no-tree"])
    text = " ".join(capsys.readouterr().out.split())
    assert "not defined" not in text
    assert "(value unknown, patch 2/2," in text
    assert "no tree: only the parents in files the series creates are " \
        "known" in text


_OWN_TOKEN = """\
diff --git a/drivers/irqchip/irq-gizmo-its.c b/drivers/irqchip/irq-gizmo-its.c
index 5555555..6666666 100644
--- a/drivers/irqchip/irq-gizmo-its.c
+++ b/drivers/irqchip/irq-gizmo-its.c
@@ -40,6 +40,7 @@ static int gizmo_its_init_domain(struct irq_domain *parent)
 	domain = irq_domain_create_hierarchy(parent, 0, 64, NULL, NULL, NULL);
 	if (!domain)
 		return -ENOMEM;
+	irq_domain_update_bus_token(domain, DOMAIN_BUS_GIZMO_MSI);
 	return 0;
 }
 
"""


def test_patch_only_setter_call_sets_the_token(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Read from the patch text, a token handed to one of the profile's
    setters (irq_domain_update_bus_token()) is set -- the domain's own
    token --, not "checked" by a helper (the held-out remap-tokens
    series, --no-tree, said "check" for VT-d's and AMD-Vi's)."""
    mbox = tmp_path / "series.mbox"
    mbox.write_text(
        _MSG.format(n=1, subject="irqchip/gizmo: Add DOMAIN_BUS_GIZMO_MSI",
                    diff=_NEW_TOKEN.split("diff --git a/drivers")[0])
        + _MSG.format(n=2, subject="irqchip/gizmo: Mark the ITS domain",
                      diff=_OWN_TOKEN))
    main(["report", str(mbox), "--no-tree", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    imp = next(i for i in data["impacts"] if i["name"] == "DOMAIN_BUS_GIZMO_MSI")
    roles = [(s["file"], s["role"]) for g in imp["uses"] for s in g["sites"]]
    assert roles == [("drivers/irqchip/irq-gizmo-its.c", "set")]
