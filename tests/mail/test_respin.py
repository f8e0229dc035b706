"""A respin of one patch inside a revision (``[patch V4-1 01/21]``):
it replaces the patch it respins, in whatever order the mailbox holds
them, and is no extra revision."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.mail import read_series

SEP = "From mboxrd@z Thu Jan  1 00:00:00 1970\n"


def _msg(msgid: str, subject: str, body: str, *, reply_to: str | None = None,
         date: str = "Mon, 1 Jan 2024 10:00:00 +0000") -> str:
    head = (f"From: Ann <ann@example.org>\nSubject: {subject}\nDate: {date}\n"
            f"Message-Id: <{msgid}>\n")
    if reply_to:
        head += f"In-Reply-To: <{reply_to}>\nReferences: <cover@x> <{reply_to}>\n"
    elif msgid != "cover@x":
        head += "In-Reply-To: <cover@x>\nReferences: <cover@x>\n"
    return SEP + head + "\n" + body + "\n\n"


def _diff(value: str) -> str:
    return ("Signed-off-by: Ann <ann@example.org>\n---\n"
            "diff --git a/include/linux/w.h b/include/linux/w.h\n"
            "--- a/include/linux/w.h\n+++ b/include/linux/w.h\n"
            "@@ -1,2 +1,3 @@\n #define W_A (1 << 0)\n"
            f"+#define W_B {value}\n #define W_C (1 << 2)\n")


def _mbox(respin_first: bool) -> str:
    cover = _msg("cover@x", "[PATCH v4 0/2] w: flags", "Two patches.")
    p1 = _msg("p1@x", "[PATCH v4 1/2] w: add W_B", _diff("(1 << 1)"))
    p2 = _msg("p2@x", "[PATCH v4 2/2] w: use W_B", _diff("(1 << 1)"))
    respin = _msg("p1r@x", "[PATCH v4-1 1/2] w: add W_B", _diff("BIT(1)"),
                  reply_to="p1@x", date="Tue, 2 Jan 2024 10:00:00 +0000")
    review = _msg("r@x", "Re: [PATCH v4 1/2] w: add W_B",
                  "> +#define W_B (1 << 1)\n\nUse BIT().", reply_to="p1@x")
    parts = [cover, respin, p1, p2, review] if respin_first else \
        [cover, p1, respin, p2, review]
    return "".join(parts)


@pytest.mark.parametrize("respin_first", [False, True])
def test_respin_replaces_the_patch(tmp_path: Path, respin_first: bool) -> None:
    path = tmp_path / "t.mbox"
    path.write_text(_mbox(respin_first))
    s = read_series(str(path))
    assert s.revision == 4 and s.revisions_seen == (4,)
    assert [p.index for p in s.patches] == [1, 2] and s.missing == ()
    p1 = s.patches[0]
    assert p1.message.msgid == "p1r@x" and p1.respin == "1"
    assert s.patches[1].respin == ""
    # the replaced post is no reply; what answers it is about patch 1
    assert [r.message.msgid for r in s.replies] == ["r@x"]
    assert s.replies[0].patch_index == 1
    assert any("respin v4-1" in w or "respun by" in w for w in s.warnings)
