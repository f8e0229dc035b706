"""Literal search: which files of a tree contain these literals.

The one place that answers it, for the constants extractor, the hazard
checks and the reference scanner alike.  Parsing the kernel is never
needed to find a constant: a file that defines or uses
``MSI_FLAG_PCI_MSIX`` contains those bytes.

:func:`search` covers the *scanned* files (``.c``/``.h`` and
``Documentation/``) and answers path -> content id.  Its answers are

- kept per tree object and literal set for the run (an overlay -- the
  state after a patch -- reuses its base's answer and re-checks only
  the files it changes; a literal set that contains one already asked
  searches only the new literals; one contained in an answered set is
  narrowed by reading just those files);
- kept across runs under ``$XDG_CACHE_HOME/patchlens/scan``: a git
  revision by tree id (subtrees seen at any revision are not walked
  again, blobs seen are not searched again); a directory by its hits
  (size, mtime, content id) and the time the search started: a warm
  run stats the tree and reads only the hits that changed and the
  files whose ctime is newer.

Cold, ``git grep`` (``--no-index`` for a directory) or ``grep`` do the
reading (an order of magnitude faster than Python); a directory search
reports each hit as it is printed (``on_hit``) so the caller can parse
while the search reads, and follows the flag-set macros the header
hits define within the same pass (``follow``).

:func:`files_containing` narrows an answer to a folder and suffixes;
without a covering answer it runs one restricted grep (``include/``
headers for the constants), memoised per tree.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from weakref import WeakKeyDictionary

from patchlens.tree.source import TreeSource, blob_id

__all__ = ["search", "start", "files_containing", "is_scanned_path",
           "define_rx", "header_macros",
           "contains", "cache_dir", "load_pickle", "save_pickle", "PickleStore",
           "CODE"]

CODE = (".c", ".h")
# Bump when the stored search results change shape: old entries die.
_VERSION = 7
_FILE_MODES = (0o100644, 0o100755)
# Depth of git subtrees cached by tree id; deeper ones are flattened by
# libgit2 (in C) rather than walked from Python.
_TREE_DEPTH = 2
# More unseen blobs than this: one system grep beats reading them.
_GREP_THRESHOLD = 3000

OnHit = Callable[[str, str], None]
Found = dict[str, str]            # path -> content id


def is_scanned_path(path: str) -> bool:
    """Code files and documentation are searched; other files are not."""
    return path.endswith(CODE) or path.startswith("Documentation/")


def _literal_set(literals: Iterable[bytes | str]) -> tuple[bytes, ...]:
    """Literals as a search's key: bytes, each once, sorted, none empty."""
    return tuple(sorted({l.encode() if isinstance(l, str) else l
                         for l in literals if l}))


def contains(data: bytes | None, lits: Iterable[bytes]) -> bool:
    return data is not None and any(lit in data for lit in lits)


# -- persistence ---------------------------------------------------------------

def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "patchlens", "scan")


def load_pickle(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh)
        return obj if isinstance(obj, dict) else {}
    except Exception:           # a corrupt or foreign cache is never fatal
        return {}


def save_pickle(path: str, obj: dict) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass                    # a read-only cache dir only costs time


class PickleStore:
    """Named pickles under :func:`cache_dir`, loaded on first use and
    written atomically on :meth:`flush` when touched; all empty and
    never written when disabled."""

    def __init__(self, enabled: bool, names: dict[str, str]) -> None:
        self.enabled = enabled
        self.paths = {w: os.path.join(cache_dir(), f) for w, f in names.items()}
        self._data: dict[str, dict] = {}
        self._dirty: set[str] = set()

    def get(self, which: str) -> dict:
        if which not in self._data:
            self._data[which] = load_pickle(self.paths[which]) if self.enabled else {}
        return self._data[which]

    def touch(self, which: str) -> None:
        self._dirty.add(which)

    def flush(self) -> None:
        if self.enabled:
            for which in sorted(self._dirty):
                save_pickle(self.paths[which], self._data[which])
        self._dirty.clear()


def _Store(enabled: bool, lits: tuple[bytes, ...]) -> PickleStore:
    """The search results of one literal set ("trees", "blobs", "dirs")."""
    key = hashlib.sha1(repr((_VERSION, lits)).encode()).hexdigest()[:16]
    return PickleStore(enabled, {w: f"{w}-{key}.pickle"
                                 for w in ("trees", "blobs", "dirs")})


# -- the search ---------------------------------------------------------------

# Per tree object: literal set -> answer.
_memo: "WeakKeyDictionary[object, dict[tuple[bytes, ...], Found]]" = WeakKeyDictionary()


def _memo_of(source: TreeSource) -> dict[tuple[bytes, ...], Found]:
    try:
        return _memo.setdefault(source, {})
    except TypeError:           # not weak-referenceable: no memo
        return {}


