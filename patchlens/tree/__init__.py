"""Kernel trees (git revision, directory, none) and the series applied
in memory.  Start with :func:`open_tree` and
:func:`patchlens.tree.apply.apply_series`.
"""

from __future__ import annotations

from patchlens.tree.open import open_tree
from patchlens.tree.source import TreeInfo, TreeKind, TreeSource

__all__ = ["open_tree", "TreeSource", "TreeInfo", "TreeKind"]
