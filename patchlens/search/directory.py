"""The directory backend: hits by size and mtime, the rest by ctime.

Cold, the system search (``rg``, else ``git grep --no-index``, else
GNU ``grep``) reads every file once and reports each hit as it prints
it; with a ``follow`` function, headers first and then the rest once
for the literals and the macros the header hits define.  Warm (the
store holds the last run's :data:`DirAnswer` for the same directory),
the tree is stat()ed: hits whose size and mtime did not change are
reused, files whose ctime is older than that run are not read.

"The same directory" is its identity, not its name: the device and
inode of the root, and the inode of every folder below it.  A tree
renamed over another (``mv linux linux-old; mv linux-new linux``)
keeps its files' old ctimes, so a ctime older than the last search
says nothing about a file in a folder that is not the one searched
then: a new root is searched cold, and every file of a folder whose
inode changed (or that is new) is read again.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from typing import Literal

from patchlens.limits import MAX_TREE_FILE_BYTES
from patchlens.cache import Store, search_store
from patchlens.search.context import (
    CODE, Follow, Found, Lits, OnHit, SearchContext, Walk, contains,
    is_scanned_path)
from patchlens.search.system import pattern_args, search_env
from patchlens.tree.source import TreeSource, blob_id

__all__ = ["dir_search", "dir_greps", "begin_find", "ripgrep", "engine_of", "RG_ARGS",
           "grep_paths", "read_file", "walk_of", "identity", "root_identity",
           "DirAnswer", "Identity", "Part", "EVERYTHING", "HEADERS", "SOURCES"]

Stat = tuple[int, int, int]         # size, mtime_ns, ctime_ns
# Which directory was searched: device and inode of the root, and the
# inode of each folder below it ({} when the search did not list them).
Identity = tuple[int, int, dict[str, int]]
# What a directory search leaves for the next run: when it started
# (less the racy margin), its hits, and the directory's identity then.
# Every other scanned file whose ctime is older, in a folder of the
# same inode, is known not to contain the literals; a hit is reused
# while its size and mtime are unchanged.
DirAnswer = tuple[int, dict[str, tuple[int, int, str]], Identity]

# Which files a system search covers: (suffixes, Documentation/), and
# its name in :class:`SearchStats` steps.
Part = tuple[tuple[str, ...], bool]
EVERYTHING: Part = (CODE, True)
HEADERS: Part = ((".h",), False)
SOURCES: Part = ((".c",), True)       # .c files and Documentation/
_PART_NAMES = {EVERYTHING: "everything", HEADERS: "headers", SOURCES: "sources"}


def _root(source: TreeSource) -> str:
    root: str = getattr(source, "root")
    return root


def walk_of(ctx: SearchContext, source: TreeSource) -> Walk:
    """When :func:`_walk` started (time.time_ns) and what it found,
    once per tree object (a run's searches share it)."""
    got = ctx.walk_of(source)
    if got is None:
        started = time.time_ns()
        files, folders = _walk(_root(source))
        got = (started, files, folders)
        ctx.keep_walk(source, got)
    return got


def _walk(root: str, stats: bool = True) -> tuple[dict[str, Stat], dict[str, int]]:
    """path -> (size, mtime_ns, ctime_ns) of every scanned regular file
    (symbolic links are not followed, as neither grep -r nor git grep
    follow them; none without ``stats``), and folder -> inode of every
    folder below ``root`` (from the directory entries: no stat)."""
    out: dict[str, Stat] = {}
    folders: dict[str, int] = {}
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
                        # st_ino, not the entry's d_ino: they differ on
                        # overlay file systems, and find(1) prints st_ino.
                        folders[rel] = e.stat(follow_symlinks=False).st_ino
                        stack.append((e.path, rel))
                elif stats and is_scanned_path(rel) and e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    out[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            except OSError:
                continue
    return out, folders


def root_identity(root: str) -> tuple[int, int] | None:
    """(device, inode) of a directory, or None when it cannot be stat()ed."""
    try:
        st = os.stat(root)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def identity(ctx: SearchContext, source: TreeSource) -> Identity | None:
    """The directory's :data:`Identity` now: its folders as this run
    listed them, else listed now (by find(1) when it can: a fifth of a
    walk's cost on linux 6.12)."""
    root = _root(source)
    top = root_identity(root)
    if top is None:
        return None
    folders = ctx.folders_of(source)
    if folders is None:
        found = _find(root)
        folders = found[1] if found is not None else _walk(root, stats=False)[1]
        ctx.keep_folders(source, folders)
    return top[0], top[1], folders


def _find(root: str, newer_ns: int | None = None
          ) -> tuple[list[str], dict[str, int]] | None:
    """GNU find(1) over ``root``: the regular files whose inode changed
    after ``newer_ns`` (none when it is None) and folder -> inode of
    every folder below it, neither through a symbolic link, ``.git``
    left out -- what :func:`_walk` tells, without a Python call per
    file: 0.15 s where the walk takes 0.6 s on linux 6.12.  None when
    find is missing or not GNU's (no ``-printf``)."""
    try:
        res = subprocess.run(_find_cmd(newer_ns), cwd=root, capture_output=True,
                             timeout=600, env=search_env(repository=False))
    except (OSError, subprocess.SubprocessError):
        return None
    return _find_output(res.stdout, res.returncode)


def _find_cmd(newer_ns: int | None) -> list[str]:
    cmd = ["find", ".", "-name", ".git", "-prune", "-o",
           "-type", "d", "-printf", r"d%i %P\0"]
    if newer_ns is not None:
        sec, ns = divmod(newer_ns, 10**9)
        cmd += ["-o", "-type", "f", "-newerct", f"@{sec}.{ns:09d}", "-printf", r"f%P\0"]
    return cmd


def begin_find(ctx: SearchContext, source: TreeSource, then: int) -> None:
    """Start the listing of what changed since ``then`` (a warm
    search's last run) now, in the background: a warm search picks it
    up (:func:`_warm_by_find`) instead of listing then."""
    if ctx.changes_of(source) is not None or source in ctx.pending_finds:
        return
    started = time.time_ns()
    try:
        proc = subprocess.Popen(_find_cmd(then - 1), cwd=_root(source),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=search_env(repository=False))
    except OSError:
        return
    ctx.pending_finds[source] = (started, then - 1, proc)
    import atexit
    from patchlens.search.context import reap
    atexit.register(reap, [proc])


def _find_output(out: bytes, status: int) -> tuple[list[str], dict[str, int]] | None:
    """What :func:`_find_cmd` printed: (changed files, folder -> inode)."""
    if status not in (0, 1) or (status and not out):
        return None
    files: list[str] = []
    folders: dict[str, int] = {}
    for rec in out.split(b"\0"):
        kind, text = rec[:1], rec[1:].decode("utf-8", "surrogateescape")
        if kind == b"f":
            files.append(text)
        elif kind == b"d":
            ino, _, rel = text.partition(" ")
            if rel:
                try:
                    folders[rel] = int(ino)
                except ValueError:
                    return None
        elif rec:
            return None
    return files, folders


def read_file(ctx: SearchContext, root: str, path: str
              ) -> tuple[bytes, tuple[int, int]] | None:
    """The bytes and (size, mtime) of a regular file the search or the
    walk listed (counted in ``ctx.stats.reads``).  Neither follows
    symbolic links, so the path needs none of the checks
    ``DirectoryTree.read`` makes for paths a patch names (a realpath
    each: 0.2 ms, where this costs a tenth of it); a final symbolic
    link is refused all the same.  The stat comes from the open file,
    before its bytes, so a change after the read shows next run."""
    ctx.read_one(path)
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


def _read_bytes(ctx: SearchContext, root: str, path: str) -> bytes:
    got = read_file(ctx, root, path)
    return got[0] if got else b""


def ripgrep() -> str | None:
    """The ``rg`` binary: on ``PATH``, else where the ``ripgrep`` wheel
    (``patchlens[fast]``) put it -- the scripts directory of this
    Python, which is not on ``PATH`` when a virtual environment is not
    activated.  Looked up once per process."""
    global _RG
    if _RG is None:
        found = shutil.which("rg")
        if found is None:
            import sysconfig
            for scheme in (None, f"{os.name}_user"):
                try:
                    where = sysconfig.get_path("scripts", scheme) if scheme \
                        else sysconfig.get_path("scripts")
                except KeyError:
                    continue
                cand = os.path.join(where, "rg")
                if os.path.isfile(cand) and os.access(cand, os.X_OK):
                    found = cand
                    break
        _RG = found or ""
    return _RG or None


_RG: str | None = None


def engine_of(ctx: SearchContext) -> str | None:
    """The tool a directory search runs: the context's ``engine``, or
    for "auto" the fastest there is (rg, then git grep, then GNU grep);
    None when the one asked for (or every one) is missing."""
    want = ctx.engine
    if want in ("auto", "rg") and ripgrep() is not None:
        return "rg"
    if want == "rg":
        return None
    if want in ("auto", "git") and shutil.which("git") is not None:
        return "git"
    if want in ("auto", "grep") and shutil.which("grep") is not None:
        return "grep"
    return None


# ripgrep made to read what grep -r and git grep --no-index read: no
# ignore files of any kind (--no-ignore), dot files too (--hidden), no
# RIPGREP_CONFIG_PATH (--no-config), files with NUL bytes searched to
# their end (--binary: by default rg stops at the first NUL), bytes as
# they are (--encoding=none: rg would otherwise decode a file that
# starts with a UTF-16 byte-order mark).  Like the others it follows no
# symbolic link.  Every hit is read again in Python (``contains``), so
# a tool may list too much, never too little.  A file larger than
# MAX_TREE_FILE_BYTES is never read (the tree skips it with a warning):
# rg does not read it either (a 3 GB sparse header took 20 s to grep).
RG_ARGS = ("--no-config", "--no-ignore", "--hidden", "--binary",
           "--encoding=none", "--no-messages", "-l0F",
           f"--max-filesize={MAX_TREE_FILE_BYTES}")


def dir_greps(ctx: SearchContext, root: str, lits: Lits, part: Part = EVERYTHING,
              under: str = "") -> list[subprocess.Popen[bytes]]:
    """The system searches for ``lits`` over ``part`` of a directory
    (below ``under``), printing NUL-separated paths relative to ``root``.

    By :func:`engine_of`: ``rg`` (:data:`RG_ARGS`; a thread per core,
    0.5 s where git grep takes 1.0 s on linux 6.12); ``git grep
    --no-index -lzF`` (a thread per core and a faster matcher than GNU
    grep's: 1.0 s where ``grep -rlF`` takes 2.4 s for the same
    literals and files, the same 116 hits; it skips symbolic links and
    ignores ``.gitignore`` as ``grep -r`` does); else ``grep -rlZF``,
    one per suffix and one for ``Documentation/``, started at once:
    grep uses one core.  All in :func:`search_env`.
    """
    suffixes, docs = part
    pats = pattern_args(lits)
    env = search_env(repository=False)
    top = under.strip("/")
    tool = engine_of(ctx)
    if tool == "rg":
        runs = [[ripgrep() or "rg", *RG_ARGS, *pats,
                 *(a for s in suffixes for a in ("-g", f"*{s}")),
                 *(["-g", "/Documentation/**"] if docs and not top else []),
                 "--", top or "."]]
    elif tool == "git":
        pre = f"{top}/" if top else ""
        runs = [["git", "grep", "--no-index", f"--threads={os.cpu_count() or 1}",
                 "-lzF", *pats, "--", *(f"{pre}*{s}" for s in suffixes),
                 *(["Documentation/"] if docs and not top else [])]]
    elif tool == "grep":
        runs = [["grep", "-rlZF", f"--include=*{s}", *pats, "--", top or "."]
                for s in suffixes]
        if docs and not top and os.path.isdir(os.path.join(root, "Documentation")):
            runs.append(["grep", "-rlZF", *pats, "--", "Documentation"])
    else:
        return []
    ctx.step(_PART_NAMES.get(part, "scope"), lits, under, tool)
    procs: list[subprocess.Popen[bytes]] = []
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


def _grep_stream(proc: subprocess.Popen[bytes]) -> Iterator[str]:
    """The NUL-separated paths grep prints, as it prints them."""
    buf = b""
    assert proc.stdout is not None
    read1 = getattr(proc.stdout, "read1")  # a BufferedReader: typeshed says IO[bytes]
    while True:
        chunk: bytes = read1(65536)
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\0")
        for p in done:
            yield p.decode("utf-8", "surrogateescape")
    if buf:
        yield buf.decode("utf-8", "surrogateescape")


def grep_paths(procs: list[subprocess.Popen[bytes]], suffixes: tuple[str, ...] = ()
               ) -> Iterator[tuple[str, None] | tuple[None, bool]]:
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


class _DirSearch:
    """The hits of one literal set in a directory; content ids are
    hashes of the bytes.  Each file's stat is taken before its bytes
    (:func:`read_file`), so a change after the read shows next run."""

    def __init__(self, ctx: SearchContext, root: str, lits: Lits,
                 on_hit: OnHit | None = None) -> None:
        self.ctx, self.root, self.lits, self.on_hit = ctx, root, lits, on_hit
        self.found: Found = {}
        self.kept: dict[str, tuple[int, int, str]] = {}

    def check(self, path: str,
              got: tuple[bytes, tuple[int, int]] | None | bool = False) -> None:
        """Whether ``path`` (its bytes and stat ``got``, read here when
        not given) contains the literals."""
        if path in self.found:
            return
        if got is False:
            got = read_file(self.ctx, self.root, path)
        if not isinstance(got, tuple) or not contains(got[0], self.lits):
            return
        data, size_mtime = got
        self.reuse(path, blob_id(data), size_mtime)

    def reuse(self, path: str, cid: str, size_mtime: tuple[int, int]) -> None:
        """Record a hit (content id ``cid``)."""
        self.found[path] = cid
        self.kept[path] = (*size_mtime, cid)
        if self.on_hit is not None:
            self.on_hit(path, cid)

    def answer(self, since: int, ident: Identity) -> DirAnswer:
        return since, self.kept, ident


def dir_search(ctx: SearchContext, source: TreeSource, lits: Lits, store: Store,
               on_hit: OnHit | None, follow: Follow | None,
               memo: dict[Lits, Found]) -> Found:
    """Hits in a directory tree; content ids are hashes of the bytes.

    Known (a previous run left a :data:`DirAnswer`): the tree is
    stat()ed; hits whose size and mtime did not change are reused,
    files whose ctime is older than that run (in a folder of the same
    inode) are not read, the rest are.  Cold (another directory now
    has the name, or too much changed): the system search, which reads
    every file once; with ``follow``, in two steps -- see
    :func:`_cold`."""
    root = _root(source)
    since = time.time_ns() - ctx.racy_ns
    alldirs = store.get("dirs")
    known = alldirs.get(root)
    result = None
    if known is not None and known[2][:2] == root_identity(root):
        result = _warm(ctx, source, lits, known, on_hit)
        if result is not None:
            ctx.stats.store_hits += 1
    ident = None
    if result is None:
        # The folders are listed before the search reads them: one
        # swapped in later has a younger inode change than ``since``.
        ident = identity(ctx, source)
        result = _cold(ctx, source, lits, on_hit, follow, memo, since, ident)
    else:
        ident = identity(ctx, source)
    run, since = result
    if ident is not None:
        alldirs[root] = run.answer(since, ident)
    else:
        alldirs.pop(root, None)
    store.touch("dirs")
    return run.found


def _warm(ctx: SearchContext, source: TreeSource, lits: Lits, known: DirAnswer,
          on_hit: OnHit | None) -> tuple[_DirSearch, int] | None:
    """A search from the last run's answer, or None when more files
    changed than a system search would take to read.  A file in a
    folder that is not the one searched then (another inode, or new)
    is read whatever its ctime says."""
    then, hits, (_, _, was) = known
    quick = _warm_by_find(ctx, source, lits, known, on_hit)
    if quick is not False:
        return quick
    started, stats, folders = walk_of(ctx, source)
    moved = {d for d, ino in folders.items() if was.get(d) != ino}
    todo = []
    run = _DirSearch(ctx, _root(source), lits, on_hit)
    for p, (size, mtime, ctime) in stats.items():
        k = hits.get(p)
        if ctime >= then or (k is not None and (k[0], k[1]) != (size, mtime)) \
                or (moved and p.rpartition("/")[0] in moved):
            todo.append(p)      # changed since, or may have
        elif k is not None:
            run.reuse(p, k[2], (size, mtime))
    if len(todo) > ctx.grep_threshold:
        return None
    for p in todo:
        run.check(p)
    return run, started - ctx.racy_ns


def _warm_by_find(ctx: SearchContext, source: TreeSource, lits: Lits,
                  known: DirAnswer, on_hit: OnHit | None
                  ) -> tuple[_DirSearch, int] | None | Literal[False]:
    """:func:`_warm` from what find(1) lists -- the files whose inode
    changed since the last search, and the folders -- and a stat of
    each hit; False when that cannot answer (no GNU find, a walk done
    already, or a folder that is not the one searched then: its files
    are all read, and only a walk lists them)."""
    then, hits, (_, _, was) = known
    if ctx.walk_of(source) is not None:
        return False
    root = _root(source)
    # A run's searches share one listing when it covers them: files
    # changed since an earlier time are a superset (each is read again).
    pending = ctx.pending_finds.pop(source, None)
    if pending is not None:
        early_started, early_newer, proc = pending
        out, _ = proc.communicate()
        got = _find_output(out, proc.returncode)
        if got is not None:
            ctx.keep_changes(source, (early_started, early_newer, *got))
    known_changes = ctx.changes_of(source)
    if known_changes is not None and known_changes[1] <= then - 1 \
            and len(known_changes[2]) <= 256:
        started, _, changed, folders = known_changes
    else:
        started = time.time_ns()
        found = _find(root, then - 1)
        if found is None:
            return False
        changed, folders = found
        ctx.keep_changes(source, (started, then - 1, changed, folders))
    if any(was.get(d) != ino for d, ino in folders.items()):
        return False
    ctx.keep_folders(source, folders)
    todo = {p for p in changed if is_scanned_path(p)}
    run = _DirSearch(ctx, root, lits, on_hit)
    for p, (size, mtime, cid) in hits.items():
        if p in todo:
            continue
        parent = p.rpartition("/")[0]
        if parent and parent not in folders:
            continue            # its folder is gone (or now a symbolic link)
        try:
            st = os.lstat(os.path.join(root, p))
        except OSError:
            continue            # gone
        if not stat.S_ISREG(st.st_mode):
            continue
        if (st.st_size, st.st_mtime_ns) != (size, mtime) or st.st_ctime_ns >= then:
            todo.add(p)
        else:
            run.reuse(p, cid, (size, mtime))
    if len(todo) > ctx.grep_threshold:
        return None
    for p in sorted(todo):
        run.check(p)
    return run, started - ctx.racy_ns


def _cold(ctx: SearchContext, source: TreeSource, lits: Lits,
          on_hit: OnHit | None, follow: Follow | None,
          memo: dict[Lits, Found], since: int, ident: Identity | None
          ) -> tuple[_DirSearch, int]:
    """Every file read once by the system search.

    With ``follow`` (or a header search begun by ``start``), the macros
    the header hits define are searched in the same pass: headers
    first, then ``.c`` files and ``Documentation/`` for both sets while
    headers are searched again for the new one.  The new set's answer
    goes to ``memo`` and to its own store, so the caller's later search
    for it (or a subset) costs nothing.  Without any system search,
    every file is read here."""
    root = _root(source)
    run = _DirSearch(ctx, root, lits, on_hit)
    early = ctx.early(source).pop(lits, None)
    Step = tuple[list[subprocess.Popen[bytes]], _DirSearch, "_DirSearch | None"]
    steps: list[Step]
    if early is not None:       # its reading began then
        ctx.stats.early_joined += 1
        since = min(since, early[0] - ctx.racy_ns)
        follow = early[2]
        steps = [(early[1], run, None)]
    elif follow is not None:
        steps = [(dir_greps(ctx, root, lits, HEADERS), run, None)]
    else:
        steps = [(dir_greps(ctx, root, lits), run, None)]
    ok = True
    for procs, target, other in steps:
        ok = ok and bool(procs)
        for p, done in grep_paths(procs):
            if p is None:
                ok = ok and bool(done)
                continue
            if other is None:
                target.check(p)
            else:                       # a hit of either set
                got = read_file(ctx, root, p)
                target.check(p, got)
                other.check(p, got)
        if len(steps) == 1 and follow is not None and ok:
            nxt = tuple(sorted({m for p in run.found
                                for m in follow(_read_bytes(ctx, root, p), lits)}))
            second = _DirSearch(ctx, root, nxt)
            if nxt:
                both = tuple(sorted(set(lits) | set(nxt)))
                steps.append((dir_greps(ctx, root, both, SOURCES), run, second))
                steps.append((dir_greps(ctx, root, nxt, HEADERS), second, None))
            else:
                steps.append((dir_greps(ctx, root, lits, SOURCES), run, None))
    if not ok:                  # no system search, or one failed: read here
        ctx.stats.fallbacks += 1
        for p in walk_of(ctx, source)[1]:
            run.check(p)
        return run, since
    for procs, target, other in steps[1:]:
        if other is not None and other.lits:
            memo[other.lits] = other.found
            st2 = search_store(ctx.cache, other.lits)
            if ident is not None:
                st2.get("dirs")[root] = other.answer(since, ident)
                st2.touch("dirs")
            st2.flush()
    return run, since
