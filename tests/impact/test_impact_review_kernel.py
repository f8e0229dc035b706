"""Jason Gunthorpe's flag comment on the IMS series (V1, linux 6.12):
the report answers his invert and accept questions under it, with the
numbers `impact invert` / `impact accept` print in full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchlens.cli import main
from patchlens.text import WIDTH

pytestmark = pytest.mark.kernel


def _json(capsys, *argv: str) -> dict:
    main([*argv, "--format", "json"])
    return json.loads(capsys.readouterr().out)


def test_jason_flag_comment_answers(kernel_tree: Path, corpus: Path,
                                    capsys) -> None:
    mbox = str(corpus / "ims-part3-v1.mbox")
    data = _json(capsys, "report", mbox, "--tree", str(kernel_tree))
    note = next(c for c in data["comments"]
                if c["author"] == "Jason Gunthorpe"
                and c["subjects"] == ["MSI_FLAG_PCI_IMS"])
    asked = {a["question"]: a for a in note["asked"]}
    assert set(asked) == {"invert", "accept"}

    inv = asked["invert"]
    assert inv["subject"] == "MSI_FLAG_PCI_IMS"
    assert inv["command"] == "patchlens impact invert MSI_FLAG_PCI_IMS"
    full = _json(capsys, "impact", "invert", "MSI_FLAG_PCI_IMS", "--series",
                 mbox, "--tree", str(kernel_tree))
    assert inv["counts"]["set_inverse"] == len(full["others"]) > 0
    assert inv["counts"]["stop"] == len(full["setters"]) > 0
    assert inv["counts"]["checks"] == len(full["checks"])
    # He names "PCI MSI-X": the parents that only know it.
    assert "carry MSI_FLAG_PCI_MSIX, the special case" in inv["text"]
    assert 0 < inv["counts"]["special_case"] <= len(full["others"])

    acc = asked["accept"]
    assert acc["subject"] == "DOMAIN_BUS_PCI_DEVICE_IMS"
    full = _json(capsys, "impact", "accept", "DOMAIN_BUS_PCI_DEVICE_IMS",
                 "--series", mbox, "--tree", str(kernel_tree))
    paths = [f for f in full["filters"] if f["action"] in ("reject", "warn")]
    assert acc["counts"]["paths"] == len(paths)
    assert acc["counts"]["refuse"] == sum(1 for f in paths
                                          if f["with_series"] is False)
    assert acc["counts"]["refuse"] < acc["counts"]["paths"]
    assert "x86 learns it in 30/33" in acc["text"]
    assert note["answers"] == [f"{a['text']} (`{a['command']}`)"
                               for a in note["asked"]]

    # The text report shows both under his comment, quotable.
    main(["report", mbox, "--tree", str(kernel_tree)])
    text = capsys.readouterr().out
    review = text[text.index("\nREVIEW\n"):]
    his = review[review.index("about MSI_FLAG_PCI_IMS"):]
    his = his[:his.index("\n\n")]
    assert "-> invert MSI_FLAG_PCI_IMS:" in his
    assert "-> accept: " in his and "DOMAIN_BUS_PCI_DEVICE_IMS" in his
    assert all(len(line) <= WIDTH and line.isascii()
               for line in text.splitlines())
