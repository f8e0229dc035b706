"""The finding catalogue: every code declared once, listed by
``check --list-findings`` and in docs/json-schema.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchlens.checks import CATALOGUE
from patchlens.cli import main
from patchlens.findings import Evidence, Message, Severity, declare

DOCS = Path(__file__).resolve().parents[2] / "docs" / "json-schema.md"


def test_docs_list_every_code() -> None:
    row = next(l for l in DOCS.read_text().splitlines()
               if l.startswith("| `code` |"))
    assert re.findall(r'`"([a-z0-9-]+)"`', row) == list(CATALOGUE.codes())


def test_list_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list-findings"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["code", "severity", "evidence", "summary"]
    listed = [l.split()[0] for l in lines[1:] if not l.startswith(" ")]
    assert listed == list(CATALOGUE.codes())
    shift = next(l for l in lines if l.startswith("enum-shift "))
    assert shift.split()[1:3] == ["WARNING", "both"]
    after = lines[lines.index(shift) + 1]
    assert after.split()[0] == "CHECK" and "count" in after


def test_check_without_a_series_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "--list-findings" in capsys.readouterr().err


def test_a_code_is_declared_once() -> None:
    msg = CATALOGUE["bit-collision"]
    assert declare(msg.code, msg.severity, msg.evidence, msg.summary,
                   msg.help) is not None          # the same words: harmless
    with pytest.raises(ValueError):
        declare("bit-collision", Severity.WARNING, Evidence.BOTH, "another")


def test_severity_comes_from_the_table() -> None:
    m = Message("x-demo", Severity.WARNING, Evidence.BOTH, "demo",
                lesser=Severity.CHECK, lesser_when="it is small")
    assert m.finding("a").severity is Severity.WARNING
    assert m.finding("a", lesser=True).severity is Severity.CHECK
    with pytest.raises(ValueError):
        CATALOGUE["bit-width"].finding("a", lesser=True)


def test_patch_only_is_never_error_unless_the_patch_proves_it() -> None:
    assert CATALOGUE["used-before-defined"].finding(
        "a", patch_only=True).severity is Severity.WARNING
    assert CATALOGUE["bit-width"].finding(
        "a", patch_only=True).severity is Severity.ERROR
    assert CATALOGUE["hunk-fuzz"].finding(
        "a", patch_only=True).severity is Severity.CHECK


def test_every_code_says_what_it_rests_on() -> None:
    for m in CATALOGUE:
        assert m.summary and m.help and isinstance(m.evidence, Evidence)
        assert (m.lesser is None) == (m.lesser_when == "")