def _overlay_parts(source: TreeSource) -> tuple[TreeSource, dict[str, bytes | None]] | None:
    base = getattr(source, "base", None)
    changes = getattr(source, "changes", None)
    if base is None or changes is None:
        return None
    return base, dict(changes)


def _report(found: Found, on_hit: OnHit | None) -> Found:
    if on_hit is not None:
        for path, cid in found.items():
            on_hit(path, cid)
    return found


def search(source: TreeSource, literals: Iterable[bytes | str], *,
           cache: bool = True, on_hit: OnHit | None = None,
           follow: bool = False) -> Found:
    """Every scanned file (``.c``, ``.h``, ``Documentation/``) of
    ``source`` whose bytes contain one of ``literals``: path -> content
    id.  ``on_hit(path, cid)`` is called once per hit, as early as the
    search knows it (a directory: while grep still runs).

    ``follow``: the macros the header hits define with a literal (the
    flag sets a scan follows next, :func:`header_macros`) are worth
    searching in the same pass.  A cold directory search then reads
    the headers first, then the rest of the tree once for both sets,
    and memoises (and caches) the second set's answer, so asking for
    it, or for part of it, later costs no second pass.  Elsewhere it
    changes nothing.  A search begun by :func:`start` follows them
    too.
    """
    lits = _literal_set(literals)
    if not lits:
        return {}
    parts = _overlay_parts(source)
    if parts is not None:
        # The base's answer, its hits reported as it finds them (but
        # those of the files the overlay changes), then the changes.
        base, changes = parts
        found = dict(search(base, lits, cache=cache, follow=follow, on_hit=None
                            if on_hit is None else
                            (lambda p, c: None if p in changes else on_hit(p, c))))
        for path, data in changes.items():
            found.pop(path, None)
            if is_scanned_path(path) and contains(data, lits):
                found[path] = blob_id(data)  # type: ignore[arg-type]
                if on_hit is not None:
                    on_hit(path, found[path])
        return found
    memo = _memo_of(source)
    if lits in memo:
        return _report(memo[lits], on_hit)
    # A search begun early for some of these literals is finished
    # first: it has read the headers already, and follows their macros.
    for early in _early_within(source, lits):
        search(source, early, cache=cache)
    # Literals an answer of this run covers come from it (its hits
    # read again when it answered more literals than these); only the
    # rest is searched.
    from_memo: dict[tuple[bytes, ...], list[bytes]] = {}
    for lit in lits:
        keys = [k for k in memo if lit in k]
        if keys:
            from_memo.setdefault(min(keys, key=len), []).append(lit)
    found: Found = {}
    for key, some in from_memo.items():
        got = memo[key]
        if len(some) < len(key):
            got = {p: c for p, c in got.items() if contains(source.read(p), some)}
        found.update(got)
    _report(found, on_hit)
    rest = tuple(l for l in lits if not any(l in k for k in from_memo))
    if rest:
        store = _Store(cache, rest)
        found.update(_search_tree(
            source, rest, store, None if on_hit is None else
            (lambda p, c: None if p in found else on_hit(p, c)),
            follow and not from_memo, memo))
        store.flush()
    memo[lits] = found
    if from_memo and cache:
        _keep_assembled(source, lits, (*from_memo, *((rest,) if rest else ())), found)
    return found


def _keep_assembled(source, lits: tuple[bytes, ...], parts: Iterable[tuple[bytes, ...]],
                    found: Found) -> None:
    """Cache an answer put together from others of this run, so the next
    run finds it as if it had been searched (a git revision by its tree
    id; a directory with its hits' stats and the oldest start time of
    the parts)."""
    kind = source.info.kind
    store = _Store(True, lits)
    if kind == "git" and hasattr(source, "tree_id"):
        store.get("trees")[source.tree_id("")] = tuple(sorted(found.items()))
        store.touch("trees")
    elif kind == "directory" and hasattr(source, "root"):
        answers = [_Store(True, k).get("dirs").get(source.root) for k in parts]
        if not all(isinstance(a, tuple) for a in answers):
            return
        kept: dict[str, tuple[int, int, str]] = {}
        for _, hits in answers:
            kept.update((p, v) for p, v in hits.items() if p in found)
        if set(kept) != set(found):
            return
        store.get("dirs")[source.root] = (min(a[0] for a in answers), kept)
        store.touch("dirs")
    store.flush()


def _search_tree(source: TreeSource, lits: tuple[bytes, ...], store: PickleStore,
                 on_hit: OnHit | None, follow: bool = False,
                 memo: dict | None = None) -> Found:
    kind = source.info.kind
    if kind == "git" and hasattr(source, "repo") and hasattr(source, "tree_id"):
        return _report(_git_search(source, lits, store, follow, memo), on_hit)
    if kind == "directory" and hasattr(source, "root"):
        return _dir_search(source, lits, store, on_hit, follow, memo)
    found: Found = {}
    for path in source.files():
        if is_scanned_path(path):
            data = source.read(path)
            if contains(data, lits):
                found[path] = source.content_id(path) or blob_id(data)  # type: ignore[arg-type]
                if on_hit is not None:
                    on_hit(path, found[path])
    return found


