"""Every command's JSON names its versioned schema and validates against
the JSON Schema shipped in docs/schemas/ (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main
from tests.json_schemas import SCHEMAS, validate

REPO = Path(__file__).resolve().parents[2]
S = str(REPO / "fixtures" / "demo" / "series.mbox")
T = str(REPO / "fixtures" / "demo" / "tree")

COMMANDS = {
    "series": ["series", S],
    "apply": ["apply", S, "--tree", T],
    "constants": ["constants", S, "--tree", T],
    "constants-tree": ["constants", "--tree", T],
    "refs": ["refs", "--all", "--tree", T],
    "refs-series": ["refs", "DOMAIN_BUS_DEVICE_MSI", "--series", S, "--tree", T],
    "graph": ["graph", "--tree", T],
    "report": ["report", S, "--tree", T],
    "report-patch-only": ["report", S, "--no-tree"],
    "check": ["check", S, "--tree", T],
    "check-patch-only": ["check", S, "--no-tree"],
    "diff": ["diff", S, S, "--tree", T],
    "rename": ["impact", "rename", "DOMAIN_BUS_DEVICE_MSI", "DOMAIN_BUS_X",
               "--tree", T],
    "invert": ["impact", "invert", "MSI_FLAG_NO_MASK", "--tree", T],
    "accept": ["impact", "accept", "DOMAIN_BUS_DEVICE_MSI", "--tree", T],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_validates(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*COMMANDS[name], "--format", "json"])
    assert status in (0, 1)
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict) and data["schema"].startswith("patchlens-")
    assert data["schema"].rsplit("/", 1)[1].isdigit()
    validate(data)


@pytest.mark.parametrize("series", ["tree", "no-tree"])
def test_b4_check_validates(series: str, capsys: pytest.CaptureFixture[str]
                            ) -> None:
    argv = ["check", S, "--format", "b4-check"]
    argv += ["--tree", T] if series == "tree" else ["--no-tree"]
    main(argv)
    rows = json.loads(capsys.readouterr().out)
    assert validate(rows) == "b4-check"


def test_findings_carry_locations(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", S, "--tree", T, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    located = [f for f in data["findings"] if f["file"]]
    assert located
    for f in located:
        assert f["location"] == {"file": f["file"], "line": f["line"],
                                 "kind": f["location_kind"] or "tree"}


def test_a_bad_output_is_refused() -> None:
    import jsonschema
    with pytest.raises(jsonschema.ValidationError):
        validate({"schema": "patchlens-check/2", "findings": [{"code": "x"}],
                  "patch_only": None})
    with pytest.raises(jsonschema.ValidationError):
        validate({"schema": "patchlens-check/3", "findings": [],
                  "patch_only": None})


def test_every_schema_is_documented_and_shipped() -> None:
    doc = (REPO / "docs" / "json-schema.md").read_text()
    manifest = (REPO / "MANIFEST.in").read_text()
    assert "docs/schemas" in manifest
    for path in SCHEMAS.glob("*.schema.json"):
        json.loads(path.read_text())
        assert path.name.split(".")[0] in doc, path.name
