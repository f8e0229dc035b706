"""Every input form read_series accepts, on the synthetic fixtures."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from patchlens.diff import FileStatus
from patchlens.mail import read_series
from patchlens.mail.model import Series

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
COVER_ID = "cover.1700000000.git.ann@example.org"


def _check_full_v2(s: Series) -> None:
    assert s.revision == 2 and s.total == 3
    assert [p.index for p in s.patches] == [1, 2, 3]
    assert s.missing == ()
    assert s.cover is not None and s.cover.msgid == COVER_ID
    assert s.base_commit == "0123456789abcdef0123456789abcdef01234567"
    assert s.prerequisite_patch_ids == ("89abcdef0123456789abcdef0123456789abcdef",)
    assert s.change_id == "20231113-widget-store-1a2b3c"
    p1 = s.patches[0]
    assert [f.path for f in p1.files] == ["include/linux/widget_defs.h"]
    assert p1.files[0].added_count == 1 and p1.files[0].removed_count == 0


@pytest.mark.parametrize("name", [
    "series.mbox", "series-mboxo.mbox", "series.mbox.gz", "maildir", "patches",
])
def test_whole_series_forms(name: str) -> None:
    s = read_series(str(MAIL / name))
    _check_full_v2(s)
    assert s.warnings == ()


def test_mboxrd_unescaping() -> None:
    s = read_series(str(MAIL / "series.mbox"))
    reply = next(r for r in s.replies if r.message.msgid == "reply-1@example.org")
    # ">>From" in the file is ">From" in the message
    assert "\n>From the looks of it" in reply.message.body


def test_mboxo_unescaping() -> None:
    s = read_series(str(MAIL / "series-mboxo.mbox"))
    reply = next(r for r in s.replies if r.message.msgid == "reply-1@example.org")
    assert "\nFrom the looks of it" in reply.message.body


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (MAIL / "series.mbox").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    s = read_series("-")
    _check_full_v2(s)
    assert s.source == "-"


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    target = tmp_path / "thread.txt"
    shutil.copy(MAIL / "series.mbox.gz", target)
    _check_full_v2(read_series(str(target)))


def test_revision_choice_and_override() -> None:
    s = read_series(str(MAIL / "series.mbox"))
    assert s.revisions_seen == (1, 2)
    assert s.revision_reason == "v2: highest complete revision"
    v1 = read_series(str(MAIL / "series.mbox"), revision=1)
    assert v1.revision == 1 and v1.missing == (2,)
    assert "-v" in v1.revision_reason and "1 missing" in v1.revision_reason
    assert [p.index for p in v1.patches] == [1, 3]
    # v2's replies are not v1's
    assert v1.replies == ()


def test_unknown_revision_is_input_error() -> None:
    from patchlens.errors import InputError
    with pytest.raises(InputError, match="no revision v7"):
        read_series(str(MAIL / "series.mbox"), revision=7)


def test_git_style_diff_features() -> None:
    s = read_series(str(MAIL / "series.mbox"))
    files = {f.path: f for f in s.patches[1].files}
    assert files["drivers/widget/core.c"].status is FileStatus.MODIFIED
    assert files["drivers/widget/core.c"].old_id == "3333333cccc"
    assert files["drivers/widget/store.c"].status is FileStatus.ADDED
    assert files["drivers/widget/store.c"].old_path is None
    assert files["drivers/widget/old.c"].status is FileStatus.DELETED
    assert files["drivers/widget/old.c"].new_path is None
    assert files["firmware/widget.bin"].status is FileStatus.BINARY
    renamed = s.patches[2].files[0]
    assert renamed.status is FileStatus.RENAMED
    assert (renamed.old_path, renamed.new_path) == ("drivers/widget/core.c",
                                                    "drivers/widget/base.c")


def test_in_body_from_and_trailers() -> None:
    s = read_series(str(MAIL / "series.mbox"))
    p2 = s.patches[1]
    assert p2.author == "Bob Builder <bob@example.org>"
    assert p2.message.author == "Ann Author <ann@example.org>"
    assert not p2.commit_message.startswith("From:")
    names = [t.name for t in p2.trailers]
    assert names[:3] == ["Suggested-by", "Signed-off-by", "Signed-off-by"]
    # Tested-by given to the cover applies to every patch
    assert all(any(t.name == "Tested-by" and t.msgid == "cover-reply@example.org"
                   for t in p.trailers) for p in s.patches)
    # Reviewed-by given in a reply to 1/3 only
    p1_reviews = [t for t in s.patches[0].trailers if t.name == "Reviewed-by"]
    assert [t.value for t in p1_reviews] == ["Carl Critic <carl@example.org>"]
    assert not any(t.name == "Reviewed-by" for t in s.patches[1].trailers)


def test_replies_threaded() -> None:
    s = read_series(str(MAIL / "series.mbox"))
    by_id = {r.message.msgid: r for r in s.replies}
    assert by_id["reply-1@example.org"].patch_index == 1
    # the answer has only In-Reply-To pointing at the reply
    answer = by_id["answer-1@example.org"]
    assert answer.parent_msgid == "reply-1@example.org" and answer.patch_index == 1
    assert by_id["cover-reply@example.org"].patch_index == 0
    c = by_id["reply-1@example.org"].comments[0]
    assert (c.file, c.new_line) == ("include/linux/widget_defs.h", 13)
    assert c.text.startswith("Why STORE and not MSG_STORE?")
    # the "-- " signature is not part of the comment
    assert c.text.endswith("Reviewed-by: Carl Critic <carl@example.org>")
    a = answer.comments[0]
    assert (a.file, a.new_line) == ("include/linux/widget_defs.h", 13)
    assert a.text == "Because the store is not a message."


def test_single_format_patch_message() -> None:
    s = read_series(str(MAIL / "single.eml"))
    assert [p.index for p in s.patches] == [1]
    assert s.missing == (2, 3)
    assert "none complete" in s.revision_reason


def test_quilt_style() -> None:
    s = read_series(str(MAIL / "quilt.mbox"))
    files = s.patches[0].files
    assert [f.path for f in files] == ["include/linux/widget_defs.h", "drivers/widget/new.c"]
    assert files[1].status is FileStatus.ADDED
    assert [l.new_no for l in files[0].hunks[0].added] == [13]
    # diffstat lines are not diff
    assert files[0].added_count == 1


@pytest.mark.parametrize("name", ["mime-qp.eml", "mime-base64.eml",
                                  "mime-attachment.eml", "crlf.eml"])
def test_mime_forms(name: str) -> None:
    s = read_series(str(MAIL / name))
    assert s.warnings == ()
    p = s.patches[0]
    assert p.index == 1 and p.title == "widget: Add WIDGET_BUS_STORE token"
    added = p.files[0].hunks[0].added
    assert [l.text for l in added] == ["\tWIDGET_BUS_STORE,"]
    assert "\r" not in p.message.body


def test_qp_latin1_and_rfc2047() -> None:
    s = read_series(str(MAIL / "mime-qp.eml"))
    p = s.patches[0]
    assert p.message.author == "J\u00f6rg Sch\u00fctz <joerg@example.org>"
    assert "Gr\u00fc\u00dfe from J\u00f6rg." in p.commit_message


def test_format_flowed_reply() -> None:
    s = read_series(str(MAIL / "mime-flowed.eml"))
    c = s.replies[0].comments[0]
    assert c.text.startswith("Why STORE and not MSG_STORE?")
    assert c.patch_index == 1


def test_archive_text_reply() -> None:
    s = read_series(str(MAIL / "archive-reply.txt"))
    assert s.patches == () and s.revision == 2 and s.total == 3
    r = s.replies[0]
    assert r.message.author == "Carl Critic"
    c = r.comments[0]
    assert (c.patch_index, c.file) == (1, "include/linux/widget_defs.h")
    # best effort: numbered from the @@ header; the quote dropped one line
    assert c.new_line == 12
    (fp,) = s.rebuilt
    assert s.rebuilt_index == (1,)
    assert [l.text.strip() for l in fp.hunks[0].added] == ["WIDGET_BUS_STORE,"]


def test_duplicate_messages_ignored(tmp_path: Path) -> None:
    data = (MAIL / "series.mbox").read_bytes()
    path = tmp_path / "twice.mbox"
    path.write_bytes(data + b"\n" + data)
    s = read_series(str(path))
    _check_full_v2(s)
    assert len(s.replies) == 3
    assert any("duplicate" in w for w in s.warnings)


def test_archive_date_parsed() -> None:
    s = read_series(str(MAIL / "archive-reply.txt"))
    assert s.replies[0].message.date == "2023-11-14T04:00:00-05:00"


def test_flowed_soft_breaks_stay_within_quote_depth() -> None:
    from patchlens.mail.message import _unflow
    text = "> quoted soft \n> continued\n>> deeper \nplain soft \nline\n>  +\tcode\n-- \nsig"
    assert _unflow(text, False).split("\n") == [
        "> quoted soft continued", ">> deeper ", "plain soft line", ">  +\tcode",
        "-- ", "sig"]


def test_reply_found_by_title_alone(tmp_path: Path) -> None:
    text = (MAIL / "series.mbox").read_text()
    text += ("\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Eve <e@x>\n"
             "Subject: Re: widget: Add WIDGET_FLAG_STORE\nMessage-Id: <t@x>\n\n"
             "Looks odd to me.\n")
    path = tmp_path / "t.mbox"
    path.write_text(text)
    s = read_series(str(path))
    r = next(r for r in s.replies if r.message.msgid == "t@x")
    assert r.patch_index == 2 and r.parent_msgid is None
    assert r.comments[0].text == "Looks odd to me."


def test_crlf_mbox(tmp_path: Path) -> None:
    path = tmp_path / "crlf.mbox"
    path.write_bytes((MAIL / "series.mbox").read_bytes().replace(b"\n", b"\r\n"))
    s = read_series(str(path))
    _check_full_v2(s)
    c = next(r for r in s.replies if r.message.msgid == "reply-1@example.org").comments[0]
    assert (c.file, c.new_line) == ("include/linux/widget_defs.h", 13)
