"""A removed constant (issue 12, case 5), on the kernel-shaped removal
fixtures (fixtures/removal/): a bus token and its 4 users in 3 files.

The report lists the uses before the series with the patch that
removes each, shows no accept table (nothing can accept a name that is
no longer defined), and a use left behind is an ERROR stale-reference
-- a comment that names the token is not a use.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from patchlens.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "removal"
TOKEN = "DOMAIN_BUS_GIZMO_MSI"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(args)
    return status, capsys.readouterr().out


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _report(series: str, capsys: pytest.CaptureFixture[str],
            tree: Path = FIXTURES / "tree", fmt: str = "json") -> str:
    _, out = _run(["report", str(FIXTURES / series), "--tree", str(tree),
                   "--format", fmt], capsys)
    return out


def _impact(data: dict, name: str) -> dict:
    return next(i for i in data["impacts"] if i["name"] == name)


def test_all_uses_removed_by_the_same_patch(capsys) -> None:
    data = json.loads(_report("remove-token.mbox", capsys))
    imp = _impact(data, TOKEN)
    got = [(u["site"]["file"], u["site"]["line"], u["removed_by"], u["how"])
           for u in imp["removal"]]
    assert got == [
        ("drivers/bus/gizmo/gizmo-msi.c", 11, "1/1", "line changed"),
        ("drivers/bus/gizmo/gizmo-msi.c", 18, "1/1", "line changed"),
        ("drivers/irqchip/irq-gizmo-msi.c", 16, "1/1", "file removed"),
        ("drivers/irqchip/irq-msi-lib.c", 20, "1/1", "line removed")]
    # No accept table for a token that no longer exists.
    assert imp["filters"] == [] and imp["uses"] == []
    assert not any(f["code"] == "stale-reference" for f in data["findings"])
    text = _report("remove-token.mbox", capsys, fmt="text")
    assert "4 uses before the series, in 3 files: 4 removed" in text
    assert "no code in the tree or the series uses it" not in text
    assert "Parents that filter" not in text


def test_forgotten_user_is_a_stale_reference(capsys) -> None:
    status, out = _run(["check", str(FIXTURES / "remove-token-stale.mbox"),
                        "--tree", str(FIXTURES / "tree"), "--format",
                        "terse"], capsys)
    stale = [l for l in out.splitlines() if ": stale-reference: " in l]
    assert stale == [
        "drivers/irqchip/irq-msi-lib.c:20: ERROR: stale-reference: "
        f"{TOKEN} is removed by 2/2 but still used (1 place(s) in the "
        "tree, 0 later in the series) (2/2)"]
    assert status == 1
    data = json.loads(_report("remove-token-stale.mbox", capsys))
    imp = _impact(data, TOKEN)
    fates = {(u["site"]["file"], u["removed_by"]) for u in imp["removal"]}
    assert fates == {("drivers/bus/gizmo/gizmo-msi.c", "1/2"),
                     ("drivers/irqchip/irq-gizmo-msi.c", "1/2"),
                     ("drivers/irqchip/irq-msi-lib.c", None)}
    assert imp["filters"] == []
    text = _report("remove-token-stale.mbox", capsys, fmt="text")
    assert "3 removed by the series, 1 left" in text
    assert "LEFT: stale-reference" in text


def test_comment_naming_the_token_is_no_use(tmp_path: Path, capsys) -> None:
    tree = tmp_path / "linux"
    shutil.copytree(FIXTURES / "tree", tree)
    (tree / "drivers/irqchip/irq-gadget.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n"
        "/*\n * The gadget parent once served DOMAIN_BUS_GIZMO_MSI too.\n"
        " */\n#include <linux/irqdomain.h>\n\n"
        "static const char *gadget_name = \"DOMAIN_BUS_GIZMO_MSI\";\n"
        "int gadget_token = DOMAIN_BUS_WIRED; // not DOMAIN_BUS_GIZMO_MSI\n")
    _, out = _run(["check", str(FIXTURES / "remove-token.mbox"), "--tree",
                   str(tree), "--format", "terse"], capsys)
    assert "stale-reference" not in out
