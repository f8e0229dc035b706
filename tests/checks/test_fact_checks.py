"""check's own findings on the demo series with hand-built facts."""

from __future__ import annotations

from pathlib import Path

from patchlens.findings import Severity
from patchlens.checks.order import mid_series_breakage
from patchlens.checks.usage import unhandled_enumerators
from patchlens.checks.flags import unused_flags
from patchlens.checks import run_checks
from patchlens.mail import read_series
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series
from tests.impact_samples import demo_facts


def _demo(fixtures_dir: Path):
    series = read_series(str(fixtures_dir / "demo" / "series.mbox"))
    tree = open_tree(str(fixtures_dir / "demo" / "tree"), None)
    return series, apply_series(tree, series)


def test_unhandled_enumerator_in_warning_switch() -> None:
    facts = demo_facts()
    found = unhandled_enumerators(facts)
    # The arch parent (if chain, silent false) does not handle the new
    # token; the library parent does after 2/4.
    assert [(f.code, f.severity, f.subject, f.file) for f in found] == [
        ("unhandled-enumerator", Severity.CHECK, "DOMAIN_BUS_WIDGET_IMS",
         "arch/demo/kernel/msi.c")]
    assert found[0].patch == "1/4"


def test_new_flag_nothing_checks() -> None:
    found = unused_flags(demo_facts())
    assert [(f.code, f.subject) for f in found] == [
        ("unchecked-flag", "MSI_FLAG_WIDGET_IMS")]


def test_mid_series_breakage(fixtures_dir: Path) -> None:
    series, applied = _demo(fixtures_dir)
    found = mid_series_breakage(series, applied, demo_facts())
    got = sorted((f.code, f.patch, f.subject, f.file) for f in found)
    assert got == [
        ("used-before-defined", "2/4", "MSI_FLAG_WIDGET_IMS",
         "drivers/irqchip/irq-demo-msi-lib.c"),
        ("used-before-defined", "2/4", "MSI_FLAG_WIDGET_IMS",
         "drivers/irqchip/irq-demo-msi-lib.h"),
    ]
    assert all(f.severity == Severity.ERROR and f.line for f in found)
    assert "only 3/4 defines" in found[0].message


def test_run_checks_collects_all(fixtures_dir: Path) -> None:
    series, applied = _demo(fixtures_dir)
    codes = {f.code for f in run_checks(series, applied, demo_facts())}
    assert codes == {"unhandled-enumerator", "unchecked-flag",
                     "used-before-defined"}


def test_switch_over_the_parents_own_token_is_not_a_child_filter() -> None:
    """``switch (real_parent->bus_token)`` picks the parent's own set-up;
    a new child token never reaches it, so it must not be reported as
    refusing one (6.12's x86_init_dev_msi_info has both switches)."""
    from patchlens.extract.filters import TokenFilter as ScannedFilter
    from patchlens.extract.profile import load_profile
    from patchlens.extract.scan import Scan
    from patchlens.impact.facts import _filters

    def scanned(subject: str, line: int) -> ScannedFilter:
        return ScannedFilter("x86_init_dev_msi_info", "arch/x86/msi.c", line,
                             "switch", subject, "bus_token",
                             frozenset({"DOMAIN_BUS_ANY"}), frozenset(),
                             "reject", "WARN, false")

    scan = Scan(sites=(), mentions=(), structs=(),
                filters=(scanned("real_parent->bus_token", 10),
                         scanned("info->bus_token", 30)), calls={})
    got = _filters(scan, load_profile(None))
    assert [f.line for f in got] == [30]
