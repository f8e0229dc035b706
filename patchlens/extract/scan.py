"""The reference scan of a whole tree: pre-filter, parallel parse, cache.

1. Candidate files: ``.c``/``.h`` files and ``Documentation/`` whose
   bytes contain one of the profile's pre-filter literals (or a name
   they do not cover).  A git revision is walked by tree id: subtrees
   seen before (at any revision) give their candidates from the cache
   without being read; new subtrees are flattened by libgit2 and only
   blobs never seen are searched (one ``git grep`` when there are many,
   see :mod:`patchlens.extract.prefilter`).  A directory is walked with
   ``stat``: files whose size and mtime did not change keep their
   verdict and content id.
2. Candidates whose content id has no cached facts are parsed with
   tree-sitter in a process pool (a parser per worker).
3. The facts of all files are put together: pending call arguments are
   resolved one level deep (:func:`resolve_calls`), files get their
   MAINTAINERS subsystem.

The cache lives under ``$XDG_CACHE_HOME/patchlens`` (default
``~/.cache/patchlens``), pickles written atomically; any unreadable
cache file is ignored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

from patchlens.extract.cparse import captures, load_query, matches, node_text, parse_c
from patchlens.extract.filters import TokenFilter, find_filters
from patchlens.extract.maintainers import Maintainers, Subsystem, parse_maintainers
from patchlens.extract.references import (
    Mention, PendingCall, ReferenceSite, Role, Rules, find_sites, names_regex,
    parameter_roles, rules_for)
from patchlens.extract.structs import StructInstance, find_structs
from patchlens.tree.source import TreeSource, blob_id

__all__ = ["Scan", "FileFacts", "scan_references", "analyse_file",
           "resolve_calls", "cache_dir", "candidate_literals", "is_scanned_path",
           "family_names"]

# Bump when FileFacts or the analysis changes: old cache entries die.
_VERSION = 5
_CODE = (".c", ".h")
_FILE_MODES = (0o100644, 0o100755)
# Depth of git subtrees cached by tree id; deeper ones are flattened by
# libgit2 (in C) rather than walked from Python.
_TREE_DEPTH = 2
# More unseen blobs than this: one system grep beats reading them.
_GREP_THRESHOLD = 3000
# Fewer files to parse than this: no process pool.
_POOL_MIN = 8


@dataclass(frozen=True)
class FileFacts:
    """Everything one file contributes (cached by content id)."""

    path: str
    sites: tuple[ReferenceSite, ...] = ()
    mentions: tuple[Mention, ...] = ()
    pending: tuple[PendingCall, ...] = ()
    flagsets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    structs: tuple[StructInstance, ...] = ()
    filters: tuple[TokenFilter, ...] = ()
    params: tuple[tuple[str, tuple[tuple[int, str, str], ...]], ...] = ()
    functions: tuple[str, ...] = ()
    calls: tuple[tuple[str, str], ...] = ()      # (caller, callee)


@dataclass(frozen=True)
class Scan:
    """The reference scan of one tree state."""

    sites: tuple[ReferenceSite, ...]
    mentions: tuple[Mention, ...]
    structs: tuple[StructInstance, ...]
    filters: tuple[TokenFilter, ...]
    calls: Mapping[str, frozenset[str]]
    flagsets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    functions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # fn -> files
    subsystems: Mapping[str, Subsystem] = field(default_factory=dict)        # file -> entry
    names: Mapping[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    label: str = ""

    def of(self, name: str) -> tuple[ReferenceSite, ...]:
        return tuple(s for s in self.sites if s.name == name)


# -- cache -----------------------------------------------------------------------

def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "patchlens", "scan")


def _load(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh)
        return obj if isinstance(obj, dict) else {}
    except Exception:           # a corrupt or foreign cache is never fatal
        return {}


def _save(path: str, obj: dict) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass                    # a read-only cache dir only costs time


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class _Cache:
    """The pickles of one scan configuration (None: no cache at all)."""

    def __init__(self, enabled: bool, lits: tuple[bytes, ...], rules_key: str) -> None:
        self.enabled = enabled
        d = cache_dir()
        lk = _digest(repr((_VERSION, lits)))
        self.paths = {
            "trees": os.path.join(d, f"trees-{lk}.pickle"),
            "blobs": os.path.join(d, f"blobs-{lk}.pickle"),
            "dirs": os.path.join(d, f"dirs-{lk}.pickle"),
            "facts": os.path.join(d, f"facts-{_VERSION}.pickle"),
            "maint": os.path.join(d, "maintainers.pickle"),
        }
        self._data: dict[str, dict] = {}
        self._dirty: set[str] = set()

    def get(self, which: str) -> dict:
        if which not in self._data:
            self._data[which] = _load(self.paths[which]) if self.enabled else {}
        return self._data[which]

    def touch(self, which: str) -> None:
        self._dirty.add(which)

    def flush(self) -> None:
        if self.enabled:
            for which in sorted(self._dirty):
                _save(self.paths[which], self._data[which])
        self._dirty.clear()


# -- candidates ---------------------------------------------------------------

def is_scanned_path(path: str) -> bool:
    """Code files and documentation are scanned; other files are not."""
    return path.endswith(_CODE) or path.startswith("Documentation/")


def candidate_literals(profile, names: Iterable[str]) -> tuple[bytes, ...]:
    """The profile's literals plus every name none of them covers."""
    lits = [l for l in profile.prefilter if l]
    extra = [n for n in names if not any(l in n for l in lits)]
    return tuple(sorted({s.encode() for s in lits + extra}))


