"""The series applied in memory: every hunk status, file operations,
patches stacking on one file, refusal of escaping paths, no writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.checks.hunks import hunk_findings
from patchlens.cli import main
from patchlens.diff import FilePatch, FileStatus, Hunk, HunkLine
from patchlens.errors import InputError
from patchlens.tree import open_tree
from patchlens.tree.apply import HunkStatus, Rules, apply_series
from tests.tree_helpers import (fixture, make_dir, make_repo, make_series,
                                snapshot)

W = "include/linux/widget.h"


def patch(name: str) -> str:
    return fixture(name).decode()


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    path = tmp_path / "linux"
    make_repo(path, [
        {W: fixture("widget.h"), "drivers/widget/core.c": fixture("core.c"),
         "drivers/widget/legacy.c": fixture("legacy.c")},
        {W: fixture("widget-moved.h")},
    ], tags={0: "v1", 1: "v2"})
    return path


def only_hunk(applied, k: int = 0):
    (f,) = applied.results[k].files
    (h,) = f.hunks
    return f, h


def test_clean_at_the_base_revision(repo_path: Path) -> None:
    tree = open_tree(str(repo_path), "v1")
    applied = apply_series(tree, make_series(patch("bus.patch"), patch("flag.patch"),
                                             patch("ops.patch")))
    statuses = [h.status for r in applied.results for h in r.hunks]
    # the ops hunk moves down by the three lines the first two patches added
    assert statuses == [HunkStatus.CLEAN, HunkStatus.CLEAN, HunkStatus.OFFSET]
    assert applied.results[2].hunks[0].offset == 3
    _, bus = only_hunk(applied, 0)
    assert (bus.new_start, bus.new_end) == (23, 29)
    final = applied.state(3).read(W).decode()
    assert "WIDGET_BUS_USB," in final and "WIDGET_FLAG_IMS" in final
    assert "(*suspend)" in final


def test_offset_fuzz_failed_and_preimage_on_a_moved_tree(repo_path: Path) -> None:
    """GNU patch's rules (--fuzz 2): the ops hunk fits with fuzz 1."""
    tree = open_tree(str(repo_path), "v2")
    before = snapshot(repo_path)
    applied = apply_series(tree, make_series(
        patch("bus.patch"), patch("ops.patch"), patch("flag-noindex.patch"),
        patch("flag.patch")), Rules(fuzz=2))
    _, bus = only_hunk(applied, 0)
    assert bus.status is HunkStatus.OFFSET and bus.offset == 5
    assert "offset +5" == bus.describe
    _, ops = only_hunk(applied, 1)
    assert ops.status is HunkStatus.FUZZ and ops.fuzz == 1
    f, failed = only_hunk(applied, 2)
    assert failed.status is HunkStatus.FAILED and not f.applied
    # names where it nearly fits: the three lines before the new flag
    assert failed.near is not None
    assert (failed.near.line, failed.near.matched, failed.near.total) == (19, 3, 6)
    assert failed.near.differs_at == 22
    assert "cannot be steered" in failed.near.tree_text
    assert failed.near.hunk_text == "};"
    assert "line 19" in failed.message
    # the failed hunk's added lines are still readable
    assert [l.text.split()[0] for l in failed.hunk.added] == ["/*", "WIDGET_FLAG_IMS"]
    # the same hunk with its index line: applied to the pre-image blob
    # and merged onto v2 as `git am -3` does; v2 put WIDGET_FLAG_NO_STEER
    # where the patch puts WIDGET_FLAG_IMS: a conflict (git merge-file
    # says the same), and the file keeps v2's lines
    f, pre = only_hunk(applied, 3)
    assert pre.status is HunkStatus.CONFLICT and not f.applied
    assert pre.conflict is not None and pre.conflict.line == 22
    assert pre.conflict.theirs == ("\t/* Widget supports IMS */",
                                   "\tWIDGET_FLAG_IMS\t\t\t= (1 << 3),")
    assert any("WIDGET_FLAG_NO_STEER" in t for t in pre.conflict.ours)
    assert "2b5121c" in f.message and "1 conflict" in f.message
    assert "WIDGET_FLAG_IMS" not in applied.state(4).read(W).decode()
    counts = applied.counts()
    assert counts[HunkStatus.FAILED] == 1 and counts[HunkStatus.CONFLICT] == 1
    codes = [x.code for x in hunk_findings(applied)]
    assert codes == ["hunk-fuzz", "hunk-failed", "hunk-conflict"]
    assert snapshot(repo_path) == before


