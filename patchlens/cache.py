"""Every store patchlens keeps between runs, in one table.

All stores are pickles of one dict under :func:`cache_dir`
(``$XDG_CACHE_HOME/patchlens/scan``; ``~/.cache/patchlens/scan`` when
the variable is unset, empty or relative -- the XDG spec says a
relative path is invalid and must be ignored, and it would put the
cache inside the kernel tree a reviewer runs from).  A file is read
when first asked for and written atomically when touched; a corrupt,
foreign or unreadable file counts as empty, and an entry that does not
validate (another shape: a list instead of a dict, a string where an
int belongs) is dropped, never trusted.  A read-only cache directory
only costs time.

A key holds everything the value depends on; a version in the file
name retires a store whose value or key changes shape.

======================  ==========================  =================================  ===================================  =======
store                   file (in cache_dir())       key                                value                                version
======================  ==========================  =================================  ===================================  =======
search: trees           ``trees-<L>.pickle``        git tree id (subtree or top)       ``((path, blob id), ...)``: hits     SEARCH
search: blobs           ``blobs-<L>.pickle``        git blob id                        ``bool``: holds a literal            SEARCH
search: dirs            ``dirs-<L>.pickle``         directory root (real path); the    ``(since_ns, {path: (size,           SEARCH
                                                    value holds its identity, which    mtime_ns, content id)}, (st_dev,
                                                    must match (another directory      st_ino, {folder: inode}))``
                                                    renamed to the name is searched
                                                    cold)
search: scopes          ``scopes-<L>.pickle``       ``<tree id>:<suffixes>`` of a      ``(path, ...)``: the files of the    SEARCH
                                                    folder at a git revision           folder with a suffix holding the
                                                                                       literal (``<L>``: of one literal)
facts                   ``facts-<V>.pickle``        content id ``/`` digest of the     ``FileFacts`` of the file            FACTS
                                                    scan rules, flag-set literals and
                                                    profile fingerprint
maintainers             ``maintainers-<V>.pickle``  content id of MAINTAINERS          ``Maintainers`` (one entry kept)     MAINTAINERS
definitions             ``definitions-<V>.pickle``  ``<content id>:<path>`` of a       ``RawFile``: the file's enums and    DEFINITIONS
                                                    header the constants are read      object-like macros (the
                                                    from                               constants' step 1)
flag-set macros         ``flagset-macros-<V>-<P>``  content id (``P``: the profile's   ``(RawMacro, ...)``: the file's      FLAGSET
                        ``.pickle``                 fingerprint, in the file name)     macros when it defines a flag set
archive scans           ``archive-scan-<V>.pickle`` ``<A>``: digest of the archive's   ``({epoch git dir: last commit},     ARCHIVE
                                                    real path, the profile             (ScanRow, ...), messages)``: where
                                                    fingerprint and the tree options   the last scan stopped, what it found
archive index           ``archive-index-<V>-<A>``   Message-ID                         ``(commit, blob, time, msgid,        ARCHIVE
                        ``.pickle``                                                    parents, hit, epoch)``: the
                                                                                       threading headers of every message
======================  ==========================  =================================  ===================================  =======

``<L>``: a digest of (SEARCH version, the literal set): the search's
answer depends only on the literals and the tree's bytes, which the
key (tree id, blob id, or the directory's stats) identifies.  ``<P>``:
:attr:`Profile.fingerprint` -- which macros are flag sets depends on
the profile's flag-set literals (it was once keyed by content alone,
and a run with one profile answered for another).
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["cache_home", "cache_dir", "Store", "Check",
           "SEARCH_VERSION", "FACTS_VERSION", "MAINTAINERS_VERSION",
           "FLAGSET_VERSION", "ARCHIVE_VERSION", "DEFINITIONS_VERSION",
           "search_store", "archive_store", "facts_store", "definitions_store",
           "maintainers_store", "flagset_store", "load_pickle",
           "save_pickle"]

# Bump one when its store's key or value changes shape: old files die.
# 8: a directory's answer holds its identity (device, inodes).
SEARCH_VERSION = 8
# 8: roles are Role in params, the site classes moved (extract.roles);
# 9: the key holds the profile fingerprint; 14: a filter's kind and
# default and a mention's kind are enums (FilterKind, FilterAction,
# MentionKind).
FACTS_VERSION = 15
# 2: N: patterns kept as text (compiled on first use), answers kept.
MAINTAINERS_VERSION = 2
FLAGSET_VERSION = 2        # 2: one file per profile fingerprint
# Bump with any change to what extract.definitions.read_definitions reads.
DEFINITIONS_VERSION = 1
ARCHIVE_VERSION = 2        # 2: index entries are plain tuples

# Whether one entry (key, value) has the shape its store promises.
Check = Callable[[Any, Any], bool]


def cache_home() -> str:
    """``$XDG_CACHE_HOME/patchlens``, or ``~/.cache/patchlens`` when the
    variable is unset, empty or not an absolute path."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "patchlens")