def _contains(data: bytes | None, lits: tuple[bytes, ...]) -> bool:
    return data is not None and any(l in data for l in lits)


def _grep(source: TreeSource, lits: tuple[bytes, ...]) -> set[str]:
    from patchlens.extract.prefilter import files_containing
    words = [l.decode() for l in lits]
    hits = set(files_containing(source, words, suffixes=_CODE))
    hits |= set(files_containing(source, words, under="Documentation", suffixes=()))
    return hits


class _GitGrep:
    """``git grep -lzF`` over the scanned paths only, run in the background.

    :func:`patchlens.extract.prefilter.files_containing` greps every
    path; here the pathspec limits it to code and documentation, one
    pass for both, while Python walks the trees.
    """

    def __init__(self, source, lits: tuple[bytes, ...]) -> None:
        import shutil
        import subprocess
        from patchlens.extract.prefilter import _git_dir
        self.proc = None
        if shutil.which("git") is None or not source.info.commit or not source.info.root:
            return
        pats = [a for l in lits for a in ("-e", l.decode())]
        try:
            self.proc = subprocess.Popen(
                ["git", "--git-dir", _git_dir(source.info.root), "grep", "-lzF",
                 *pats, source.info.commit, "--", "*.c", "*.h", "Documentation/"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self.proc = None

    def result(self) -> set[str] | None:
        if self.proc is None:
            return None
        out, _ = self.proc.communicate()
        if self.proc.returncode not in (0, 1):
            return None
        return {p.split(":", 1)[1] for p in out.decode("utf-8", "surrogateescape")
                .split("\0") if ":" in p}


def _git_candidates(source, lits, cache: _Cache) -> list[tuple[str, str]]:
    """(path, blob id) of candidate files at a git revision."""
    import pygit2
    repo = source.repo
    trees = cache.get("trees")
    top = repo[source.tree_id("")]
    early = None
    if str(top.id) not in trees and not cache.get("blobs"):
        early = _GitGrep(source, lits)      # cold: grep while we walk
    # Phase A: subtrees not seen before, flattened.
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

    gather(top, "", 0)
    if plan:
        blobs = cache.get("blobs")
        unseen = {oid: p for oid, p in todo_blobs.items() if oid not in blobs}
        hits = early.result() if early is not None else None
        if hits is None and len(unseen) > _GREP_THRESHOLD:
            hits = _GitGrep(source, lits).result()
        if hits is None and len(unseen) > _GREP_THRESHOLD:
            hits = _grep(source, lits)
        if hits is not None:
            for oid, p in unseen.items():
                blobs[oid] = p in hits
        else:
            for oid in unseen:
                try:
                    data = repo[oid].data
                except (KeyError, ValueError, pygit2.GitError):
                    data = None         # a missing object: nothing to find
                blobs[oid] = _contains(data, lits)
        if unseen:
            cache.touch("blobs")

        def resolve(tid: str) -> tuple[tuple[str, str], ...]:
            if tid in trees:
                return trees[tid]
            out: list[tuple[str, str]] = []
            for rel, oid, kind in plan[tid]:
                if kind == "tree":
                    out += [(f"{rel}/{p}", o) for p, o in resolve(oid)]
                elif blobs.get(oid):
                    out.append((rel, oid))
            trees[tid] = tuple(out)
            return trees[tid]

        resolve(str(top.id))
        cache.touch("trees")
    return list(trees[str(top.id)])


class _DirGrep:
    """``grep -rlZF`` over code files and over ``Documentation/``, both
    started at once (two processes, two cores)."""

    def __init__(self, root: str, lits: tuple[bytes, ...]) -> None:
        import shutil
        import subprocess
        self.root = root
        self.procs = []
        if shutil.which("grep") is None:
            return
        pats = [a for l in lits for a in ("-e", l.decode())]
        runs = [["grep", "-rlZF", "--include=*.c", "--include=*.h", *pats, "--", "."]]
        if os.path.isdir(os.path.join(root, "Documentation")):
            runs.append(["grep", "-rlZF", *pats, "--", "Documentation"])
        try:
            for cmd in runs:
                self.procs.append(subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE,
                                                   stderr=subprocess.DEVNULL))
        except OSError:
            self.procs = []

    def result(self) -> set[str] | None:
        if not self.procs:
            return None
        hits: set[str] = set()
        for proc in self.procs:
            out, _ = proc.communicate()
            if proc.returncode not in (0, 1):
                return None
            for p in out.decode("utf-8", "surrogateescape").split("\0"):
                if p:
                    hits.add(p[2:] if p.startswith("./") else p)
        return hits


def _dir_candidates(source, lits, cache: _Cache) -> list[tuple[str, str]]:
    """(path, content id) of candidate files in a directory tree.

    The system grep finds them (a Python walk of 70,000 files costs
    more than grep reading them); content ids of candidates are kept
    per (path, size, mtime) so an unchanged file is not read again.
    """
    root = source.root
    hits = _DirGrep(root, lits).result()
    if hits is None:            # no grep: the slow, portable way
        hits = {p for p in source.files() if is_scanned_path(p)
                and _contains(source.read(p), lits)}
    allk = cache.get("dirs")
    known: dict[str, tuple[int, int, str]] = allk.setdefault(root, {})
    out: list[tuple[str, str]] = []
    changed = False
    for r in sorted(hits):
        if not is_scanned_path(r):
            continue
        try:
            st = os.stat(os.path.join(root, r))
        except OSError:
            continue
        k = known.get(r)
        if k is not None and (k[0], k[1]) == (st.st_size, st.st_mtime_ns):
            out.append((r, k[2]))
            continue
        data = source.read(r)
        if data is None:
            continue
        known[r] = (st.st_size, st.st_mtime_ns, blob_id(data))
        out.append((r, known[r][2]))
        changed = True
    for r in [r for r in known if r not in hits]:
        del known[r]
        changed = True
    if changed:
        cache.touch("dirs")
    return out


def _candidates(source: TreeSource, lits, cache: _Cache) -> list[tuple[str, str]]:
    base = getattr(source, "base", None)
    changes = getattr(source, "changes", None)
    if base is not None and changes is not None:
        found = dict(_candidates(base, lits, cache))
        for path, data in changes.items():
            found.pop(path, None)
            if data is not None and is_scanned_path(path) and _contains(data, lits):
                found[path] = blob_id(data)
        return sorted(found.items())
    kind = source.info.kind
    if kind == "git" and hasattr(source, "repo") and hasattr(source, "tree_id"):
        return _git_candidates(source, lits, cache)
    if kind == "directory" and hasattr(source, "root"):
        return _dir_candidates(source, lits, cache)
    out = []
    for path in source.files():
        if is_scanned_path(path):
            data = source.read(path)
            if _contains(data, lits):
                out.append((path, source.content_id(path) or blob_id(data)))
    return out


# -- per-file analysis ------------------------------------------------------

_W: dict = {}


def _init_worker(rules: Rules) -> None:
    _W["rules"] = rules
    _W["rx"] = names_regex(rules.names)


def analyse_file(path: str, data: bytes, rules: Rules, rx=None) -> FileFacts:
    """The facts of one file (pure: depends only on its bytes and rules)."""
    rx = rx or names_regex(rules.names)
    if not path.endswith(_CODE):
        return FileFacts(path, mentions=_text_mentions(path, data, rx))
    tree = parse_c(data)
    found = find_sites(path, data, tree, rules, rx)
    functions: list[str] = []
    calls: set[tuple[str, str]] = set()
    call_q = load_query("references_calls")
    for _, caps in matches(load_query("references_functions"), tree.root_node):
        fname = node_text(caps["name"][0])
        functions.append(fname)
        for c in captures(call_q, caps["body"][0]).get("callee", []):
            calls.add((fname, node_text(c)))
    return FileFacts(
        path, found.sites, found.mentions, found.pending, found.flagsets,
        find_structs(path, tree, rules.structs),
        find_filters(path, tree, rules.names, rules.value_families),
        parameter_roles(tree, rules),
        tuple(dict.fromkeys(functions)), tuple(sorted(calls)))


def _text_mentions(path: str, data: bytes, rx) -> tuple[Mention, ...]:
    kind = "documentation" if path.startswith("Documentation/") else "text"
    out = []
    line, counted = 1, 0
    for m in rx.finditer(data):
        line += data.count(b"\n", counted, m.start())
        counted = m.start()
        lo = data.rfind(b"\n", 0, m.start()) + 1
        hi = data.find(b"\n", m.start())
        text = data[lo:hi if hi >= 0 else len(data)].decode("utf-8", "replace").strip()
        out.append(Mention(m.group().decode(), kind, path, line, m.start() - lo + 1, text))
    return tuple(out)


def _work(item: tuple[str, bytes]) -> FileFacts:
    return analyse_file(item[0], item[1], _W["rules"], _W["rx"])


def _relocate(facts: FileFacts, path: str) -> FileFacts:
    """Cached facts of the same content at another path."""
    if facts.path == path:
        return facts
    return replace(
        facts, path=path,
        sites=tuple(replace(s, file=path) for s in facts.sites),
        mentions=tuple(replace(m, file=path) for m in facts.mentions),
        structs=tuple(replace(s, file=path) for s in facts.structs),
        filters=tuple(replace(f, file=path) for f in facts.filters))


# -- putting it together ---------------------------------------------------------

def resolve_calls(facts: Iterable[FileFacts]) -> list[FileFacts]:
    """Pending call arguments get the role the callee gives its parameter.

    One level deep: the callee's definition (in a scanned file; its own
    file first) tests, sets, clears, matches or bounds the parameter.
    """
    facts = list(facts)
    params: dict[str, list[tuple[str, dict[int, tuple[str, str]]]]] = {}
    for f in facts:
        for fname, roles in f.params:
            params.setdefault(fname, []).append(
                (f.path, {i: (r, why) for i, r, why in roles}))
    out = []
    for f in facts:
        if not f.pending:
            out.append(f)
            continue
        sites = list(f.sites)
        for p in f.pending:
            defs = params.get(p.callee, [])
            defs = sorted(defs, key=lambda d: d[0] != f.path)
            for _, roles in defs:
                hit = roles.get(p.arg)
                if hit is not None:
                    s = sites[p.index]
                    sites[p.index] = replace(
                        s, role=Role(hit[0]),
                        reason=f"passed to {p.callee}(), which {_verb(hit[0])} "
                               f"argument {p.arg + 1}")
                    break
        out.append(replace(f, sites=tuple(sites)))
    return out


def _verb(role: str) -> str:
    return {"check": "tests", "set": "stores", "clear": "clears",
            "match": "looks up by", "bound": "bounds by"}.get(role, "uses")


def _progress(done: int, total: int, on: bool) -> None:
    if on and total:
        sys.stderr.write(f"\rpatchlens: parsing {done}/{total} files")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _maintainers(source: TreeSource, cache: _Cache) -> Maintainers:
    cid = source.content_id("MAINTAINERS")
    if cid is None:
        return parse_maintainers(None)
    store = cache.get("maint")
    got = store.get(cid)
    if isinstance(got, Maintainers):
        return got
    data = source.read("MAINTAINERS") or b""
    m = parse_maintainers(data.decode("utf-8", "replace"))
    store.clear()
    store[cid] = m
    cache.touch("maint")
    return m


def family_names(table) -> dict[str, str]:
    """name -> family key for a :class:`ConstantTable` (flag sets: "flagset")."""
    names = {c.name: c.family for c in table.constants}
    for fs in getattr(table, "flagsets", ()):
        names.setdefault(fs.name, "flagset")
    return names


def _analyse_all(source: TreeSource, cands: list[tuple[str, str]], rules: Rules,
                 store: _Cache, key: str, jobs: int, show: bool) -> list[FileFacts]:
    """Facts of every candidate: cached by (content id, rules), else parsed."""
    facts_store = store.get("facts")
    found: list[FileFacts] = []
    todo: list[tuple[str, str, bytes]] = []
    for path, cid in cands:
        hit = facts_store.get(cid + key)
        if isinstance(hit, FileFacts):
            found.append(_relocate(hit, path))
            continue
        data = source.read(path)
        if data is not None:
            todo.append((path, cid, data))
    if not todo:
        return found
    if jobs > 1 and len(todo) >= _POOL_MIN:
        import multiprocessing
        ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
        # Biggest first, so the workers finish together.
        order = sorted(todo, key=lambda it: -len(it[2]))
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx,
                                 initializer=_init_worker, initargs=(rules,)) as ex:
            results = ex.map(_work, [(p, d) for p, _, d in order], chunksize=2)
            for n, ((path, cid, _), res) in enumerate(zip(order, results), 1):
                facts_store[cid + key] = res
                found.append(res)
                _progress(n, len(order), show)
    else:
        _init_worker(rules)
        for n, (path, cid, data) in enumerate(todo, 1):
            res = _work((path, data))
            facts_store[cid + key] = res
            found.append(res)
            _progress(n, len(todo), show)
    store.touch("facts")
    return found


