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

REPO = Path(__file__).resolve().parents[1]
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
