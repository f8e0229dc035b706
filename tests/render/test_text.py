"""Text renderer: sections in order, ASCII, <= 72 columns, quotable."""

from __future__ import annotations

import pytest

from patchlens.render import render
from patchlens.text import ranges, table, wrap
from patchlens.render.text import check_lines
from tests.report_samples import LONG, sample_answers, sample_report


def test_report_sections_in_reading_order() -> None:
    out = render(sample_report(), "text")
    heads = ["patchlens report", "Series", "Tree", "Applied",
             "CONSTANTS CHANGED BY THE SERIES", "FINDINGS",
             "IMPACT: DOMAIN_BUS_PCI_DEVICE_IMS", "IMPACT: MSI_FLAG_PCI_IMS",
             "REVIEW"]
    pos = [out.index(h) for h in heads]
    assert pos == sorted(pos)


def test_report_is_ascii_and_72_columns() -> None:
    out = render(sample_report(), "text")
    assert check_lines(out) == []
    assert "Jorg" in out          # accents folded, not dropped
    # The long function name is wrapped, never truncated.
    assert LONG in "".join(line.strip() for line in out.splitlines())


@pytest.mark.parametrize("answer", sample_answers(),
                         ids=lambda a: type(a).__name__)
def test_answers_are_ascii_and_72_columns(answer: object) -> None:
    out = render(answer, "text")
    assert out.strip()
    assert check_lines(out) == []


def test_report_content() -> None:
    out = render(sample_report(), "text")
    assert "missing 16, 20, 21, 28, 33" in out
    assert "2 of 4 hunks clean, 1 with fuzz, 1 failed" in out
    assert "bit 21" in out and "27/33 !" in out
    assert "(* implicit value shift, ! collision)" in out
    assert "ERROR   include/linux/msi.h:548: bit-collision:" in out
    assert "DOMAIN_BUS_GENERIC_MSI: name exists" in out
    assert "1 of 2 would refuse it with the series applied" in out


def test_quoted_table_keeps_alignment() -> None:
    lines = table(("name", "value"), [("MSI_FLAG_PCI_MSIX", "bit 17"),
                                      ("X", "1")])
    quoted = ["> " + line for line in lines]
    col = quoted[0].index("value")
    assert all(len(q) <= 74 for q in quoted)
    assert quoted[2][col:].startswith("bit 17")
    assert quoted[3][col:].startswith("1")


def test_table_wraps_wide_cells() -> None:
    lines = table(("a", "b"), [(LONG, LONG)])
    assert all(len(line) <= 72 for line in lines)
    assert "".join(line.split("  ")[0] for line in lines[2:]).startswith(
        LONG[:20])


def test_wrap_and_ranges() -> None:
    assert all(len(x) <= 72 for x in wrap("word " * 60, first="  "))
    assert ranges([16, 20, 21, 28, 33]) == "16, 20, 21, 28, 33"
    assert ranges([1, 2, 3, 7]) == "1-3, 7"