def cache_dir() -> str:
    """The directory every store of the table lives in."""
    return os.path.join(cache_home(), "scan")


# Every store file is MAGIC, the BLAKE2b digest of the pickle, then the
# pickle.  A file whose digest does not match (a flipped byte, a cut
# write, a file some other program wrote) is dropped before it is
# unpickled: damaged pickles can raise anything, or load objects that
# lack attributes, and no per-entry check can catch every such shape.
MAGIC = b"patchlens-cache/1\n"
_DIGEST = 32


def _digest(payload: bytes | memoryview) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST).digest()


def load_pickle(path: str) -> dict[Any, Any]:
    """The dict pickled in ``path``; {} when absent, unreadable, damaged
    (its digest does not match) or not a dict."""
    # The collector is paused while unpickling: the facts store is
    # ~100,000 new objects, each allocation burst ran a collection over
    # everything the run holds (0.1-0.2 s of a warm run; no cycles here).
    paused = gc.isenabled()
    gc.disable()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        head = len(MAGIC) + _DIGEST
        if not data.startswith(MAGIC) or len(data) < head or \
                data[len(MAGIC):head] != _digest(memoryview(data)[head:]):
            return {}
        obj = pickle.loads(memoryview(data)[head:])
        return obj if isinstance(obj, dict) else {}
    except Exception:           # a corrupt or foreign cache is never fatal
        return {}
    finally:
        if paused:
            gc.enable()


def save_pickle(path: str, obj: Mapping[Any, Any]) -> None:
    """Write ``obj`` to ``path`` atomically (a temporary file renamed)."""
    tmp = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        payload = pickle.dumps(dict(obj), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + _digest(payload) + payload)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass                    # a read-only cache dir only costs time
    finally:
        if tmp is not None:     # never leave a temporary file behind
            try:
                os.unlink(tmp)
            except OSError:
                pass


# The validated dict of each store file this process has loaded or
# written, with the file's identity then (device, inode, size, mtime):
# two stores of one file in a run (a report scans twice) share one
# dict -- one load, and neither flush loses the other's entries --, and
# a file changed on disk since is read again.
_LOADED: dict[str, tuple[tuple[int, int, int, int], dict[Any, Any]]] = {}