# -- git: by tree id and blob id ---------------------------------------------

def _git_dir(root: str) -> str:
    dot = os.path.join(root, ".git")
    return dot if os.path.exists(dot) else root


def _search_env(repository: bool = True) -> dict[str, str]:
    """The environment of a search process: bytes, not characters (the
    C locale).  A search of a plain directory also runs without the
    user's and the system's git configuration, so that a broken
    ~/.gitconfig or its grep.* settings cannot change it; a search of a
    repository keeps them (safe.directory may be what lets it in)."""
    env = {**os.environ, "LC_ALL": "C"}
    if not repository:
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def _pattern_args(lits: Iterable[bytes]) -> list[str]:
    return [a for l in lits for a in ("-e", l.decode("utf-8", "surrogateescape"))]


class _GitGrep:
    """``git grep -lzF`` over the scanned paths only, in the background
    while Python walks the trees.  Two processes, ``.c`` files and the
    rest: reading a tree's blobs is serialised inside one git grep
    (``--threads`` does not help), and a kernel's ``.c`` and ``.h``
    files are about the same size."""

    _SPECS = (("*.c",), ("*.h", "Documentation/"))

    def __init__(self, source, lits: tuple[bytes, ...],
                 specs: tuple[tuple[str, ...], ...] = _SPECS) -> None:
        self.procs: list[subprocess.Popen] = []
        if shutil.which("git") is None or not source.info.commit or not source.info.root:
            return
        try:
            for spec in specs:
                self.procs.append(subprocess.Popen(
                    ["git", "--git-dir", _git_dir(source.info.root), "grep",
                     "-lzF", *_pattern_args(lits), source.info.commit, "--", *spec],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_search_env()))
        except OSError:
            for proc in self.procs:
                proc.kill()
                proc.wait()
            self.procs = []

    def result(self) -> set[str] | None:
        if not self.procs:
            return None
        hits: set[str] = set()
        ok = True
        for proc in self.procs:
            out, _ = proc.communicate()
            ok = ok and proc.returncode in (0, 1)
            hits.update(p.split(":", 1)[1] for p in out.decode(
                "utf-8", "surrogateescape").split("\0") if ":" in p)
        return hits if ok else None


_Plan = dict[str, list[tuple[str, str, str]]]
# Top tree id -> the plan _ls_tree_plan made (a run's searches share it).
_plans: dict[str, tuple[_Plan, dict[str, str]]] = {}


def _ls_tree_plan(source, top: str) -> tuple[_Plan, dict[str, str]] | None:
    """The plan of :func:`_git_search` (tree id -> rows, blob id -> a
    path) for a whole tree, from one ``git ls-tree -r -t``: 0.2 s for a
    kernel, where walking 170,000 index entries through pygit2 takes
    1.5 s.  None without git (the caller walks with pygit2)."""
    if top in _plans:
        return _plans[top]
    if shutil.which("git") is None or not source.info.root:
        return None
    try:
        res = subprocess.run(["git", "--git-dir", _git_dir(source.info.root),
                              "ls-tree", "-r", "-t", "-z", "--full-tree", top],
                             capture_output=True, timeout=300, env=_search_env())
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    tid_of = {"": top}
    plan: _Plan = {top: []}
    # Directories whose rows are listed here: the first path of each
    # tree id (an identical subtree elsewhere shares its rows).
    filling = {""}
    todo: dict[str, str] = {}
    for rec in res.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, path_b = rec.partition(b"\t")
        mode, kind, oid = meta.decode().split(" ")
        path = path_b.decode("utf-8", "surrogateescape")
        parts = path.split("/")
        if kind == "tree":
            parent = "/".join(parts[:-1])
            if len(parts) <= _TREE_DEPTH and parent in filling:
                tid_of[path] = oid
                if oid not in plan:
                    plan[oid] = []
                    filling.add(path)
                plan[tid_of[parent]].append((parts[-1], oid, "tree"))
        elif kind == "blob" and int(mode, 8) in _FILE_MODES and is_scanned_path(path):
            # Its directory, or its ancestor at _TREE_DEPTH (flattened).
            cut = min(len(parts) - 1, _TREE_DEPTH)
            owner = "/".join(parts[:cut])
            if owner in filling:
                plan[tid_of[owner]].append(("/".join(parts[cut:]), oid, "blob"))
                todo.setdefault(oid, path)
    _plans.clear()              # one tree at a time: bounded memory
    _plans[top] = (plan, todo)
    return plan, todo


_GIT_HEADERS = (("drivers/*.h",), ("*.h", ":(exclude)drivers/"))
_GIT_SOURCES = (("drivers/*.c",), ("*.c", ":(exclude)drivers/", "Documentation/"))


