"""The literal search: which files of a tree contain these literals.

The one place that answers it, for the constants, the hazard checks
and the reference scanner alike.  Parsing the kernel is never needed to
find a constant: a file that defines or uses ``MSI_FLAG_PCI_MSIX``
contains those bytes.

- ``context.py``: :class:`SearchContext`, the state of a run's searches
  (owned by the Session) and its counters, :class:`SearchStats`;
- ``front.py``: :func:`search` and :func:`start` (an early start of a
  cold directory search);
- ``git.py``, ``directory.py``: the backends; ``system.py``: what their
  processes share;
- ``narrowed.py``: :func:`files_containing`, a folder and suffixes.

The on-disk stores are :mod:`patchlens.cache`'s.
"""

from patchlens.search.context import (
    CODE, Follow, Found, OnHit, SearchContext, SearchStats, SearchStep, contains,
    is_scanned_path)
from patchlens.search.front import search, start
from patchlens.search.narrowed import files_containing

__all__ = ["SearchContext", "SearchStats", "SearchStep", "search", "start",
           "files_containing", "is_scanned_path", "contains", "CODE", "Found",
           "OnHit", "Follow"]