def _identity(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Store:
    """Named pickles under :func:`cache_dir` (one dict each), loaded on
    first use with every entry checked (once per process while the file
    is unchanged), written atomically on :meth:`flush` when touched;
    all empty and never written when disabled."""

    def __init__(self, enabled: bool, parts: Mapping[str, tuple[str, Check]]) -> None:
        self.enabled = enabled
        base = cache_dir()
        self.paths = {w: os.path.join(base, f) for w, (f, _) in parts.items()}
        self._checks = {w: c for w, (_, c) in parts.items()}
        self._data: dict[str, dict[Any, Any]] = {}
        self._dirty: set[str] = set()

    def get(self, which: str) -> dict[Any, Any]:
        """The entries of part ``which`` that validate (mutable: the
        caller adds to it, then :meth:`touch`)."""
        if which not in self._data:
            if not self.enabled:
                self._data[which] = {}
                return self._data[which]
            path = self.paths[which]
            ident = _identity(path)
            known = _LOADED.get(path)
            if known is not None and ident is not None and known[0] == ident:
                self._data[which] = known[1]
                return known[1]
            raw = load_pickle(path) if ident is not None else {}
            check = self._checks[which]
            good = {k: v for k, v in raw.items() if _safe(check, k, v)}
            self._data[which] = good
            if ident is not None:
                _LOADED[path] = (ident, good)
        return self._data[which]

    def touch(self, which: str) -> None:
        self._dirty.add(which)

    def flush(self) -> None:
        if self.enabled:
            for which in sorted(self._dirty):
                path = self.paths[which]
                save_pickle(path, self._data[which])
                ident = _identity(path)
                if ident is not None:
                    _LOADED[path] = (ident, self._data[which])
        self._dirty.clear()


def _safe(check: Check, key: Any, value: Any) -> bool:
    try:
        return bool(check(key, value))
    except Exception:           # a check that trips over a foreign shape
        return False


def _is_str(x: Any) -> bool:
    return isinstance(x, str)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _hits(value: Any) -> bool:
    return isinstance(value, tuple) and all(
        isinstance(h, tuple) and len(h) == 2 and _is_str(h[0]) and _is_str(h[1])
        for h in value)


def _dir_answer(value: Any) -> bool:
    if not (isinstance(value, tuple) and len(value) == 3 and _is_int(value[0])
            and isinstance(value[1], dict)):
        return False
    ident = value[2]
    if not (isinstance(ident, tuple) and len(ident) == 3 and _is_int(ident[0])
            and _is_int(ident[1]) and isinstance(ident[2], dict)
            and all(_is_str(d) and _is_int(i) for d, i in ident[2].items())):
        return False
    return all(_is_str(p) and isinstance(v, tuple) and len(v) == 3
               and _is_int(v[0]) and _is_int(v[1]) and _is_str(v[2])
               for p, v in value[1].items())


_SEARCH_CHECKS: dict[str, Check] = {
    "trees": lambda k, v: _is_str(k) and _hits(v),
    "blobs": lambda k, v: _is_str(k) and isinstance(v, bool),
    "dirs": lambda k, v: _is_str(k) and _dir_answer(v),
    "scopes": lambda k, v: _is_str(k) and isinstance(v, tuple) and all(map(_is_str, v)),
}


def literal_key(lits: Iterable[bytes]) -> str:
    """The file-name digest of a search's literal set."""
    return hashlib.sha1(repr((SEARCH_VERSION, tuple(lits))).encode()).hexdigest()[:16]


def search_store(enabled: bool, lits: tuple[bytes, ...]) -> Store:
    """The search answers of one literal set: "trees", "blobs", "dirs",
    "scopes"."""
    key = literal_key(lits)
    return Store(enabled, {w: (f"{w}-{key}.pickle", c)
                           for w, c in _SEARCH_CHECKS.items()})


def facts_store(enabled: bool, check: Check) -> Store:
    """Per-file scan facts ("facts"); ``check`` validates an entry."""
    return Store(enabled, {"facts": (f"facts-{FACTS_VERSION}.pickle",
                                     lambda k, v: _is_str(k) and check(k, v))})


def maintainers_store(enabled: bool, check: Check) -> Store:
    """The parsed MAINTAINERS by content id ("maint")."""
    return Store(enabled, {"maint": (f"maintainers-{MAINTAINERS_VERSION}.pickle",
                                     lambda k, v: _is_str(k) and check(k, v))})


def definitions_store(enabled: bool, check: Check) -> Store:
    """One file's raw definitions by ``<content id>:<path>`` ("defs"):
    a warm run parses no header it has read before."""
    return Store(enabled, {"defs": (f"definitions-{DEFINITIONS_VERSION}.pickle",
                                    lambda k, v: _is_str(k) and check(k, v))})


def flagset_store(enabled: bool, fingerprint: str, check: Check) -> Store:
    """The flag-set macros of files by content id ("m"), for the profile
    whose :attr:`~Profile.fingerprint` is ``fingerprint``."""
    name = f"flagset-macros-{FLAGSET_VERSION}-{fingerprint[:16]}.pickle"
    return Store(enabled, {"m": (name, lambda k, v: _is_str(k) and check(k, v))})


def archive_store(enabled: bool, key: str, rows: Check, index: Check) -> Store:
    """One archive's last scan ("scan": ``key`` -> (heads, rows)) and the
    threading headers of its messages ("index", read only when there is
    something new: a re-scan of an unchanged archive loads just "scan")."""
    return Store(enabled, {
        "scan": (f"archive-scan-{ARCHIVE_VERSION}.pickle",
                 lambda k, v: _is_str(k) and rows(k, v)),
        "index": (f"archive-index-{ARCHIVE_VERSION}-{key[:16]}.pickle",
                  lambda k, v: _is_str(k) and index(k, v)),
    })
