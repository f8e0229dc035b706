"""Failures the issue-16 fuzz kinds (tests/fuzz.py: cnesting,
profileregex, specialfile, cachedamage, dirswap) found, each kept as a
regression test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from patchlens.search.directory import ripgrep

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "fixtures" / "hostile" / "tree"


@pytest.mark.skipif(ripgrep() is None, reason="ripgrep not installed")
def test_a_sparse_3gb_header_in_the_tree_is_not_searched(tmp_path: Path) -> None:
    # specialfile kind: the tree skipped the file (64 MiB limit) but rg
    # still read its 3 GB of zeros: 20 s and more (a hang on a slow
    # disk).  rg now skips what the tree would not read.
    tree = tmp_path / "tree"
    shutil.copytree(SEED, tree)
    with open(tree / "include" / "linux" / "huge.h", "wb") as fh:
        fh.write(b"#define MSI_FLAG_HUGE (1 << 3)\n")
        fh.truncate(3 << 30)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "patchlens", "refs", "--all",
                           "--no-cache", "--tree", str(tree)],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "c")))
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr[-1000:]
    assert took < 15, f"{took:.1f} s"      # ~2 s measured, under load


def test_a_hunk_near_its_line_is_placed_without_indexing_the_file() -> None:
    # Issue 16: 1,000 patches against a 925 KB header took apply 31 s,
    # most of it indexing every line of the header once per patch to
    # place a hunk a few lines off.  It is now looked for outward first,
    # as git apply does; the index is built only past 2,048 lines.
    from patchlens.tree.apply import _git_find, _LineIndex
    image = [f"line {i}" for i in range(100_000)]
    index = _LineIndex(image)
    pattern = ["line 5003", "line 5004", "line 5005"]
    assert _git_find(image, index, pattern, 5000, False, False) == 5003
    assert index._at is None
    # ties: a later line first at equal distance, as git's find_pos
    twice = ["a", "x", "b", "x", "c"]
    assert _git_find(twice, _LineIndex(twice), ["x"], 2, False, False) == 3
    # far away: the index finds it, as before
    assert _git_find(image, index, ["line 90000"], 10, False, False) == 90000