def _git_follow(source, lits: tuple[bytes, ...]
                ) -> tuple[set[str], tuple[bytes, ...], set[str]] | None:
    """A cold search at a revision that follows the header macros, as
    :func:`_dir_search_cold` does: headers first; then ``.c`` files and
    ``Documentation/`` once for the literals and the macros the header
    hits define (:func:`header_macros`), while headers are searched
    again for those alone.  (hits of ``lits``, the macros, their hits),
    or None when a git grep failed.

    A git grep reads a revision's blobs on one core, so each step is
    split in two: ``drivers/`` and the rest hold about as many of a
    kernel's headers (1.3 s and 0.95 s of the 2.2 s one process takes
    at v6.12) and of its ``.c`` files."""
    first = _GitGrep(source, lits, _GIT_HEADERS).result()
    if first is None:
        return None
    nxt = tuple(sorted({m for p in first
                        for m in header_macros(source.read(p) or b"", lits)}))
    if not nxt:
        got = _GitGrep(source, lits, _GIT_SOURCES).result()
        return None if got is None else (first | got, (), set())
    both = _GitGrep(source, tuple(sorted(set(lits) | set(nxt))), _GIT_SOURCES)
    again = _GitGrep(source, nxt, (("*.h",),))
    got, heads = both.result(), again.result()
    if got is None or heads is None:
        return None
    data = {p: source.read(p) for p in got}
    return (first | {p for p in got if contains(data[p], lits)}, nxt,
            heads | {p for p in got if contains(data[p], nxt)})


def _resolve(plan: dict, trees: dict, blobs: dict, tid: str) -> tuple[tuple[str, str], ...]:
    """The hits below tree ``tid``: from ``trees`` when known, else from
    the plan's rows and the blobs' verdicts (and kept in ``trees``)."""
    if tid in trees:
        return trees[tid]
    out: list[tuple[str, str]] = []
    for rel, oid, kind in plan[tid]:
        if kind == "tree":
            out += [(f"{rel}/{p}", o) for p, o in _resolve(plan, trees, blobs, oid)]
        elif blobs.get(oid):
            out.append((rel, oid))
    trees[tid] = tuple(out)
    return trees[tid]


def _git_search(source, lits: tuple[bytes, ...], store: PickleStore,
                follow: bool = False, memo: dict | None = None) -> Found:
    """Hits at a git revision; content ids are blob ids.  Cold, with
    ``follow``, the header macros' answer goes to ``memo`` and to its
    own store (:func:`_git_follow`)."""
    import pygit2
    repo = source.repo
    trees = store.get("trees")
    top = repo[source.tree_id("")]
    early = None
    cold = str(top.id) not in trees and not store.get("blobs")
    if cold and not follow:
        early = _GitGrep(source, lits)      # cold: grep while we walk
    plan: dict[str, list] = {}       # tree id -> [(relpath, oid | tree id, kind)]
    todo_blobs: dict[str, str] = {}  # oid -> a path having it

    def gather(tree, prefix: str, depth: int) -> None:
        tid = str(tree.id)
        if tid in trees or tid in plan:
            return
        rows: list = []
        if depth >= _TREE_DEPTH:
            index = pygit2.Index()
            index.read_tree(tree)
            for e in index:
                if e.mode in _FILE_MODES and is_scanned_path(prefix + e.path):
                    rows.append((e.path, str(e.id), "blob"))
        else:
            for e in tree:
                if e.type_str == "tree":
                    gather(repo[e.id], prefix + e.name + "/", depth + 1)
                    rows.append((e.name, str(e.id), "tree"))
                elif e.filemode in _FILE_MODES and is_scanned_path(prefix + e.name):
                    rows.append((e.name, str(e.id), "blob"))
        plan[tid] = rows
        for rel, oid, kind in rows:
            if kind == "blob":
                todo_blobs.setdefault(oid, prefix + rel)

    listed = None
    if str(top.id) not in trees:
        listed = _ls_tree_plan(source, str(top.id))
        if listed is not None:
            plan, todo_blobs = listed
        else:
            gather(top, "", 0)
    followed = None
    if plan:
        blobs = store.get("blobs")
        unseen = {oid: p for oid, p in todo_blobs.items() if oid not in blobs}
        if cold and follow and listed is not None:
            followed = _git_follow(source, lits)
        hits = followed[0] if followed is not None else \
            early.result() if early is not None else None
        if hits is None and len(unseen) > _GREP_THRESHOLD:
            hits = _GitGrep(source, lits).result()
        if hits is not None:
            for oid, p in unseen.items():
                blobs[oid] = p in hits
        else:
            for oid in unseen:
                try:
                    data = repo[oid].data
                except (KeyError, ValueError, pygit2.GitError):
                    data = None         # a missing object: nothing to find
                blobs[oid] = contains(data, lits)
        if unseen:
            store.touch("blobs")

        _resolve(plan, trees, blobs, str(top.id))
        store.touch("trees")
    if followed is not None and followed[1] and memo is not None:
        nxt, heads = followed[1], followed[2]
        second = _Store(store.enabled, nxt)
        blobs2, trees2 = second.get("blobs"), second.get("trees")
        for oid, p in todo_blobs.items():
            blobs2[oid] = p in heads
        memo[nxt] = dict(_resolve(plan, trees2, blobs2, str(top.id)))
        second.touch("blobs")
        second.touch("trees")
        second.flush()
    return dict(trees[str(top.id)])