def test_preimage_needs_a_repository(repo_path: Path, tmp_path: Path) -> None:
    root = make_dir(tmp_path / "dir", {W: fixture("widget-moved.h")})
    before = snapshot(root)
    applied = apply_series(open_tree(str(root), None),
                           make_series(patch("flag.patch")))
    _, h = only_hunk(applied)
    assert h.status is HunkStatus.FAILED
    assert snapshot(root) == before


def test_a_later_patch_changes_lines_an_earlier_one_added(repo_path: Path) -> None:
    tree = open_tree(str(repo_path), "v1")
    applied = apply_series(tree, make_series(patch("bus.patch"), patch("bus2.patch")))
    assert [h.status for r in applied.results for h in r.hunks] == [HunkStatus.CLEAN] * 2
    assert b"WIDGET_BUS_USB," in applied.state(1).read(W)
    after = applied.state(2).read(W)
    assert b"WIDGET_BUS_USB_HOST," in after and b"WIDGET_BUS_USB," not in after
    assert applied.state(0).read(W) == fixture("widget.h")
    assert applied.changed(2) == frozenset({W}) and applied.changed(0) == frozenset()
    assert applied.state_after(1).read(W) == applied.state(1).read(W)
    with pytest.raises(IndexError):
        applied.state(3)


def test_rename_delete_create(repo_path: Path) -> None:
    tree = open_tree(str(repo_path), "v1")
    applied = apply_series(tree, make_series(patch("files.patch"), patch("bus.patch")))
    files = {f.path: f for f in applied.results[0].files}
    assert all(f.applied for f in files.values())
    assert files["drivers/widget/widget-core.c"].status is FileStatus.RENAMED
    assert files["drivers/widget/widget-core.c"].hunks[0].status is HunkStatus.CLEAN
    s = applied.state(1)
    assert not s.exists("drivers/widget/core.c")
    assert b"-EBUSY" in s.read("drivers/widget/widget-core.c")
    assert not s.exists("drivers/widget/legacy.c")
    assert s.read("drivers/widget/usb.c").startswith(b"// SPDX")
    assert sorted(s.files("drivers")) == ["drivers/widget/usb.c",
                                          "drivers/widget/widget-core.c"]
    assert applied.changed(1) == frozenset({
        "drivers/widget/core.c", "drivers/widget/widget-core.c",
        "drivers/widget/legacy.c", "drivers/widget/usb.c"})
    assert tree.exists("drivers/widget/core.c")      # the base is untouched


def test_file_level_failures_do_not_stop_the_series(repo_path: Path) -> None:
    tree = open_tree(str(repo_path), "v1")
    # applying files.patch twice: the second time every file op fails
    applied = apply_series(tree, make_series(patch("files.patch"),
                                             patch("files.patch"),
                                             patch("bus.patch")))
    second = applied.results[1]
    assert not any(f.applied for f in second.files)
    assert any("already exists" in f.message for f in second.files)
    assert any("not in the tree" in f.message for f in second.files)
    # git refuses all three; the deletion and the new file are there
    # already, the rename's source is not
    status = {f.path: [h.status for h in f.hunks] for f in second.files}
    assert status == {"drivers/widget/widget-core.c": [HunkStatus.FAILED],
                      "drivers/widget/legacy.c": [HunkStatus.ALREADY],
                      "drivers/widget/usb.c": [HunkStatus.ALREADY]}
    assert not second.already and not second.git_applies
    assert applied.results[2].hunks[0].status is HunkStatus.CLEAN


def test_already_applied_is_recognised(repo_path: Path) -> None:
    tree = open_tree(str(repo_path), "v1")
    applied = apply_series(tree, make_series(patch("bus.patch"), patch("bus.patch")))
    _, again = only_hunk(applied, 1)
    assert again.status is HunkStatus.ALREADY and again.already_at == 23
    assert applied.results[1].already and not applied.results[1].git_applies
    assert applied.state(2).read(W) == applied.state(1).read(W)


def test_no_tree_reads_new_files_only(tmp_path: Path) -> None:
    tree = open_tree(None, None, cwd=str(tmp_path))
    applied = apply_series(tree, make_series(patch("files.patch")))
    usb = next(f for f in applied.results[0].files if f.path.endswith("usb.c"))
    assert usb.applied and applied.state(1).exists("drivers/widget/usb.c")


