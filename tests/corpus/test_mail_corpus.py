"""read_series on the real LKML extracts in ../shared/corpus/lkml."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.cli import main
from patchlens.mail import read_series
from patchlens.mail.model import Series

JASON = "Y3U/8/0p66cG4tjk@nvidia.com"
TGLX_ANSWER = "87o7t5ncat.ffs@tglx"
BJORN_ON_28 = "20221116201707.GA1133795@bhelgaas"


@pytest.fixture
def v1(corpus: Path) -> Series:
    return read_series(str(corpus / "ims-part3-v1.mbox"))


def _reply(s: Series, msgid: str):
    found = [r for r in s.replies if r.message.msgid == msgid]
    assert found, f"reply <{msgid}> not attached"
    return found[0]


def test_v1_cover_patches_and_missing(v1: Series) -> None:
    assert v1.cover is not None
    assert v1.cover.msgid == "20221111133158.196269823@linutronix.de"
    assert v1.revision == 1 and v1.total == 33
    indexes = [p.index for p in v1.patches]
    assert len(indexes) == 28 and indexes == sorted(indexes)
    assert v1.missing == (16, 20, 21, 28, 33)
    assert "v1" in v1.revision_reason
    p27 = v1.patch(27)
    assert p27 is not None and p27.title.startswith("genirq/msi: Provide constants")
    assert [f.path for f in p27.files] == [
        "include/linux/irqdomain_defs.h", "include/linux/msi.h",
        "include/linux/msi_api.h"]
    assert all(p.files for p in v1.patches), "every present patch has a diff"


def test_v1_reply_to_absent_patch_kept(v1: Series) -> None:
    r = _reply(v1, BJORN_ON_28)
    assert r.patch_index == 28
    assert v1.patch(28) is None
    assert r.parent_msgid == "20221111135206.855773120@linutronix.de"
    assert r.comments and all(c.patch_index == 28 for c in r.comments)


def test_v1_jason_comment_anchor(v1: Series) -> None:
    r = _reply(v1, JASON)
    assert r.patch_index == 27
    first = r.comments[0]
    assert first.text.startswith("I don't think we should call this IMS.. GENERIC maybe?")
    assert first.patch_index == 27
    assert first.file == "include/linux/irqdomain_defs.h"
    # the "+\tDOMAIN_BUS_PCI_DEVICE_IMS," line of the real patch
    p27 = v1.patch(27)
    assert p27 is not None
    target = [l for f in p27.files if f.path == first.file for h in f.hunks
              for l in h.lines if l.kind == "+" and "DOMAIN_BUS_PCI_DEVICE_IMS" in l.text]
    assert len(target) == 1
    assert first.new_line == target[0].new_no == 28
    assert "DOMAIN_BUS_PCI_DEVICE_IMS" in first.quoted[-1]
    second = r.comments[1]
    assert second.file == "include/linux/msi.h" and second.new_line == 529


def test_v1_tglx_answers_jason(v1: Series) -> None:
    r = _reply(v1, TGLX_ANSWER)
    assert r.parent_msgid == JASON
    assert r.patch_index == 27
    assert r.comments[0].text.startswith("It's not that simple.")


def test_v1_trailers_from_replies(v1: Series) -> None:
    p10 = v1.patch(10)
    assert p10 is not None
    acks = [t for t in p10.trailers if t.name == "Acked-by"]
    assert acks and acks[0].value == "Bjorn Helgaas <bhelgaas@google.com>"
    assert acks[0].msgid == "20221116201011.GA1133404@bhelgaas"


def test_v1_fast_enough_to_not_matter(v1: Series) -> None:
    # no timing here (see benchmarks/bench_mail.py); just no rebuilt hunks
    # for patches that are present
    assert set(v1.rebuilt_index) <= set(v1.missing)


def test_seed_archive_text(corpus: Path) -> None:
    s = read_series(str(corpus / "seed-reply-27-33.txt"))
    assert s.patches == ()
    assert 27 in s.missing
    assert len(s.replies) == 1
    c = s.replies[0].comments[0]
    assert c.patch_index == 27
    assert c.file == "include/linux/irqdomain_defs.h"
    assert c.new_line == 28
    assert c.text.startswith("I don't think we should call this IMS.. GENERIC maybe?")
    rebuilt = {fp.path: fp for fp in s.rebuilt}
    assert set(rebuilt) == {"include/linux/irqdomain_defs.h", "include/linux/msi.h"}
    assert s.rebuilt_index == (27, 27)
    defs = [l for h in rebuilt["include/linux/irqdomain_defs.h"].hunks for l in h.lines]
    msi = [l for h in rebuilt["include/linux/msi.h"].hunks for l in h.lines]
    assert all(h.partial for fp in s.rebuilt for h in fp.hunks)
    ims = [l for l in defs if "DOMAIN_BUS_PCI_DEVICE_IMS" in l.text]
    assert ims and ims[0].kind == "+" and ims[0].new_no == 28
    flag = [l for l in msi if "MSI_FLAG_PCI_IMS = (1 << 21)," in l.text]
    assert flag and flag[0].kind == "+" and flag[0].new_no == 529
    # context lines numbered from the @@ header
    assert defs[0].old_no == 25 and defs[0].new_no == 25


def test_revert_v2_git_send_email(corpus: Path) -> None:
    s = read_series(str(corpus / "ims-revert-v2.mbox"))
    assert s.revision == 2 and s.total == 7
    assert s.cover is not None and "Remove IMS" in s.cover.subject
    assert [p.index for p in s.patches] == list(range(1, 8))
    assert s.missing == ()
    assert "complete" in s.revision_reason
    f = s.patches[0].files[0]
    assert f.path == "include/linux/pci.h"
    assert (f.old_id, f.new_id) == ("16493426a04f", "abbef75b2b92")
    assert all(fp.old_id and fp.new_id for p in s.patches for fp in p.files)
    # the in-body From: names the author, not the sender
    assert s.patches[0].author == "Bjorn Helgaas <bhelgaas@google.com>"
    # "-- " and the git version footer are not diff lines
    assert not any("2.34" in l.text for p in s.patches for fp in p.files
                   for h in fp.hunks for l in h.lines if l.kind == "-")


def test_part3_v2(corpus: Path) -> None:
    s = read_series(str(corpus / "ims-part3-v2.mbox"))
    assert s.revision == 2
    assert len(s.patches) == 25
    assert s.missing == (1, 6, 10, 13, 15, 20, 23, 33)
    assert "v2" in s.revision_reason


def test_series_command_text(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["series", str(corpus / "ims-part3-v1.mbox")]) == 0
    out = capsys.readouterr().out
    assert all(len(l) <= 72 and l.isascii() for l in out.splitlines())
    assert "missing: 16, 20-21, 28, 33 (of 33)" in out
    assert "include/linux/irqdomain_defs.h:28" in out
    assert "28/33 (missing)" in out
    assert "I don't think we should call this IMS.. GENERIC maybe?" in out


def test_series_command_json(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    assert main(["series", str(corpus / "seed-reply-27-33.txt"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["replies"][0]["comments"][0]["patch_index"] == 27
    assert data["rebuilt"][0]["status"] == "modified"
