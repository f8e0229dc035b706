"""docs/limits.md against patchlens/limits.py: one home for every limit
on input, and a documentation table that cannot drift from it."""

from __future__ import annotations

import re
from pathlib import Path

import patchlens.limits as limits
from patchlens.limits import LIMITS

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "limits.md"


def _table_rows() -> list[str]:
    text = DOC.read_text()
    return [line for line in text.splitlines() if line.startswith("| `MAX_")]


def test_the_doc_table_is_the_module() -> None:
    assert _table_rows() == [limit.row() for limit in LIMITS]


def test_every_declared_limit_is_described_once() -> None:
    declared = {n for n in limits.__all__ if n.startswith("MAX_")}
    described = [limit.name for limit in LIMITS]
    assert sorted(described) == sorted(declared)
    for limit in LIMITS:
        assert getattr(limits, limit.name) == limit.value


def test_no_stage_declares_a_limit_of_its_own() -> None:
    # A bound written as a number in a stage is a second home: declare it
    # in patchlens/limits.py and import it (aliases such as
    # ``_MAX_SHIFT = MAX_SHIFT`` are fine).
    literal = re.compile(r"^_?MAX_\w+\s*(?::\s*\w+\s*)?=\s*[0-9(]", re.M)
    # Not bounds on input: the default of --fuzz, how many instances a
    # finding lists.
    allowed = {"patchlens/tree/apply.py: MAX_FUZZ = 2",
               "patchlens/checks/bits.py: _MAX_INSTANCES = 3"}
    offenders = []
    for path in sorted((REPO / "patchlens").rglob("*.py")):
        if path.name == "limits.py":
            continue
        for m in literal.finditer(path.read_text()):
            offenders.append(f"{path.relative_to(REPO)}: {m.group().strip()}")
    assert [o for o in offenders if o not in allowed] == []


def test_every_enforcing_module_uses_its_limit() -> None:
    for limit in LIMITS:
        for module in re.sub(r" \(.*\)", "", limit.used_by).split(", "):
            assert limit.name in (REPO / module).read_text(), (limit.name, module)


def test_readme_links_the_limits() -> None:
    assert "docs/limits.md" in (REPO / "README.md").read_text()


def test_every_issue_16_test_named_in_the_doc_exists() -> None:
    text = DOC.read_text()
    section = text[text.index("## Issue 16"):]
    short = {"R2": "tests/mail/test_hostile_round2.py", "R2C": "tests/extract/test_hostile_round2_c.py",
             "CS": "tests/c/test_hostile_cshape.py", "FF": "tests/search/test_hostile_fuzzfound.py"}
    named = 0
    for row in section.splitlines():
        if not row.startswith("| ") or row.startswith("| Issue 16"):
            continue
        where = None
        for prefix, name in re.findall(r"(R2C|R2|CS|FF|tests/[\w/]+\.py)?::(\w+)", row.split("|")[2]):
            where = short.get(prefix, prefix) if prefix else where
            assert where is not None and f"def {name}(" in (REPO / where).read_text(), name
            named += 1
    assert named >= 50