@pytest.mark.parametrize("name", ["../outside.h", "/etc/passwd"])
def test_escaping_paths_are_refused(repo_path: Path, name: str) -> None:
    hunk = Hunk(old_start=1, old_len=1, new_start=1, new_len=2, section="",
                lines=(HunkLine(" ", "x", 1, 1), HunkLine("+", "y", None, 2)))
    series = make_series()
    from dataclasses import replace
    from tests.tree_helpers import make_series as ms
    base = ms(patch("bus.patch"))
    p = replace(base.patches[0], files=(FilePatch(name, name, FileStatus.MODIFIED,
                                                  (hunk,)),))
    series = replace(base, patches=(p,))
    before = snapshot(repo_path)
    with pytest.raises(InputError) as err:
        apply_series(open_tree(str(repo_path), "v1"), series)
    assert "\n" not in str(err.value)
    assert snapshot(repo_path) == before


def _mbox(path: Path, *diffs: str) -> Path:
    total = len(diffs)
    parts = []
    for i, d in enumerate(diffs, start=1):
        parts.append(
            f"From patchlens@z Thu Jan  1 00:00:00 1970\n"
            f"From: Test Author <author@example.org>\n"
            f"Subject: [PATCH {i}/{total}] widget: change {i}\n"
            f"Message-ID: <{i}.test@example.org>\n"
            f"Date: Mon, 1 Jan 2024 00:00:0{i} +0000\n\n"
            f"Change {i}.\n\nSigned-off-by: Test Author <author@example.org>\n"
            f"---\n{d}\n")
    path.write_text("".join(parts))
    return path