# -- directories: hits by size and mtime, the rest by ctime -------------------

# A file whose inode changed less than this before a search started is
# searched again next run: file system clocks are coarse and may lag
# the system clock (git calls such files "racily clean").
_RACY_NS = 5_000_000_000

Stat = tuple[int, int, int]         # size, mtime_ns, ctime_ns
# What a directory search leaves for the next run: when it started
# (less _RACY_NS) and its hits.  Every other scanned file whose ctime
# is older is known not to contain the literals; a hit is reused while
# its size and mtime are unchanged.
DirAnswer = tuple[int, dict[str, tuple[int, int, str]]]

_walks: "WeakKeyDictionary[object, tuple[int, dict[str, Stat]]]" = WeakKeyDictionary()


def _walk_of(source) -> tuple[int, dict[str, Stat]]:  # type: ignore[no-untyped-def]
    """When :func:`_walk` started (time.time_ns) and what it found,
    once per tree object (a run's searches share it)."""
    try:
        got = _walks.get(source)
    except TypeError:
        return time.time_ns(), _walk(source.root)
    if got is None:
        started = time.time_ns()
        got = _walks[source] = (started, _walk(source.root))
    return got


def _walk(root: str) -> dict[str, Stat]:
    """path -> (size, mtime_ns, ctime_ns) of every scanned regular file
    (symbolic links are not followed, as neither grep -r nor git grep
    follow them)."""
    out: dict[str, Stat] = {}
    stack = [(root, "")]
    while stack:
        fs_dir, rel_dir = stack.pop()
        try:
            with os.scandir(fs_dir) as it:
                entries = list(it)
        except OSError:         # unreadable, or vanished while listed
            continue
        for e in entries:
            rel = f"{rel_dir}/{e.name}" if rel_dir else e.name
            try:
                if e.is_dir(follow_symlinks=False):
                    if e.name != ".git":
                        stack.append((e.path, rel))
                elif is_scanned_path(rel) and e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    out[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            except OSError:
                continue
    return out


def _read_bytes(root: str, path: str) -> bytes:
    got = _read(root, path)
    return got[0] if got else b""


def _read(root: str, path: str) -> tuple[bytes, tuple[int, int]] | None:
    """The bytes and (size, mtime) of a regular file the search or the
    walk listed.  Neither follows symbolic links, so the path needs
    none of the checks ``DirectoryTree.read`` makes for paths a patch
    names (a realpath each: 0.2 ms, where this costs a tenth of it);
    a final symbolic link is refused all the same.  The stat comes
    from the open file, before its bytes, so a change after the read
    shows next run."""
    try:
        fd = os.open(os.path.join(root, path),
                     os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None
            return fh.read(), (st.st_size, st.st_mtime_ns)
        except OSError:
            return None


# Which files each search of a cold run covers: (suffixes, Documentation/).
_Part = tuple[tuple[str, ...], bool]
_EVERYTHING: _Part = (CODE, True)
_HEADERS: _Part = ((".h",), False)
_SOURCES: _Part = ((".c",), True)       # .c files and Documentation/


def _dir_greps(root: str, lits: tuple[bytes, ...], part: _Part = _EVERYTHING,
               under: str = "") -> list[subprocess.Popen]:
    """The system searches for ``lits`` over ``part`` of a directory
    (below ``under``), printing NUL-separated paths relative to ``root``.

    ``git grep --no-index -lzF`` when git is installed: it searches
    with a thread per core and a faster matcher -- 1.0 s where GNU
    ``grep -rlF`` takes 2.4 s for the same literals and files of linux
    6.12 (the same 116 hits; it skips symbolic links and ignores
    ``.gitignore`` as ``grep -r`` does).  Else ``grep -rlZF``, one per
    suffix and one for ``Documentation/``, started at once: grep uses
    one core.  Both in :func:`_search_env`.
    """
    suffixes, docs = part
    pats = _pattern_args(lits)
    env = _search_env(repository=False)
    top = under.strip("/")
    if shutil.which("git") is not None:
        pre = f"{top}/" if top else ""
        runs = [["git", "grep", "--no-index", f"--threads={os.cpu_count() or 1}",
                 "-lzF", *pats, "--", *(f"{pre}*{s}" for s in suffixes),
                 *(["Documentation/"] if docs and not top else [])]]
    elif shutil.which("grep") is not None:
        runs = [["grep", "-rlZF", f"--include=*{s}", *pats, "--", top or "."]
                for s in suffixes]
        if docs and not top and os.path.isdir(os.path.join(root, "Documentation")):
            runs.append(["grep", "-rlZF", *pats, "--", "Documentation"])
    else:
        return []
    procs = []
    try:
        for cmd in runs:
            procs.append(subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL))
    except OSError:
        for p in procs:
            p.kill()
            p.wait()
        return []
    return procs


def _grep_stream(proc: subprocess.Popen):  # type: ignore[no-untyped-def]
    """The NUL-separated paths grep prints, as it prints them."""
    buf = b""
    assert proc.stdout is not None
    while True:
        chunk = proc.stdout.read1(65536)  # type: ignore[attr-defined]
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\0")
        for p in done:
            yield p.decode("utf-8", "surrogateescape")
    if buf:
        yield buf.decode("utf-8", "surrogateescape")


def _grep_paths(procs: list[subprocess.Popen],
                suffixes: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """(path, None) for each scanned path (or each path ending in
    ``suffixes``) the searches print, then (None, ok): whether every
    search ended normally (0 or 1)."""
    ok = True
    for proc in procs:
        for p in _grep_stream(proc):
            p = p[2:] if p.startswith("./") else p
            if p and (p.endswith(suffixes) if suffixes else is_scanned_path(p)):
                yield p, None
        if proc.wait() not in (0, 1):
            ok = False
    yield None, ok


def define_rx(lits: Iterable[str | bytes]) -> re.Pattern[bytes]:
    """A ``#define`` whose (continued) line names one of ``lits``; group
    1 is the macro's name."""
    alt = b"|".join(re.escape(l.encode() if isinstance(l, str) else l)
                    for l in lits)
    return re.compile(rb"^[ \t]*#[ \t]*define[ \t]+(\w+)(?:\\\r?\n|[^\n])*?(?:"
                      + alt + rb")", re.M)


def header_macros(data: bytes, lits: tuple[bytes, ...]) -> frozenset[bytes]:
    """The object-like macros ``data`` defines with one of ``lits`` in
    the definition (continued lines included), but those a literal
    covers already: a cheap superset, read without parsing, of the
    flag sets and composing macros a header defines that a search for
    ``lits`` would miss."""
    return frozenset(m.group(1) for m in define_rx(lits).finditer(data)
                     if data[m.end(1):m.end(1) + 1] != b"("
                     and not any(l in m.group(1) for l in lits))


class _DirSearch:
    """The hits of one literal set in a directory; content ids are
    hashes of the bytes.  Each file's stat is taken before its bytes
    (:func:`_read`), so a change after the read shows next run."""

    def __init__(self, source, lits: tuple[bytes, ...],
                 on_hit: OnHit | None = None) -> None:
        self.source, self.lits, self.on_hit = source, lits, on_hit
        self.found: Found = {}
        self.kept: dict[str, tuple[int, int, str]] = {}

    def check(self, path: str,
              got: tuple[bytes, tuple[int, int]] | None | bool = False) -> None:
        """Whether ``path`` (its bytes and stat ``got``, read here when
        not given) contains the literals."""
        if path in self.found:
            return
        if got is False:
            got = _read(self.source.root, path)
        if not got or not contains(got[0], self.lits):
            return
        data, size_mtime = got
        self.reuse(path, blob_id(data), size_mtime)

    def reuse(self, path: str, cid: str, size_mtime: tuple[int, int]) -> None:
        """Record a hit (content id ``cid``)."""
        self.found[path] = cid
        self.kept[path] = (*size_mtime, cid)
        if self.on_hit is not None:
            self.on_hit(path, cid)

    def answer(self, since: int) -> DirAnswer:
        return since, self.kept


# Per tree object: literal set -> when the header search started early
# (time.time_ns) and its processes.
_early: "WeakKeyDictionary[object, dict[tuple[bytes, ...], tuple[int, list[subprocess.Popen]]]]" \
    = WeakKeyDictionary()


def start(source: TreeSource, literals: Iterable[bytes | str], *,
          cache: bool = True) -> None:
    """Start the first step of a cold directory :func:`search` for
    ``literals`` (with ``follow``) now, so it runs while the caller
    imports the parser and reads the constants (one core would idle
    there).  The search for them that comes next picks it up, whoever
    asks; nothing happens for a git tree, an overlay or a search whose
    answer is cached."""
    lits = _literal_set(literals)
    if not lits or source.info.kind != "directory" or not hasattr(source, "root") \
            or _overlay_parts(source) is not None or lits in _memo_of(source):
        return
    if isinstance(_Store(cache, lits).get("dirs").get(source.root), tuple):
        return                  # a warm search: it runs no grep to start
    early = _early_of(source)
    if lits not in early:
        started = time.time_ns()
        early[lits] = (started, _dir_greps(source.root, lits, _HEADERS))
        atexit.register(_reap, early[lits][1])


def _reap(procs: list[subprocess.Popen]) -> None:
    """An early search nobody asked for (the run failed before it)."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _early_of(source) -> dict:  # type: ignore[no-untyped-def]
    try:
        return _early.setdefault(source, {})
    except TypeError:           # not weak-referenceable: nothing early
        return {}


def _early_within(source, lits: tuple[bytes, ...]) -> list[tuple[bytes, ...]]:
    """The literal sets of searches begun early that ``lits`` contains."""
    return [k for k in _early_of(source) if k != lits and set(k) <= set(lits)]


def _early_headers(source, lits: tuple[bytes, ...]
                   ) -> tuple[int, list[subprocess.Popen]] | None:
    return _early_of(source).pop(lits, None)


def _dir_search(source, lits: tuple[bytes, ...], store: PickleStore,
                on_hit: OnHit | None, follow: bool = False,
                memo: dict | None = None) -> Found:
    """Hits in a directory tree; content ids are hashes of the bytes.

    Known (a previous run left a :data:`DirAnswer`): the tree is
    stat()ed; hits whose size and mtime did not change are reused,
    files whose ctime is older than that run are not read, the rest
    are.  Cold (or too much changed): the system search, which reads
    every file once; with ``follow``, in two steps -- see
    :func:`_dir_search_cold`."""
    root = source.root
    since = time.time_ns() - _RACY_NS
    alldirs = store.get("dirs")
    known = alldirs.get(root)
    result = None
    if isinstance(known, tuple) and len(known) == 2:
        result = _dir_search_warm(source, lits, known, on_hit)
    if result is None:
        result = _dir_search_cold(source, lits, store, on_hit, follow, memo, since)
    run, since = result
    alldirs[root] = run.answer(since)
    store.touch("dirs")
    return run.found


def _dir_search_warm(source, lits: tuple[bytes, ...], known: DirAnswer,
                     on_hit: OnHit | None) -> tuple[_DirSearch, int] | None:
    """A search from the last run's answer, or None when more files
    changed than a system search would take to read."""
    then, hits = known
    started, stats = _walk_of(source)
    todo = []
    run = _DirSearch(source, lits, on_hit)
    for p, (size, mtime, ctime) in stats.items():
        k = hits.get(p)
        if ctime >= then or (k is not None and (k[0], k[1]) != (size, mtime)):
            todo.append(p)      # changed since, or may have
        elif k is not None:
            run.reuse(p, k[2], (size, mtime))
    if len(todo) > _GREP_THRESHOLD:
        return None
    for p in todo:
        run.check(p)
    return run, started - _RACY_NS


def _dir_search_cold(source, lits: tuple[bytes, ...], store: PickleStore,
                     on_hit: OnHit | None, follow: bool,
                     memo: dict | None, since: int) -> tuple[_DirSearch, int]:
    """Every file read once by the system search.

    With ``follow`` (or a header search begun by :func:`start`), the
    macros the header hits define (:func:`header_macros`) are searched
    in the same pass: headers first, then ``.c`` files and
    ``Documentation/`` for both sets while headers are searched again
    for the new one.  The new set's answer goes to ``memo`` and to its
    own store, so the caller's later search for it (or a subset) costs
    nothing.  Without any system search, every file is read here."""
    run = _DirSearch(source, lits, on_hit)
    root = source.root
    early = _early_headers(source, lits)
    if early is not None:       # its reading began then
        since = min(since, early[0] - _RACY_NS)
        steps = [(early[1], run, None)]
    elif follow:
        steps = [(_dir_greps(root, lits, _HEADERS), run, None)]
    else:
        steps = [(_dir_greps(root, lits), run, None)]
    ok = True
    for procs, target, other in steps:
        ok = ok and bool(procs)
        for p, done in _grep_paths(procs):
            if p is None:
                ok = ok and bool(done)
                continue
            if other is None:
                target.check(p)
            else:                       # a hit of either set
                got = _read(root, p)
                target.check(p, got)
                other.check(p, got)
        if len(steps) == 1 and (early is not None or follow) and ok:
            nxt = tuple(sorted({m for p in run.found
                                for m in header_macros(_read_bytes(root, p), lits)}))
            second = _DirSearch(source, nxt)
            if nxt:
                both = tuple(sorted(set(lits) | set(nxt)))
                steps.append((_dir_greps(root, both, _SOURCES), run, second))
                steps.append((_dir_greps(root, nxt, _HEADERS), second, None))
            else:
                steps.append((_dir_greps(root, lits, _SOURCES), run, None))
    if not ok:                  # no system search, or one failed: read here
        for p in _walk_of(source)[1]:
            run.check(p)
        return run, since
    for procs, target, other in steps[1:]:
        if other is not None and memo is not None and other.lits:
            memo[other.lits] = other.found
            st2 = _Store(store.enabled, other.lits)
            st2.get("dirs")[root] = other.answer(since)
            st2.touch("dirs")
            st2.flush()
    return run, since


# -- narrowed questions ---------------------------------------------------------

def _covered(lits: Iterable[bytes], by: Iterable[bytes]) -> bool:
    by = tuple(by)
    return all(any(b in l for b in by) for l in lits)


def _in_scope(path: str, under: str, suffixes: tuple[str, ...]) -> bool:
    return (not under or path == under or path.startswith(under.rstrip("/") + "/")) \
        and path.endswith(suffixes or ("",))


def _scope_searched(under: str, suffixes: tuple[str, ...]) -> bool:
    """Whether every file of the scope is among the scanned files."""
    return bool(suffixes) and all(s in CODE for s in suffixes) or \
        under.rstrip("/") == "Documentation" or under.startswith("Documentation/")


def files_containing(source: TreeSource, literals: Iterable[str], *,
                     under: str = "", suffixes: tuple[str, ...] = (".h",),
                     within: Iterable[str] = (), cache: bool = True,
                     ) -> tuple[str, ...]:
    """Paths below ``under`` ending in ``suffixes`` whose bytes contain one
    of ``literals``; sorted.

    ``within``: the literal set of the run's tree-wide :func:`search`
    (``Profile.search_literals``); every literal containing one of
    them is answered from that search, cached across runs, by reading
    only its hits.  Without it an answered search that covers the
    literals is used when there is one, else a grep of the scope only.
    """
    lits = tuple(sorted({s.encode() for s in literals if s}))
    if not lits:
        return ()
    scope_ok = _scope_searched(under, suffixes)
    wide = tuple(sorted({s.encode() for s in within if s}))
    if scope_ok and not wide:
        base = _overlay_parts(source)
        memo = _memo_of(base[0] if base else source)
        wide = next((k for k in memo if _covered(lits, k)), ())
    if scope_ok and wide:
        extra = tuple(l for l in lits if not _covered((l,), wide))
        found = search(source, wide + extra, cache=cache)
        exact = set(lits) == set(wide + extra)
        return tuple(sorted(p for p in found if _in_scope(p, under, suffixes)
                            and (exact or contains(source.read(p), lits))))
    parts = _overlay_parts(source)
    if parts is not None:
        base, changes = parts
        found_set = set(files_containing(base, literals, under=under,
                                         suffixes=suffixes, cache=cache))
        for path, data in changes.items():
            found_set.discard(path)
            if _in_scope(path, under, suffixes) and contains(data, lits):
                found_set.add(path)
        return tuple(sorted(found_set))
    return _scoped(source, lits, under, suffixes)


# Per tree, per (under, suffixes): literal -> the files containing it.
_scoped_memo: "WeakKeyDictionary[object, dict]" = WeakKeyDictionary()


def _scoped(source: TreeSource, lits: tuple[bytes, ...], under: str,
            suffixes: tuple[str, ...]) -> tuple[str, ...]:
    """One grep of a scope (``include/`` headers), memoised per literal."""
    try:
        memo = _scoped_memo.setdefault(source, {})
    except TypeError:
        memo = {}
    per_lit = memo.setdefault((under, suffixes), {})
    todo = tuple(l for l in lits if l not in per_lit)
    if todo:
        hits = _system_grep(source, under, suffixes, todo)
        if hits is None:
            hits = tuple(p for p in source.files(under, suffixes)
                         if contains(source.read(p), todo))
        found_by: dict[bytes, set[str]] = {l: set() for l in todo}
        for path in hits:
            data = source.read(path) if len(todo) > 1 else None
            for l in todo:
                if data is None or l in data:
                    found_by[l].add(path)
        for l, paths in found_by.items():
            per_lit[l] = frozenset(paths)
    out: set[str] = set()
    for l in lits:
        out |= per_lit[l]
    return tuple(sorted(out))


def _system_grep(source: TreeSource, under: str, suffixes: tuple[str, ...],
                 lits: tuple[bytes, ...]) -> tuple[str, ...] | None:
    """``grep -rlF`` / ``git grep -lF`` of a scope, or None to fall back."""
    info = source.info
    root = info.root
    if root is None or not os.path.isdir(root):
        return None
    pats = _pattern_args(lits)
    try:
        if info.kind == "directory":
            if under.strip("/") and not os.path.isdir(os.path.join(root, under)):
                return ()
            procs = _dir_greps(root, lits, (suffixes or ("",), False), under)
            if not procs:
                return None
            found: dict[str, None] = {}
            for path, ok in _grep_paths(procs, suffixes or ("",)):
                if path is not None:
                    found[path] = None
            return tuple(found) if ok else None
        if info.kind == "git" and info.commit and shutil.which("git"):
            spec = [f"{under.rstrip('/')}/" if under else "."]
            res = subprocess.run(["git", "--git-dir", _git_dir(root), "grep",
                                  "-lF", *pats, info.commit, "--", *spec],
                                 capture_output=True, timeout=300, env=_search_env())
            if res.returncode not in (0, 1):
                return None
            out = []
            for line in res.stdout.decode("utf-8", "surrogateescape").splitlines():
                path = line.split(":", 1)[1] if ":" in line else line
                if path.endswith(suffixes or ("",)):
                    out.append(path)
            return tuple(out)
    except (OSError, subprocess.SubprocessError):
        return None
    return None
