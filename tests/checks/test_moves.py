"""A moved definition (issue 12, case 6), on the kernel-shaped fixtures
of fixtures/removal/: ``enum irq_domain_bus_token`` moves from
irqdomain.h (under CONFIG_GENERIC_MSI_IRQ_DOMAIN) to a new
irqdomain_defs.h (under CONFIG_GENERIC_MSI_IRQ) -- in one patch, in
two (1/2 adds the header, 2/2 drops the old copy), and moved with a
token added.

A move is reported as a move (old file:line -> new file:line, guard
before and after), with no value change, no shift and no remove+add;
a move that also renumbers is both.  The guard change is a CHECK
(moved-definition); the same guard is no finding.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checks.builders import FIXTURES as ALL_FIXTURES
from tests.checks.builders import run

FIXTURES = ALL_FIXTURES / "removal"
TREE = FIXTURES / "tree"

pytestmark = pytest.mark.usefixtures("private_cache")


def _report(series: Path, capsys: pytest.CaptureFixture[str],
            fmt: str = "json") -> str:
    return run(capsys, "report", str(series), "--tree", str(TREE), "--format", fmt)[1]


def _codes(data: dict) -> list[str]:
    return sorted(f["code"] for f in data["findings"])


def test_move_in_one_patch(capsys) -> None:
    data = json.loads(_report(FIXTURES / "move-enum.mbox", capsys))
    assert data["constants"] == []          # no value changes, no remove+add
    (mv,) = data["moves"]
    assert (mv["what"], mv["old_file"], mv["old_line"], mv["new_file"],
            mv["new_line"]) == ("enum irq_domain_bus_token",
                                "include/linux/irqdomain.h", 25,
                                "include/linux/irqdomain_defs.h", 12)
    assert (mv["old_guard"], mv["new_guard"]) == (
        "CONFIG_GENERIC_MSI_IRQ_DOMAIN", "CONFIG_GENERIC_MSI_IRQ")
    assert (mv["added_by"], mv["removed_by"], mv["changed"]) == (
        "1/1", "1/1", [])
    assert len(mv["names"]) == 9
    assert _codes(data) == ["moved-definition"]
    f = data["findings"][0]
    assert f["severity"] == "CHECK" and f["patch"] == "1/1"
    text = _report(FIXTURES / "move-enum.mbox", capsys, fmt="text")
    assert "moves no family constant" not in text
    assert "from include/linux/irqdomain.h:25 (#if " \
        "CONFIG_GENERIC_MSI_IRQ_DOMAIN)" in text
    assert "to   include/linux/irqdomain_defs.h:12 (#if " \
        "CONFIG_GENERIC_MSI_IRQ)" in text


def test_move_in_two_patches(capsys) -> None:
    data = json.loads(_report(FIXTURES / "move-enum-2.mbox", capsys))
    assert data["constants"] == []
    (mv,) = data["moves"]
    assert (mv["added_by"], mv["removed_by"]) == ("1/2", "2/2")
    # Both copies exist after 1/2, under different guards: no duplicate.
    assert _codes(data) == ["moved-definition"]
    assert data["findings"][0]["patch"] == "2/2"


def test_move_that_renumbers_is_both(capsys) -> None:
    data = json.loads(_report(FIXTURES / "move-enum-change.mbox", capsys))
    (mv,) = data["moves"]
    assert mv["changed"] == ["DOMAIN_BUS_IPI", "DOMAIN_BUS_WAKEUP"]
    kinds = {(c["name"], c["kind"]) for c in data["constants"]}
    assert kinds == {("DOMAIN_BUS_DEVICE_MSI", "added"),
                     ("DOMAIN_BUS_IPI", "shifted"),
                     ("DOMAIN_BUS_WAKEUP", "shifted")}
    shifts = sorted(f["subject"] for f in data["findings"]
                    if f["code"] == "enum-shift")
    assert shifts == ["DOMAIN_BUS_IPI", "DOMAIN_BUS_WAKEUP"]
    assert "moved-definition" in _codes(data)


def test_same_guard_is_a_move_without_finding(tmp_path: Path,
                                              capsys) -> None:
    text = (FIXTURES / "move-enum.mbox").read_text()
    same = text.replace("+#ifdef CONFIG_GENERIC_MSI_IRQ\n",
                        "+#ifdef CONFIG_GENERIC_MSI_IRQ_DOMAIN\n").replace(
        "+#endif /* CONFIG_GENERIC_MSI_IRQ */",
        "+#endif /* CONFIG_GENERIC_MSI_IRQ_DOMAIN */")
    assert same != text
    series = tmp_path / "same-guard.mbox"
    series.write_text(same)
    data = json.loads(_report(series, capsys))
    (mv,) = data["moves"]
    assert mv["old_guard"] == mv["new_guard"] == \
        "CONFIG_GENERIC_MSI_IRQ_DOMAIN"
    assert data["findings"] == [] and data["constants"] == []


@pytest.mark.parametrize(("series", "patch"), [("move-enum.mbox", "1/1"),
                                               ("move-enum-2.mbox", "1/2, 2/2")])
def test_patch_only_move(series: str, patch: str, capsys) -> None:
    """No tree: the old place comes from the patch's own pre-image (its
    guard is unknown, so no guard change is claimed), the new one from
    the header the series creates; no constant is "added" (today: the
    9 tokens were new in one case, and the report crashed in the
    other)."""
    _, out = run(capsys, "report", str(FIXTURES / series), "--no-tree", "--format", "json")
    data = json.loads(out)
    (mv,) = data["moves"]
    assert (mv["old_file"], mv["old_line"], mv["new_file"], mv["new_line"]) \
        == ("include/linux/irqdomain.h", 25,
            "include/linux/irqdomain_defs.h", 12)
    assert mv["patch_only"] is True and mv["old_guard"] is None
    assert ", ".join(dict.fromkeys((mv["added_by"], mv["removed_by"]))) \
        == patch
    assert data["constants"] == []
    assert not [f for f in data["findings"]
                if f["code"] in ("moved-definition", "stale-reference")]


def test_constant_added_and_removed_inside_the_series() -> None:
    """A name that exists only between two patches is in no row of the
    constants table (base against final; it crashed the report)."""
    from patchlens.extract.facts import ConstantAt, Facts
    from patchlens.impact.report import constant_changes
    tmp = ConstantAt("DOMAIN_BUS_GIZMO_MSI", "bus_token", "bus token", 6)
    facts = Facts(states=({}, {tmp.name: tmp}, {}), labels=("1/2", "2/2"))
    assert constant_changes(facts) == ()
