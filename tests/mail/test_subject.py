"""Subject prefixes and trailers."""

from __future__ import annotations

import pytest

from patchlens.mail.subject import parse_subject
from patchlens.mail.trailers import find_trailers


@pytest.mark.parametrize("subject, rev, idx, total, rfc, resend, reply, title", [
    ("[PATCH v3 07/12] x: y", 3, 7, 12, False, False, False, "x: y"),
    ("[patch V2 27/33] genirq/msi: z", 2, 27, 33, False, False, False, "genirq/msi: z"),
    ("[PATCHv2] a", 2, None, None, False, False, False, "a"),
    ("[PATCH-v4 2/2] a", 4, 2, 2, False, False, False, "a"),
    ("[RFC PATCH] a", 1, None, None, True, False, False, "a"),
    ("[PATCH RESEND] a", 1, None, None, False, True, False, "a"),
    ("[RFC][PATCH v5 0/3] a", 5, 0, 3, True, False, False, "a"),
    ("[PATCH net-next v2 1/3] a", 2, 1, 3, False, False, False, "a"),
    ("Re: [patch 27/33] genirq/msi: z", 1, 27, 33, False, False, True, "genirq/msi: z"),
    ("RE: Re: [PATCH 1/2] a", 1, 1, 2, False, False, True, "a"),
    ("Fwd: [PATCH] a", 1, None, None, False, False, False, "a"),
    ("plain words", 1, None, None, False, False, False, "plain words"),
])
def test_subject_tags(subject: str, rev: int, idx: int | None, total: int | None,
                      rfc: bool, resend: bool, reply: bool, title: str) -> None:
    t = parse_subject(subject)
    assert (t.revision, t.index, t.total, t.rfc, t.resend, t.is_reply, t.title) == (
        rev, idx, total, rfc, resend, reply, title)


def test_patch_marker() -> None:
    assert parse_subject("[PATCH] a").patch
    assert not parse_subject("[ANNOUNCE] a").patch


def test_trailers_canonical_and_unquoted() -> None:
    text = ("Looks fine.\n\n> Signed-off-by: Quoted <q@x>\n"
            "reviewed-by: Ann <a@x>\nAcked-By:   Bob <b@x>\n"
            "Fixes: 123456789abc (\"w: thing\")\nLink: https://x/y\n"
            "Random-tag: no\n")
    got = [(t.name, t.value) for t in find_trailers(text, "m")]
    assert got == [("Reviewed-by", "Ann <a@x>"), ("Acked-by", "Bob <b@x>"),
                   ("Fixes", '123456789abc ("w: thing")'), ("Link", "https://x/y")]


# A respin of one patch inside revision N, as posted on the lists: the
# ARM MSI thread's "[patch V4-1 01/21]" (tests corpus), Part 2's "[patch
# V1A 09/20]" (corpus), linux-riscv's "[PATCH v2.5 16/20]" (archive).
@pytest.mark.parametrize("subject, rev, respin, idx, total", [
    ("[patch V4-1 01/21] x", 4, "1", 1, 21),
    ("[patch V1A 09/20] x", 1, "A", 9, 20),
    ("[PATCH v2.5 16/20] x", 2, "5", 16, 20),
    ("Re: [patch V4-1 01/21] x", 4, "1", 1, 21),
    ("[PATCH v3-02 2/2] x", 3, "2", 2, 2),
    ("[PATCHv2.1] x", 2, "1", None, None),
    ("[RFC PATCH v2b 1/3] x", 2, "B", 1, 3),
    # a plain vN is the revision: the dotted token names a release
    ("[PATCH v5.10 v2 1/3] x", 2, "", 1, 3),
    ("[PATCH v2 v5.10 1/3] x", 2, "", 1, 3),
    # neither is a revision
    ("[PATCH v4l-utils] x", 1, "", None, None),
    ("[PATCH v4l 1/2] x", 1, "", 1, 2),
    ("[PATCH 5.4 1/2] x", 1, "", 1, 2),
    ("[PATCHv3 01/50] x", 3, "", 1, 50),
])
def test_respin_belongs_to_its_revision(subject: str, rev: int, respin: str,
                                        idx: int | None, total: int | None) -> None:
    t = parse_subject(subject)
    assert (t.revision, t.respin, t.index, t.total, t.title) == (rev, respin, idx, total, "x")
