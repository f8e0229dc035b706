"""Parents that advertise a flag: each field is read on its own.

The fixture's parent carries the new flag in two fields through two
flag-set macros: .supported_flags covers its bit through
MSI_GENERIC_FLAGS_MASK from 1/2 on, .required_flags names it from 2/2
on.  The advertiser row is about .supported_flags only: from 1/2, via
the SUPPORTED macro (it once said "3/3 via ..._REQUIRED", mixing the
two fields)."""

from __future__ import annotations

from pathlib import Path

from patchlens.cli import main

FIXTURE = Path(__file__).parents[2] / "fixtures" / "impact" / "advertiser-per-field"


def test_advertiser_row_reads_its_own_field(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    rc = main(["report", str(FIXTURE / "series.mbox"), "--tree",
               str(FIXTURE / "tree")])
    out = capsys.readouterr().out
    assert rc == 0
    section = out[out.index("Parents that advertise it:"):]
    assert "sprocket_msi_parent_ops  no     yes 1/2" in section
    assert ("via\n    SPROCKET_MSI_FLAGS_SUPPORTED (MSI_GENERIC_FLAGS_MASK)"
            in section)
    assert "REQUIRED" not in section.split("REVIEW")[0]


def test_advertiser_json_names_the_field_macro(capsys, tmp_path, monkeypatch) -> None:
    import json
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    main(["report", str(FIXTURE / "series.mbox"), "--tree",
          str(FIXTURE / "tree"), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    imp = next(i for i in data["impacts"] if i["name"] == "MSI_FLAG_PARENT_STARTS")
    (adv,) = imp["advertisers"]
    assert (adv["field"], adv["patch"], adv["via"]) == (
        "supported_flags", "1/2",
        "SPROCKET_MSI_FLAGS_SUPPORTED (MSI_GENERIC_FLAGS_MASK)")
