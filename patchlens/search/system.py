"""What every system search process shares: its environment and its
arguments."""

from __future__ import annotations

import os
from collections.abc import Iterable

__all__ = ["search_env", "pattern_args", "git_dir", "GIT_MEMORY"]

# A git grep of a revision maps the pack file in windows of up to 1 GB
# (8 GB in all) and every page it touched counts in its resident set:
# 450 MB for one git grep of linux 6.12's code, where 16 MB windows,
# 48 MB at once, take 230 MB for the same CPU time (issue 15: a run
# with its children stays under 500 MB).  The delta-base cache stays
# git's (smaller costs CPU).
GIT_MEMORY = ("-c", "core.packedGitWindowSize=16m", "-c", "core.packedGitLimit=48m")


def search_env(repository: bool = True) -> dict[str, str]:
    """The environment of a search process: bytes, not characters (the
    C locale).  A search of a plain directory also runs without the
    user's and the system's git configuration, so that a broken
    ~/.gitconfig or its grep.* settings cannot change it; a search of a
    repository keeps them (safe.directory may be what lets it in)."""
    env = {**os.environ, "LC_ALL": "C"}
    if not repository:
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def pattern_args(lits: Iterable[bytes]) -> list[str]:
    """``-e LITERAL`` for each literal (bytes kept as they are)."""
    return [a for lit in lits for a in ("-e", lit.decode("utf-8", "surrogateescape"))]


def git_dir(root: str) -> str:
    """The git directory of a work tree, or ``root`` for a bare one."""
    dot = os.path.join(root, ".git")
    return dot if os.path.exists(dot) else root
