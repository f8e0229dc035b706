"""JSON (schema patchlens-report/2), markdown, terse and b4-check."""

from __future__ import annotations

import json
import re

import pytest

from patchlens.findings import Finding, Severity
from patchlens.render import render
from patchlens.render.b4check import status
from tests.report_samples import sample_answers, sample_report

TERSE = re.compile(r"^[^:\s]+:\d+: (ERROR|WARNING|CHECK): [a-z0-9-]+: .+$")


def test_json_report_schema() -> None:
    data = json.loads(render(sample_report(), "json"))
    assert data["schema"] == "patchlens-report/2"
    assert list(data)[0] == "schema"
    for key in ("series", "application", "constants", "references",
                "findings", "comments", "impacts"):
        assert key in data
    assert data["series"]["missing"] == [16, 20, 21, 28, 33]
    assert data["application"]["failed"] == 1
    assert data["application"]["patches"][0]["label"] == "27/33"
    ref = data["references"][0]
    assert {"role", "function", "subsystem", "file", "line",
            "name", "patch"} <= set(ref)
    f = data["findings"][0]
    assert {"code", "severity", "file", "line", "patch", "message"} <= set(f)
    assert f["severity"] == "ERROR"
    c = data["comments"][0]
    assert c["subjects"] == ["DOMAIN_BUS_PCI_DEVICE_IMS"]
    assert data["impacts"][0]["uses"][0]["counts"] == {"check": 1}


def test_json_schema_doc_names_every_report_key() -> None:
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" /
           "json-schema.md").read_text()
    data = json.loads(render(sample_report(), "json"))
    assert "patchlens-report/2" in doc
    for key, value in data.items():
        assert f"`{key}`" in doc, key
        items = value if isinstance(value, list) else [value]
        for item in items[:1]:
            if isinstance(item, dict):
                for sub in item:
                    assert f"`{sub}`" in doc, f"{key}.{sub}"


@pytest.mark.parametrize("answer", sample_answers(),
                         ids=lambda a: type(a).__name__)
def test_json_answers(answer: object) -> None:
    data = json.loads(render(answer, "json"))
    assert data["schema"] == "patchlens-answer/3"
    assert data["question"] in ("rename", "invert", "accept", "diff")


def test_terse_one_finding_per_line() -> None:
    out = render(sample_report(), "terse", source="series.mbox")
    lines = out.splitlines()
    assert len(lines) == 3
    assert all(TERSE.match(line) for line in lines), lines
    assert lines[0].startswith("include/linux/msi.h:548: ERROR: "
                               "bit-collision: ")
    assert lines[-1].startswith("series.mbox:0: CHECK: unchecked-flag:")


def test_b4_check_array() -> None:
    data = json.loads(render(sample_report(), "b4-check"))
    assert isinstance(data, list) and data
    for obj in data:
        assert set(obj) == {"tool", "status", "summary", "details"}
        assert obj["tool"] == "patchlens"
        assert obj["status"] in ("pass", "warn", "fail")
    assert data[0]["status"] == "fail"          # patch 27/33 has an ERROR
    assert "patch 27/33" in data[0]["summary"]
    clean = json.loads(render((), "b4-check"))
    assert clean == [{"tool": "patchlens", "status": "pass",
                      "summary": "no constant hazards found", "details": ""}]


def test_b4_status_levels() -> None:
    w = Finding("x", Severity.WARNING, "m")
    c = Finding("x", Severity.CHECK, "m")
    e = Finding("x", Severity.ERROR, "m")
    assert status(()) == "pass"
    assert status((c,)) == "warn" and status((w,)) == "warn"
    assert status((w, e)) == "fail"


def test_markdown_report() -> None:
    out = render(sample_report(), "markdown")
    for head in ("# patchlens report", "## Constants changed by the series",
                 "## Findings", "## Impact: `DOMAIN_BUS_PCI_DEVICE_IMS`",
                 "## Review"):
        assert head in out
    assert "| bus token | `DOMAIN_BUS_PCI_DEVICE_IMS` | - | 15 |" in out


def test_findings_only_formats() -> None:
    findings = sample_report().findings
    assert "ERROR" in render(findings, "text")
    data = json.loads(render(findings, "json"))
    assert data["question"] == "findings" and len(data["findings"]) == 3