def test_cli_apply_text_and_json(repo_path: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    mbox = _mbox(tmp_path / "s.mbox", patch("bus.patch"), patch("flag-noindex.patch"))
    before = snapshot(repo_path)
    rc = main(["apply", str(mbox), "--tree", str(repo_path), "--rev", "v2"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "offset +5" in out and "FAILED" in out
    assert "nearly fits at line 19" in out
    assert out.rstrip().splitlines()[-1] == \
        "0 of 2 hunks clean, 1 offset, 0 with fuzz, 1 failed"
    assert all(len(l) <= 72 and l.isascii() for l in out.splitlines())
    rc = main(["apply", str(mbox), "--tree", str(repo_path), "--rev", "v2",
               "--format", "json"])
    import json
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["failed"] == 1
    assert doc["patches"][1]["files"][0]["hunks"][0]["near"]["line"] == 19
    assert snapshot(repo_path) == before


def test_cli_bad_revision_exits_2(repo_path: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    mbox = _mbox(tmp_path / "s.mbox", patch("bus.patch"))
    rc = main(["apply", str(mbox), "--tree", str(repo_path), "--rev", "v9"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "unknown revision: v9" in err


# -- git's rules, 3-way, already in the tree, the base guess ---------------

def test_git_rules_merge_what_gnu_patch_fuzzes(repo_path: Path) -> None:
    """v2 changed a context line of the ops hunk: git refuses the hunk
    (no fuzz), and with the pre-image blob merges it 3-way, keeping
    v2's own lines; GNU patch -F2 places it with fuzz 1."""
    tree = open_tree(str(repo_path), "v2")
    series = make_series(patch("ops.patch"))
    f, h = only_hunk(apply_series(tree, series))
    assert h.status is HunkStatus.MERGED and h.describe == "3-way merged"
    assert f.applied and f.preimage == "2b5121c" and "moved on" in f.message
    applied = apply_series(tree, series)
    after = applied.state(1).read(W).decode()
    assert "(*suspend)" in after and "WIDGET_OPS_VERSION" in after
    assert "WIDGET_FLAG_NO_STEER" in after
    assert [x.code for x in hunk_findings(applied)] == ["tree-moved-on"]
    # without the blob (a directory of v2's files): git refuses it
    _, h = only_hunk(apply_series(tree, series, Rules(three_way=False)))
    assert h.status is HunkStatus.FAILED
    _, h = only_hunk(apply_series(tree, series, Rules(fuzz=2)))
    assert h.status is HunkStatus.FUZZ
    assert h.describe == "fuzz 1, offset +5: git would refuse"


ADD_AT_END = """\
diff --git a/include/linux/widget.h b/include/linux/widget.h
--- a/include/linux/widget.h
+++ b/include/linux/widget.h
@@ -31,4 +31,6 @@ struct widget_ops {
 	void	(*remove)(struct widget *w);
 };
 
+#define WIDGET_OPS_VERSION	2
+
 #endif /* _LINUX_WIDGET_H */
"""


def test_a_pure_addition_git_refuses_is_placed_only_by_fuzz(tmp_path: Path) -> None:
    """The 13/33 shape: a pure addition whose first context line the
    tree changed: git refuses it; GNU patch -F1 ignores that line."""
    text = fixture("widget.h").replace(b"(*remove)(struct widget *w)",
                                       b"(*remove)(struct widget *w, int how)")
    tree = open_tree(str(make_dir(tmp_path / "d", {W: text})), None)
    series = make_series(ADD_AT_END)
    _, h = only_hunk(apply_series(tree, series))
    assert h.status is HunkStatus.FAILED
    assert h.near is not None and h.near.differs_at == 31
    _, h = only_hunk(apply_series(tree, series, Rules(fuzz=2)))
    assert h.status is HunkStatus.FUZZ and h.fuzz == 1
    assert h.describe == "fuzz 1: git would refuse"
    tree = open_tree(str(make_dir(tmp_path / "e", {W: fixture("widget.h")})), None)
    _, h = only_hunk(apply_series(tree, series))
    assert h.status is HunkStatus.CLEAN


def test_a_hunk_without_trailing_context_must_match_at_the_end(
        tmp_path: Path) -> None:
    diff = ADD_AT_END.replace("@@ -31,4 +31,6 @@", "@@ -32,3 +32,4 @@").replace(
        "+#define WIDGET_OPS_VERSION\t2\n+\n #endif /* _LINUX_WIDGET_H */\n",
        " #endif /* _LINUX_WIDGET_H */\n+/* end */\n").replace(
        " \tvoid\t(*remove)(struct widget *w);\n", "")
    moved = fixture("widget.h") + b"/* more */\n"
    tree = open_tree(str(make_dir(tmp_path / "d", {W: moved})), None)
    _, h = only_hunk(apply_series(tree, make_series(diff)))
    assert h.status is HunkStatus.FAILED           # git: at the end or not at all
    _, h = only_hunk(apply_series(tree, make_series(diff), Rules(fuzz=0)))
    assert h.status is HunkStatus.CLEAN            # GNU patch: where it fits


def test_a_hunk_at_line_1_must_match_at_the_start(tmp_path: Path) -> None:
    head = fixture("widget.h").decode().splitlines()[:3]
    diff = ("diff --git a/include/linux/widget.h b/include/linux/widget.h\n"
            "--- a/include/linux/widget.h\n+++ b/include/linux/widget.h\n"
            "@@ -1,3 +1,4 @@\n+/* first */\n" + "".join(f" {l}\n" for l in head))
    moved = b"/* banner */\n" + fixture("widget.h")
    tree = open_tree(str(make_dir(tmp_path / "d", {W: moved})), None)
    _, h = only_hunk(apply_series(tree, make_series(diff)))
    assert h.status is HunkStatus.FAILED           # git: "patch does not apply"
    _, h = only_hunk(apply_series(tree, make_series(diff), Rules(fuzz=0)))
    assert h.status is HunkStatus.OFFSET and h.offset == 1   # GNU patch


def test_the_fixture_patches_as_git_and_gnu_patch_say(repo_path: Path) -> None:
    """The oracles of the kernel suite, on the fixtures: every patch's
    verdict (and git's result) is the real tools'."""
    from tests.git_oracle import compare_with_git, compare_with_patch, have_gnu_patch
    names = ["bus.patch", "ops.patch", "flag-noindex.patch", "flag.patch",
             "bus2.patch", "files.patch"]
    for rev in ("v1", "v2"):
        tree = open_tree(str(repo_path), rev)
        for order in (names, names[::-1]):
            series = make_series(*(patch(n) for n in order))
            assert compare_with_git(apply_series(tree, series,
                                                 Rules(three_way=False))) == []
            if have_gnu_patch():
                assert compare_with_patch(apply_series(
                    tree, series, Rules(fuzz=2, three_way=False)), 2) == []


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    import subprocess
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "Test Author",
           "GIT_COMMITTER_EMAIL": "a@example.org",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(["git", *args], cwd=cwd, input=stdin, env=env,
                         capture_output=True, check=True)
    return out.stdout.decode()


def _worktree(tmp_path: Path) -> Path:
    """A work tree with the widget files committed on branch main."""
    wt = make_dir(tmp_path / "wt", {W: fixture("widget.h"),
                                    "drivers/widget/core.c": fixture("core.c")})
    _git(wt, "init", "-q", "-b", "main")
    _git(wt, "add", ".")
    _git(wt, "commit", "-q", "-m", "widget: base")
    return wt


def _series_from(wt: Path, edits: list[tuple[str, str, str]]) -> Path:
    """Commit each (old, new, subject) edit of widget.h on a side branch,
    ``git format-patch`` them into one mbox, and go back to main."""
    _git(wt, "checkout", "-q", "-b", "series")
    for old, new, subject in edits:
        path = wt / W
        path.write_text(path.read_text().replace(old, new, 1))
        _git(wt, "commit", "-q", "-am", subject)
    mbox = wt.parent / "series.mbox"
    mbox.write_text(_git(wt, "format-patch", "--stdout", "--cover-letter",
                         f"main..series"))
    _git(wt, "checkout", "-q", "main")
    return mbox


EDITS = [("\tWIDGET_BUS_PLATFORM,\n", "\tWIDGET_BUS_PLATFORM,\n\tWIDGET_BUS_USB,\n",
          "widget: add the USB bus token"),
         ("\tvoid\t(*remove)", "\tint\t(*suspend)(struct widget *w);\n\tvoid\t(*remove)",
          "widget: add a suspend callback")]


def test_git_am_of_the_first_patch_is_found_in_the_tree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What b4 shazam / git am leave: the first patch committed on top.
    The report says 1/2 is already in the tree and applies it once."""
    wt = _worktree(tmp_path)
    mbox = _series_from(wt, EDITS)
    first = _git(wt, "format-patch", "--stdout", "-1", "series~1")
    _git(wt, "am", "-q", stdin=first.encode())
    tree = open_tree(str(wt), None)
    from patchlens.mail import read_series
    series = read_series(str(mbox))
    applied = apply_series(tree, series)
    one, two = applied.results
    assert one.already and not one.git_applies and two.git_applies
    assert applied.applied_prefix == 1
    final = applied.final.read(W) or b""
    assert final.count(b"WIDGET_BUS_USB") == 1 and b"(*suspend)" in final

    assert main(["apply", str(mbox), "--tree", str(wt)]) == 0
    out = capsys.readouterr().out
    assert "already in the tree: 1/2 (the series is partly applied" in out
    section = out.split("patch 1/2", 1)[1].split("\npatch ", 1)[0]
    assert "hunk 1   already in the tree" in section
    assert " ".join(out.rstrip().splitlines()[-2:]) == (
        "1 of 2 hunks clean, 0 offset, 0 with fuzz, 1 already in the tree, "
        "0 failed")
    assert all(len(l) <= 72 for l in out.splitlines())
    rc = main(["report", str(mbox), "--tree", str(wt), "--no-cache"])
    out = capsys.readouterr().out
    assert rc in (0, 1)
    assert "1/2: already in the tree: not applied again" in out
    assert "the series is partly applied" in out


def test_guess_base_finds_the_commit_of_the_index_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The series was made on main's first commit; main moved on twice
    (widget.h, then core.c).  --guess-base walks back to the commit whose
    blobs the index lines name and says how many matched."""
    wt = _worktree(tmp_path)
    mbox = _series_from(wt, EDITS)
    (wt / W).write_text((wt / W).read_text().replace(
        "#include <linux/types.h>", "#include <linux/types.h>\n#include <linux/bits.h>"))
    _git(wt, "commit", "-q", "-am", "widget: include bits.h")
    core = wt / "drivers/widget/core.c"
    core.write_text(core.read_text() + "/* end */\n")
    _git(wt, "commit", "-q", "-am", "widget: a comment")
    from patchlens.mail import read_series
    from patchlens.tree.base import guess_base, open_series_tree, series_blobs
    series = read_series(str(mbox))
    assert series.base_commit is None
    blobs = series_blobs(series)
    assert [b.path for b in blobs] == [W]
    tree = open_tree(str(wt), None)
    found = guess_base(tree.repo, "HEAD", blobs)  # type: ignore[attr-defined]
    base = _git(wt, "rev-parse", "HEAD~2").strip()
    assert found is not None and found.commit == base
    assert (found.name, found.matched, found.total) == ("HEAD~2", 1, 1)
    assert found.describe.startswith(f"HEAD~2 ({base[:12]}) holds the series' "
                                     "pre-image blob in 1 of 1 files")
    # automatic: the series names no base and --rev is not given
    opened = open_series_tree(str(wt), None, series)
    assert opened.info.commit == base and "guessed base" in opened.info.reason
    assert all(r.git_applies for r in apply_series(opened, series).results)
    # --rev HEAD is taken as given; --guess-base walks from it
    assert open_series_tree(str(wt), "HEAD", series).info.commit != base
    assert open_series_tree(str(wt), "HEAD", series, guess=True).info.commit == base
    # --since bounds the walk: the commits are all from 2024-01-01
    late = open_series_tree(str(wt), None, series, since="2030-01-01")
    assert late.info.revision == "HEAD" and "no commit" in late.info.reason
    assert main(["apply", str(mbox), "--tree", str(wt), "--guess-base"]) == 0
    out = capsys.readouterr().out
    assert "--guess-base: HEAD~2" in out and "in 1 of 1 files" in out


def test_since_and_the_walk_bound(tmp_path: Path) -> None:
    from patchlens.tree.base import guess_base, parse_since, series_blobs
    assert parse_since("2 weeks", now=10_000_000) == 10_000_000 - 14 * 86400
    assert parse_since("3.days.ago", now=1_000_000) == 1_000_000 - 3 * 86400
    assert parse_since("2024-01-01") == 1704067200
    with pytest.raises(InputError) as err:
        parse_since("last tuesday")
    assert "--since" in str(err.value)
    wt = _worktree(tmp_path)
    mbox = _series_from(wt, EDITS)
    core = wt / "drivers/widget/core.c"
    for n in range(3):
        core.write_text(core.read_text() + f"/* {n} */\n")
        _git(wt, "commit", "-q", "-am", f"widget: comment {n}")
    from patchlens.mail import read_series
    blobs = series_blobs(read_series(str(mbox)))
    repo = open_tree(str(wt), None).repo  # type: ignore[attr-defined]
    # widget.h never changed after the base: HEAD holds its pre-image
    found = guess_base(repo, "HEAD", blobs)
    assert found is not None and (found.name, found.walked) == ("HEAD", 1)
    (wt / W).write_text((wt / W).read_text() + "/* moved on */\n")
    _git(wt, "commit", "-q", "-am", "widget: moved on")
    found = guess_base(repo, "HEAD", blobs)
    assert found is not None and found.name == "HEAD~1"
    assert guess_base(repo, "HEAD", blobs, limit=1) is None


def test_guess_base_without_index_lines(repo_path: Path) -> None:
    """quilt's diffs name no blobs: the tree stays HEAD, and an explicit
    --guess-base says why it guessed nothing."""
    from patchlens.tree.base import open_series_tree
    series = make_series(patch("flag-noindex.patch"))
    auto = open_series_tree(str(repo_path), None, series)
    assert auto.info.revision == "HEAD" and "index" not in auto.info.reason
    asked = open_series_tree(str(repo_path), None, series, guess=True)
    assert asked.info.revision == "HEAD"
    assert asked.info.reason.endswith("--guess-base: the diffs have no index lines")
    # the widget series' index lines name v1's blob: v1 is found
    found = open_series_tree(str(repo_path), None, make_series(patch("bus.patch")))
    assert found.info.revision == "HEAD~1" and "1 of 1 files" in found.info.reason


def test_a_patch_git_refuses_whole_says_so(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """git takes a patch whole or not at all: when one hunk is already in
    the tree and another applies, git apply --check refuses the patch;
    apply says so above the per-hunk lines (it analyses the rest)."""
    tree = tmp_path / "tree"
    (tree / "drivers").mkdir(parents=True)
    body = [f"int widget_{i};" for i in range(1, 21)]
    body[2] = "int widget_3_new;"          # the first hunk's result is there
    (tree / "drivers" / "widget.c").write_text("\n".join(body) + "\n")
    diff = (
        "diff --git a/drivers/widget.c b/drivers/widget.c\n"
        "--- a/drivers/widget.c\n+++ b/drivers/widget.c\n"
        "@@ -1,5 +1,5 @@\n int widget_1;\n int widget_2;\n-int widget_3;\n"
        "+int widget_3_new;\n int widget_4;\n int widget_5;\n"
        "@@ -14,5 +14,5 @@\n int widget_14;\n int widget_15;\n-int widget_16;\n"
        "+int widget_16_new;\n int widget_17;\n int widget_18;\n")
    mbox = _mbox(tmp_path / "s.mbox", diff)
    main(["apply", str(mbox), "--tree", str(tree)])
    out = capsys.readouterr().out
    assert "git apply --check refuses this patch as a whole (1 hunk already " \
           "in the tree)" in " ".join(out.split())
    assert "already in the tree: 1/1" not in out
