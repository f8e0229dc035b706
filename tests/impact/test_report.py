"""build_report on the demo series with hand-built facts: every section."""

from __future__ import annotations

from pathlib import Path

from patchlens.impact.report import build_report
from patchlens.mail import read_series
from patchlens.render import render
from patchlens.render.text import check_lines
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series
from tests.impact_samples import demo_facts


def _report(fixtures_dir: Path):
    series = read_series(str(fixtures_dir / "demo" / "series.mbox"))
    tree = open_tree(str(fixtures_dir / "demo" / "tree"), None)
    applied = apply_series(tree, series)
    return build_report(series, tree.info, applied, demo_facts())


def test_constants_section(fixtures_dir: Path) -> None:
    r = _report(fixtures_dir)
    by = {c.name: c for c in r.constants}
    assert by["DOMAIN_BUS_WIDGET_IMS"].kind == "added"
    assert by["DOMAIN_BUS_WIDGET_IMS"].patch == "1/4"
    assert by["DOMAIN_BUS_DEVICE_MSI"].kind == "shifted"
    assert (by["DOMAIN_BUS_DEVICE_MSI"].before,
            by["DOMAIN_BUS_DEVICE_MSI"].after) == (8, 9)
    assert "shift" in by["DOMAIN_BUS_DEVICE_MSI"].marks
    assert by["MSI_FLAG_WIDGET_IMS"].marks == ("collision",)
    assert by["MSI_FLAG_WIDGET_IMS"].patch == "3/4"
    assert by["MSI_MAX_DEVICE_IRQDOMAINS"].kind == "shifted"
    assert [c.family_key for c in r.constants][0] == "bus_token"


def test_application_and_series(fixtures_dir: Path) -> None:
    r = _report(fixtures_dir)
    assert r.series.present == (1, 2, 3, 4) and r.series.missing == ()
    assert r.application.total("hunks") == 6
    assert r.application.total("clean") == 6


def test_impact_and_review(fixtures_dir: Path) -> None:
    r = _report(fixtures_dir)
    imp = {i.name: i for i in r.impacts}
    token = imp["DOMAIN_BUS_WIDGET_IMS"]
    assert token.what == "new bus token, 8"
    assert {u.subsystem for u in token.uses} == {"IRQCHIP", "WIDGET"}
    assert len(token.filters) == 2
    flag = imp["MSI_FLAG_WIDGET_IMS"]
    assert "MSI_FLAG_NO_MASK" in flag.neighbours
    adv = {a.instance: a for a in flag.advertisers}
    assert adv["demo_gic_msi_parent_ops"].with_series is True
    assert adv["demo_gic_msi_parent_ops"].today is False
    assert adv["demo_gic_msi_parent_ops"].via == "DEMO_MSI_LIB_FLAGS"
    assert adv["demo_arch_msi_parent_ops"].with_series is False
    note = r.comments[0]
    assert note.author == "Rita Reviewer"
    assert note.patch == "1/4"
    assert note.subjects == ("DOMAIN_BUS_WIDGET_IMS",)
    assert note.answers[0].startswith(
        "rename to DOMAIN_BUS_GENERIC_MSI: name exists (value 2, "
        "include/linux/irqdomain_defs.h:13)")


def test_text_shows_every_section(fixtures_dir: Path) -> None:
    out = render(_report(fixtures_dir), "text")
    for head in ("Series", "Applied", "CONSTANTS CHANGED BY THE SERIES",
                 "FINDINGS", "IMPACT: DOMAIN_BUS_WIDGET_IMS", "REVIEW",
                 "GENERIC maybe?"):
        assert head in out
    assert check_lines(out) == []
