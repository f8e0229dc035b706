"""parse_diff: git-style and quilt-style diffs, and what is not diff."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from patchlens.diff import FileStatus, parse_diff
from patchlens.errors import InputError

GIT = """\
Some commit text.
---
 a.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/drivers/w/a.c b/drivers/w/a.c
index abc1234..def5678 100644
--- a/drivers/w/a.c
+++ b/drivers/w/a.c
@@ -5,3 +5,3 @@ int f(void)
 {
-	return 1;
+	return 2;
 }
@@ -20 +20,2 @@
 x;
+y;
-- 
2.39.2

"""

QUILT = """\
--- a/include/w.h
+++ b/include/w.h
@@ -1,2 +1,3 @@ enum w {
 	W_A,
+	W_B,
 };
--- /dev/null
+++ b/include/new.h
@@ -0,0 +1 @@
+#define NEW 1
"""


def test_git_style() -> None:
    (f,) = parse_diff(GIT, "t")
    assert f.path == "drivers/w/a.c" and f.status is FileStatus.MODIFIED
    assert (f.old_id, f.new_id) == ("abc1234", "def5678")
    h1, h2 = f.hunks
    assert (h1.old_start, h1.old_len, h1.new_start, h1.new_len) == (5, 3, 5, 3)
    assert h1.section == "int f(void)"
    assert [(l.kind, l.text, l.old_no, l.new_no) for l in h1.lines] == [
        (" ", "{", 5, 5), ("-", "\treturn 1;", 6, None),
        ("+", "\treturn 2;", None, 6), (" ", "}", 7, 7)]
    # "@@ -20 +20,2 @@": a missing count means 1
    assert (h2.old_len, h2.new_len) == (1, 2)
    assert not h1.partial and not h2.partial
    assert (f.added_count, f.removed_count) == (2, 1)


def test_quilt_style_and_new_file() -> None:
    a, b = parse_diff(QUILT)
    assert a.path == "include/w.h" and a.status is FileStatus.MODIFIED
    assert a.old_id is None
    assert b.status is FileStatus.ADDED and b.old_path is None
    assert b.hunks[0].added[0].text == "#define NEW 1"


def test_crlf_and_eaten_context_space() -> None:
    text = QUILT.replace(" };\n", "\n").replace("\n", "\r\n")
    a, _ = parse_diff(text)
    assert [l.kind for l in a.hunks[0].lines] == [" ", "+", " "]
    assert a.hunks[0].lines[-1].text == ""


def test_truncated_hunk_repaired_and_reported() -> None:
    text = QUILT.split("--- /dev/null")[0].replace("@@ -1,2 +1,3 @@", "@@ -1,9 +1,10 @@")
    notes: list[str] = []
    (a,) = parse_diff(text, "w.patch", notes)
    h = a.hunks[0]
    assert h.partial and (h.old_len, h.new_len) == (2, 3)
    assert notes and notes[0].startswith("w.patch: include/w.h")


def test_no_newline_marker() -> None:
    text = QUILT.split("--- /dev/null")[0] + "\\ No newline at end of file\n"
    (a,) = parse_diff(text)
    assert [l.kind for l in a.hunks[0].lines] == [" ", "+", " "]


def test_rename_and_binary_and_deleted() -> None:
    text = """\
diff --git a/x.c b/y.c
similarity index 100%
rename from x.c
rename to y.c
diff --git a/fw.bin b/fw.bin
index 1111111..2222222 100644
GIT binary patch
literal 3
KcmZ>Y%6$v

literal 0
HcmV?d00001

diff --git a/gone.c b/gone.c
deleted file mode 100644
index 3333333..0000000
--- a/gone.c
+++ /dev/null
@@ -1 +0,0 @@
-int gone;
diff --git a/img.png b/img.png
Binary files a/img.png and b/img.png differ
"""
    ren, fw, gone, img = parse_diff(text)
    assert ren.status is FileStatus.RENAMED and (ren.old_path, ren.new_path) == ("x.c", "y.c")
    assert fw.status is FileStatus.BINARY and fw.old_id == "1111111"
    assert gone.status is FileStatus.DELETED and gone.new_path is None
    assert gone.path == "gone.c" and gone.removed_count == 1
    assert img.status is FileStatus.BINARY


def test_not_a_diff_is_empty() -> None:
    assert parse_diff("hello\nworld\n") == ()


def test_headers_but_nothing_usable() -> None:
    with pytest.raises(InputError) as exc:
        parse_diff("--- a/x\n+++ b/x\n@@ what @@\n", "p.mbox: <id>")
    assert exc.value.where == "p.mbox: <id>"


def test_signature_after_complete_hunk_is_not_diff() -> None:
    (f,) = parse_diff(GIT)
    assert all("2.39" not in l.text for h in f.hunks for l in h.lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "--- a/f", "+++ b/f", "@@ -1,2 +1,2 @@", "@@ -1 +1 @@", " ctx", "+add",
    "-del", "", "-- ", "2.1.0", "diff --git a/f b/f", "index 1..2",
    "GIT binary patch", "\\ No newline at end of file", "junk", "@@ x @@",
]), max_size=40))
def test_never_a_traceback(lines: list[str]) -> None:
    try:
        parse_diff("\n".join(lines) + "\n")
    except InputError:
        pass


def test_unidiff_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import patchlens.diff as diff
    from unidiff.errors import UnidiffParseError

    def broken(text: str) -> None:
        raise UnidiffParseError("Hunk is shorter than expected\n")
    monkeypatch.setattr(diff, "PatchSet", broken)
    with pytest.raises(InputError) as exc:
        parse_diff(QUILT, "w")
    assert "\n" not in str(exc.value)


def test_bare_hunk_header_is_dropped() -> None:
    (f,) = parse_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n+a\n@@ -5,2 +5,2 @@")
    assert len(f.hunks) == 1
