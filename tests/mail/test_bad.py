"""Bad input: one line naming the file, exit 2, or warnings and keep going.
Never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.cli import main
from patchlens.errors import InputError
from patchlens.mail import read_series

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
BAD = MAIL / "bad"


@pytest.mark.parametrize("name, what", [
    ("not-mail.txt", "not mail"),
    ("binary.bin", "not mail"),
    ("no-patches.mbox", "no patches"),
    ("empty.mbox", "empty input"),
])
def test_unusable_input_is_one_line_exit_2(name: str, what: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = str(BAD / name)
    with pytest.raises(InputError) as exc:
        read_series(path)
    assert exc.value.where == path and what in exc.value.what
    assert main(["series", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"patchlens: {path}: ")


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["series", str(BAD / "nope.mbox")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no mail"):
        read_series(str(tmp_path))


def test_truncated_message_warns_and_keeps_going() -> None:
    s = read_series(str(BAD / "truncated.mbox"))
    assert s.cover is not None and [p.index for p in s.patches] == [1]
    assert any("truncated" in w for w in s.warnings)


def test_malformed_hunks_warn_and_keep_going() -> None:
    s = read_series(str(BAD / "malformed-hunks.mbox"))
    p1, p2 = s.patches
    # counts too large: the hunk is kept with what is there, marked partial
    hunk = p1.files[0].hunks[0]
    assert hunk.partial and [l.text for l in hunk.added] == ["\tWIDGET_BUS_STORE,"]
    assert hunk.removed == (), "the '-- ' signature is not a removed line"
    assert p2.files == ()
    assert any("bad-1@example.org" in w and "truncated" in w for w in s.warnings)
    assert any("bad-2@example.org" in w and "malformed hunk header" in w
               for w in s.warnings)


def test_undecodable_bytes_replaced_with_warning() -> None:
    s = read_series(str(BAD / "undecodable.eml"))
    assert s.patches[0].files[0].added_count == 1
    assert any("undecodable" in w and "bytes@example.org" in w for w in s.warnings)
    assert "\ufffd" in s.patches[0].commit_message


def test_huge_line_is_cut(tmp_path: Path) -> None:
    good = (MAIL / "single.eml").read_bytes()
    head, body = good.split(b"\n\n", 1)
    path = tmp_path / "huge.eml"
    path.write_bytes(head + b"\n\n" + b"x" * (50 * 1024 * 1024) + b"\n" + body)
    s = read_series(str(path))
    assert s.patches[0].files[0].added_count == 1
    assert any("longer than" in w for w in s.warnings)
    assert len(s.patches[0].commit_message) < 10000


def test_huge_line_not_mail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"y" * (50 * 1024 * 1024))
    assert main(["series", str(path)]) == 2
    assert "not mail" in capsys.readouterr().err


def test_gzip_garbage(tmp_path: Path) -> None:
    path = tmp_path / "x.mbox.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputError, match="gzip"):
        read_series(str(path))


def test_patch_directory_with_stray_file(tmp_path: Path) -> None:
    for f in (MAIL / "patches").iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "notes.txt").write_text("not a patch\n")
    s = read_series(str(tmp_path))
    assert [p.index for p in s.patches] == [1, 2, 3]
    assert any("notes.txt" in w and "not mail" in w for w in s.warnings)


def test_raw_8bit_headers(tmp_path: Path) -> None:
    path = tmp_path / "h.mbox"
    path.write_bytes(b"From mboxrd@z Thu Jan  1 00:00:00 1970\nMessage-Id: <a@b>\n"
                     b"From: J\xc3\xb6rg <j@x\xed\xa0\x80.org>\nSubject: [PATCH] x \xff\n\n"
                     b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    s = read_series(str(path))
    assert s.patches[0].message.author.startswith("J\u00f6rg <j@x")
    assert s.patches[0].files[0].added_count == 1


def test_implausible_patch_numbers(tmp_path: Path) -> None:
    good = (MAIL / "single.eml").read_text()
    path = tmp_path / "n.eml"
    path.write_text(good.replace("[PATCH v2 1/3]", "[PATCH v2 1/340282366920938463463374607431768211456]"))
    with pytest.raises(InputError, match="no patches"):
        read_series(str(path))


def test_huge_date_numbers(tmp_path: Path) -> None:
    text = (MAIL / "single.eml").read_text()
    path = tmp_path / "d.eml"
    path.write_text(text.replace("Date: Mon, 13 Nov 2023", "Date: Mon, 4294967296 Nov 2023"))
    s = read_series(str(path))
    assert "4294967296" in s.patches[0].message.date


def test_no_usable_diff_anywhere(tmp_path: Path) -> None:
    text = (MAIL / "single.eml").read_text()
    path = tmp_path / "bad.eml"
    path.write_text(text.replace("@@ -10,6 +10,7 @@", "@@ broken @@"))
    with pytest.raises(InputError, match="no usable diff"):
        read_series(str(path))
