"""The 3-way merge of text (``git am -3``'s per-file step), with
``git merge-file`` as the oracle."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from patchlens.tree.merge import merge3


def test_one_side_changes_take_that_side() -> None:
    base = ["a", "b", "c", "d", "e"]
    ours = ["a", "B", "c", "d", "e"]           # the tree changed b
    theirs = ["a", "b", "c", "d", "E", "f"]    # the patch changed e, added f
    m = merge3(base, ours, theirs)
    assert m.clean and m.lines == ("a", "B", "c", "d", "E", "f")


def test_the_same_change_on_both_sides_is_taken_once() -> None:
    base = ["a", "b", "c"]
    both = ["a", "b", "x", "c"]
    m = merge3(base, both, both)
    assert m.clean and m.lines == tuple(both)


def test_different_changes_to_one_line_conflict() -> None:
    base = ["{", "token = NEXUS;", "}"]
    m = merge3(base, ["{", "token = PCI_MSI;", "}"],
               ["{", "token = WIRED;", "}"])
    (c,) = m.conflicts
    assert (c.base_start, c.base, c.ours, c.theirs, c.line) == (
        1, ("token = NEXUS;",), ("token = PCI_MSI;",), ("token = WIRED;",), 2)
    assert m.lines == ("{", "token = PCI_MSI;", "}")     # the tree's kept


def test_a_deletion_against_a_change_conflicts() -> None:
    m = merge3(["a", "b", "c"], ["a", "c"], ["a", "B", "c"])
    (c,) = m.conflicts
    assert c.ours == () and c.theirs == ("B",)


def _merge_file(tmp: Path, base: list[str], ours: list[str],
                theirs: list[str]) -> tuple[int, str]:
    paths = []
    for name, lines in (("ours", ours), ("base", base), ("theirs", theirs)):
        p = tmp / name
        p.write_text("".join(f"{l}\n" for l in lines))
        paths.append(str(p))
    out = subprocess.run(["git", "merge-file", "-p", *paths],
                         capture_output=True, text=True)
    return out.returncode, out.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_as_git_merge_file_says(tmp_path: Path) -> None:
    """300 small edits of both sides: clean exactly when git merge-file
    is, with git's result (git may join nearby conflicts into one, so
    only cleanness is compared for the others).  The base's lines are
    distinct: where lines repeat, difflib and git's xdiff may line a
    change up differently (see the next test for the common case)."""
    rnd = random.Random(14)

    def edit(lines: list[str]) -> list[str]:
        out = list(lines)
        for _ in range(rnd.randint(0, 3)):
            k = rnd.randrange(len(out) + 1)
            op = rnd.random()
            if op < 0.4 and k < len(out):
                out[k] += f" changed {rnd.randint(0, 2)}"
            elif op < 0.7:
                out.insert(k, f"new {rnd.randint(0, 2)}")
            elif k < len(out):
                del out[k]
        return out

    for _ in range(300):
        base = [f"line {j}" for j in range(rnd.randint(1, 14))]
        ours, theirs = edit(base), edit(base)
        m = merge3(base, ours, theirs)
        status, text = _merge_file(tmp_path, base, ours, theirs)
        assert m.clean == (status == 0), (base, ours, theirs)
        if m.clean:
            assert "".join(f"{l}\n" for l in m.lines) == text


def test_a_change_next_to_repeated_lines_lines_up_as_git_does(
        tmp_path: Path) -> None:
    """The common head and tail are matched first (as xdiff does): the
    tree's change of the first of two closing braces is a change, not a
    deletion of the second, and merges with the patch's addition."""
    base = ["if (x) {", "}", "}"]
    ours = ["if (x) {", "} /* x */", "}"]
    theirs = ["if (x) {", "}", "}", "return 0;"]
    m = merge3(base, ours, theirs)
    assert m.clean and m.lines == ("if (x) {", "} /* x */", "}", "return 0;")
    if shutil.which("git"):
        status, text = _merge_file(tmp_path, base, ours, theirs)
        assert status == 0 and text == "".join(f"{l}\n" for l in m.lines)