def scan_references(source: TreeSource, names: Mapping[str, str] | Iterable[str],
                    profile, *, cache: bool = True, jobs: int = 2,
                    progress: bool = False) -> Scan:
    """Every reference to ``names`` (name -> family key or "flagset").

    ``profile`` is a :class:`patchlens.extract.profile.Profile`.  Given
    plain names, their families come from the tree's constants.  Flag-set
    macros found composing the names (``#define X_FLAGS (MSI_FLAG_A |
    ...)``) are followed too: their uses in the scanned files are sites.
    """
    if not isinstance(names, Mapping):
        wanted = list(names)
        from patchlens.extract.constants import extract_constants
        full = family_names(extract_constants(source, profile))
        names = {n: full.get(n, "flagset") for n in wanted} | full
    rules = rules_for(profile, names)
    lits = candidate_literals(profile, names)
    store = _Cache(cache, lits, rules.key())
    show = progress and sys.stderr.isatty()
    cands = _candidates(source, lits, store)
    key = "/" + _digest(rules.key())
    found = _analyse_all(source, cands, rules, store, key, jobs, show)
    # Second pass, only over files naming a flag-set macro found above.
    extra = {m: "flagset" for f in found for m, members in f.flagsets
             if m not in names and members}
    if extra:
        rules2 = rules_for(profile, {**names, **extra})
        key2 = "/" + _digest(rules2.key())
        lits2 = tuple(m.encode() for m in extra)
        again = []
        for f in found:
            cid = dict(cands).get(f.path)
            data = source.read(f.path) if cid and f.path.endswith(_CODE) else None
            if data is not None and _contains(data, lits2):
                again.append((f.path, cid))
        if again:
            redo = {p for p, _ in again}
            found = [f for f in found if f.path not in redo] + _analyse_all(
                source, again, rules2, store, key2, jobs, show)
        names = {**names, **extra}
    maint = _maintainers(source, store)
    store.flush()
    found = resolve_calls(sorted(found, key=lambda f: f.path))
    subsystems = {f.path: maint.subsystem(f.path) for f in found}
    sites = tuple(replace(s, subsystem=subsystems[f.path].name)
                  for f in found for s in f.sites)
    calls: dict[str, set[str]] = {}
    functions: dict[str, list[str]] = {}
    flagsets: dict[str, tuple[str, ...]] = {}
    for f in found:
        for a, b in f.calls:
            calls.setdefault(a, set()).add(b)
        for fn in f.functions:
            functions.setdefault(fn, []).append(f.path)
        for macro, members in f.flagsets:
            flagsets.setdefault(macro, members)
    return Scan(
        sites=sites,
        mentions=tuple(m for f in found for m in f.mentions),
        structs=tuple(s for f in found for s in f.structs),
        filters=tuple(t for f in found for t in f.filters),
        calls={k: frozenset(v) for k, v in calls.items()},
        flagsets=flagsets,
        functions={k: tuple(v) for k, v in functions.items()},
        subsystems=subsystems, names=dict(names),
        files=tuple(f.path for f in found), label=source.info.label)
