"""The reference scan of a whole tree: pre-filter, parallel parse, cache.

1. Candidate files: ``.c``/``.h`` files and ``Documentation/`` whose
   bytes contain one of the profile's search literals (or a name they
   do not cover), from :func:`patchlens.search.search` --
   the one literal search, cached by tree id / blob id for git and by
   hits and ctimes for directories.  Files are parsed as it reports
   them.
2. Candidates whose content id has no cached facts are parsed with
   tree-sitter in a process pool (a parser per worker), which also
   reads their flag-set macro definitions.  The tree's flag-set macros
   (:func:`constants.scan_flag_sets`) and the macros composing a name
   are then followed: files naming one are parsed with them as names.
   Only macros defined in a header need a search of their own, and a
   cold directory search has already made it in the same pass
   (``follow``); one defined in a ``.c`` file is seen by that file
   alone, which is a candidate already.
3. Functions the pending call arguments reach (through helpers that
   pass them on) but no candidate file defines are looked up in a
   bounded second round (:func:`find_helpers`: the headers the calling
   files include are parsed, no search).
4. The facts of all files are put together: pending call arguments get
   the role the helpers give them, to any depth (:func:`resolve_calls`),
   files get their MAINTAINERS subsystem.

The facts and MAINTAINERS stores are in :mod:`patchlens.cache`'s
table, with the search's.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:   # the pool is started (and imported) only for a cold scan
    from concurrent.futures import Future, ProcessPoolExecutor

from patchlens.c.ancestry import Ancestry
from patchlens.c.defines import header_macros
from patchlens.cache import cache_dir, facts_store, maintainers_store
from patchlens.extract.constants import (
    ConstantTable, extract_constants, flag_macros, scan_flag_sets)
from patchlens.c.parse import parse_c, too_deep
from patchlens.c.shapes import file_matches, function_calls, names_regex
from patchlens.extract.filters import (TokenFilter, ValueMacro, find_filters,
                                       value_macros)
from patchlens.extract.maintainers import Maintainers, Subsystem, parse_maintainers
from patchlens.extract.references import (
    FileSites, Mention, MentionKind, PendingCall, ReferenceSite, find_sites)
from patchlens.extract.roles import (
    Helper, Helpers, ParamForwards, ParamRoles, Rules, parameter_uses, rules_for)
from patchlens.extract.structs import StructInstance, find_structs
from patchlens.search import (
    CODE, SearchContext, contains, is_scanned_path, search)
from patchlens.tree.source import TreeSource, blob_id

if TYPE_CHECKING:
    from patchlens.extract.definitions import RawMacro
    from patchlens.extract.profile import Profile

__all__ = ["Scan", "FileFacts", "scan_references", "analyse_file",
           "resolve_calls", "helper_index", "pending_calls", "find_helpers",
           "included_paths", "cache_dir", "is_scanned_path",
           "family_names"]

T = TypeVar("T")
# Bump patchlens.cache.FACTS_VERSION when FileFacts or the analysis
# changes: old cache entries die.
_CODE = CODE
# Fewer files to parse than this: no process pool.
_POOL_MIN = 8
# The look-up of helpers defined outside the candidate files is bounded:
# rounds (each a level of headers included), headers parsed per round.
_HELPER_ROUNDS = 4
_HELPER_FILES = 64


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
    params: ParamRoles = ()
    # Parameters passed on to calls: (function, ((param, callee, arg), ...)).
    forwards: ParamForwards = ()
    functions: tuple[str, ...] = ()
    calls: tuple[tuple[str, str], ...] = ()      # (caller, callee)
    # constants.flag_macros of the file, read from the same parse.
    macros: tuple[RawMacro, ...] = ()
    # #defines naming value-family constants, with their #if condition.
    value_macros: tuple[ValueMacro, ...] = ()
    # The paths its #include lines may name (where its helpers are).
    includes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scan:
    """The reference scan of one tree state."""

    sites: tuple[ReferenceSite, ...]
    mentions: tuple[Mention, ...]
    structs: tuple[StructInstance, ...]
    filters: tuple[TokenFilter, ...]
    calls: Mapping[str, frozenset[str]]
    flagsets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    value_macros: tuple[ValueMacro, ...] = ()
    functions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # fn -> files
    subsystems: Mapping[str, Subsystem] = field(default_factory=dict)        # file -> entry
    names: Mapping[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    label: str = ""

    def of(self, name: str) -> tuple[ReferenceSite, ...]:
        return tuple(s for s in self.sites if s.name == name)


# -- cache -----------------------------------------------------------------------

def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class _Cache:
    """The facts and MAINTAINERS stores (:mod:`patchlens.cache`); an
    entry of another shape is dropped."""

    def __init__(self, enabled: bool) -> None:
        self.stores = {"facts": facts_store(enabled, _valid_facts),
                       "maint": maintainers_store(
                           enabled, lambda k, v: isinstance(v, Maintainers))}

    def get(self, which: str) -> dict[Any, Any]:
        return self.stores[which].get(which)

    def touch(self, which: str) -> None:
        self.stores[which].touch(which)

    def flush(self) -> None:
        for store in self.stores.values():
            store.flush()


def _valid_facts(key: object, value: object) -> bool:
    """A facts entry: FileFacts whose parts are tuples, lines numbers."""
    if not isinstance(value, FileFacts) or not isinstance(value.path, str):
        return False
    parts = (value.sites, value.mentions, value.pending, value.flagsets,
             value.structs, value.filters, value.params, value.forwards,
             value.includes, value.functions,
             value.calls, value.macros)
    return all(isinstance(p, tuple) for p in parts) and all(
        isinstance(s, ReferenceSite) and isinstance(s.line, int)
        and isinstance(s.name, str) for s in value.sites) and all(
        isinstance(m, Mention) and isinstance(m.line, int) for m in value.mentions)


# -- per-file analysis ------------------------------------------------------

class _Worker:
    """What a pool worker keeps between files: the pool's rules and
    regex, and the last other rules it was given (with their regex)."""

    rules: Rules = Rules(names={})
    rx: re.Pattern[bytes] = names_regex(())
    other: tuple[Rules, re.Pattern[bytes]] | None = None
    flag_lits: tuple[str, ...] = ()


_W = _Worker()


def _init_worker(rules: Rules, flag_lits: tuple[str, ...] = ()) -> None:
    _W.rules = rules
    _W.rx = names_regex(rules.names)
    _W.other = None
    _W.flag_lits = flag_lits


def analyse_file(path: str, data: bytes, rules: Rules,
                 rx: re.Pattern[bytes] | None = None,
                 prior: FileFacts | None = None,
                 flag_lits: tuple[str, ...] = ()) -> FileFacts:
    """The facts of one file (pure: depends only on its bytes and rules).

    ``prior``: the facts of the same bytes under rules that differ only
    by names outside the value families (flag-set macros found later).
    Only the sites depend on those names: the rest is kept, and the
    file's shapes are not queried again.  ``flag_lits``
    (``Profile.flag_set_literals``): read the file's flag-set
    macro definitions too, from the same parse.
    """
    rx = rx or names_regex(rules.names)
    if not path.endswith(_CODE):
        return FileFacts(path, mentions=_text_mentions(path, data, rx))
    tree = parse_c(data)
    if too_deep(tree.root_node):
        # Past the limit no query runs (see MAX_SYNTAX_DEPTH): the
        # occurrences are read from their lines, no shapes.
        found = find_sites(path, data, tree, rules, rx, unparsed=True)
        return FileFacts(path, found.sites, found.mentions, found.pending,
                         found.flagsets, includes=included_paths(path, data))
    anc = Ancestry(tree.root_node)     # one downward pass, shared
    found = find_sites(path, data, tree, rules, rx, anc)
    if prior is not None:
        return replace(prior, sites=found.sites, mentions=found.mentions,
                       pending=found.pending, flagsets=found.flagsets)
    shapes = file_matches(tree)
    functions, calls = function_calls(shapes)
    params, forwards = parameter_uses(tree, rules, shapes, anc)
    return FileFacts(
        path, found.sites, found.mentions, found.pending, found.flagsets,
        find_structs(path, tree, rules.structs, shapes, anc),
        find_filters(path, tree, rules.names, rules.value_families, shapes, anc)
        if _names_a_value(found, rules) else (),
        params, forwards, functions, calls,
        flag_macros(path, data, flag_lits, tree),
        value_macros(path, tree, rules.names, rules.value_families, anc),
        included_paths(path, data))


def _names_a_value(found: FileSites, rules: Rules) -> bool:
    """Whether a code site names a constant of a value family: a token
    filter compares with one, and every such identifier is a site."""
    return any(rules.names.get(s.name) in rules.value_families for s in found.sites)


def _text_mentions(path: str, data: bytes, rx: re.Pattern[bytes]
                   ) -> tuple[Mention, ...]:
    kind = MentionKind.DOCUMENTATION if path.startswith("Documentation/") \
        else MentionKind.TEXT
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


_Item = tuple[str, bytes, "FileFacts | None", "Rules | None"]


def _work(item: _Item) -> FileFacts:
    """One file in a worker: by the pool's rules, or by the item's own
    (the second round of a scan, with the flag sets found later)."""
    path, data, prior, rules = item
    if rules is None:
        return analyse_file(path, data, _W.rules, _W.rx, prior, _W.flag_lits)
    if _W.other is None or _W.other[0] != rules:
        _W.other = (rules, names_regex(rules.names))
    return analyse_file(path, data, rules, _W.other[1], prior, _W.flag_lits)


def _relocate(facts: FileFacts, path: str) -> FileFacts:
    """Cached facts of the same content at another path."""
    if facts.path == path:
        return facts
    return replace(
        facts, path=path,
        sites=tuple(replace(s, file=path) for s in facts.sites),
        mentions=tuple(replace(m, file=path) for m in facts.mentions),
        structs=tuple(replace(s, file=path) for s in facts.structs),
        filters=tuple(replace(f, file=path) for f in facts.filters),
        value_macros=tuple(replace(m, file=path) for m in facts.value_macros))


# -- putting it together ---------------------------------------------------------

def helper_index(facts: Iterable[FileFacts]) -> Helpers:
    """The call rule's view of ``facts``: every defined function with
    what it does with its parameters and where it passes them on."""
    out = []
    for f in facts:
        roles = {fn: {i: (r, why) for i, r, why in rs} for fn, rs in f.params}
        fwd: dict[str, dict[int, list[tuple[str, int]]]] = {}
        for fn, edges in f.forwards:
            for i, callee, j in edges:
                fwd.setdefault(fn, {}).setdefault(i, []).append((callee, j))
        for fn in dict.fromkeys([*roles, *fwd]):
            out.append(Helper(f.path, fn, roles.get(fn, {}),
                              {i: tuple(v) for i, v in fwd.get(fn, {}).items()}))
    return Helpers(out)


def pending_calls(facts: Iterable[FileFacts]) -> list[tuple[str, int, str]]:
    """(callee, argument index, caller's file) of every pending site."""
    return [(p.callee, p.arg, f.path) for f in facts for p in f.pending]


def resolve_calls(facts: Iterable[FileFacts],
                  helpers: Iterable[FileFacts] = ()) -> list[FileFacts]:
    """Pending call arguments get the role the callee gives its
    parameter, through the helpers it passes it on to, to any depth
    (:class:`patchlens.extract.roles.Helpers`); the site's ``via``
    names the chain.

    ``helpers``: the facts of files read only for the definitions of
    called functions (their sites are not the scan's).
    """
    facts = list(facts)
    index = helper_index([*facts, *helpers])
    index.solve(pending_calls(facts))
    out = []
    for f in facts:
        if not f.pending:
            out.append(f)
            continue
        sites = list(f.sites)
        for p in f.pending:
            hit = index.decide(p.callee, p.arg, f.path)
            if hit is not None:
                sites[p.index] = replace(sites[p.index], role=hit.role,
                                         reason=hit.text(), via=hit.via)
        out.append(replace(f, sites=tuple(sites)))
    return out


_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.M)


def included_paths(path: str, data: bytes) -> tuple[str, ...]:
    """The tree paths the ``#include`` lines of ``path`` may name:
    ``<x/y.h>`` in ``include/`` (and the file's architecture's
    ``arch/A/include/``), ``"y.h"`` beside the file."""
    out: list[str] = []
    arch = path.split("/")[1] if path.startswith("arch/") and path.count("/") > 1 else ""
    for m in _INCLUDE.finditer(data):
        name = m.group(2).decode("utf-8", "replace").strip()
        if m.group(1) == b"<":
            out.append(f"include/{name}")
            if arch:
                out.append(f"arch/{arch}/include/{name}")
        else:
            out.append(os.path.normpath(os.path.join(os.path.dirname(path), name)))
    return tuple(p for p in dict.fromkeys(out) if not p.startswith(".."))


def find_helpers(source: TreeSource, an: "_Analyser",
                 found: list[FileFacts]) -> list[FileFacts]:
    """The facts of headers defining functions the pending calls reach
    (through helpers) that no candidate file defines: a static inline
    in a header the calling file includes.

    C says where to look: a function a file calls is declared there or
    in a header it includes, and a static inline is defined there.  So
    no search: a round parses (facts cached by content id, like every
    file's) the headers that the files calling a still-missing name
    include -- and those the sites' files include --, at most
    ``_HELPER_FILES`` of them; the next round follows what those pass
    on, through their own includes, ``_HELPER_ROUNDS`` deep.  A helper
    defined in a ``.c`` file no candidate is (an exported function
    whose file names no constant) is not found: its calls keep their
    one-level role."""
    extra: list[FileFacts] = []
    by_path = {f.path: f for f in found}
    calls = pending_calls(found)
    sites = sorted({p for _, _, p in calls})
    for _ in range(_HELPER_ROUNDS if calls else 0):
        missing = helper_index([*found, *extra]).missing(calls)
        if not missing:
            break
        callers = sorted({p for paths in missing.values() for p in paths})
        wanted = [inc for p in [*callers, *sites] if p in by_path
                  for inc in by_path[p].includes]
        todo = [p for p in dict.fromkeys(wanted) if p not in by_path]
        added = 0
        for p in todo:
            if added >= _HELPER_FILES:
                break
            cid = source.content_id(p)
            by_path.setdefault(p, FileFacts(p))   # looked at once
            if cid is not None:
                an.add(p, cid)
                added += 1
        if not added:
            break
        got = an.finish()
        extra += got
        by_path.update((f.path, f) for f in got)
    return extra


def _progress(done: int, total: int, on: bool) -> None:
    """One line on a terminal, rewritten in place (and erased by
    :func:`_progress_end`): never a line per step."""
    if on and total:
        sys.stderr.write(f"\rpatchlens: parsing {done}/{total} files\x1b[K")
        sys.stderr.flush()


def _progress_end(on: bool) -> None:
    if on:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


def _maintainers(source: TreeSource, cache: _Cache,
                 an: "_Analyser") -> Callable[[], Maintainers]:
    """The tree's MAINTAINERS, when asked: cached by content id, else
    parsed in the pool while the search runs (0.1 s of Python that is
    off the critical path there)."""
    cid = source.content_id("MAINTAINERS")
    if cid is None:
        return lambda: parse_maintainers(None)
    store = cache.get("maint")
    got = store.get(cid)
    if isinstance(got, Maintainers):
        return lambda: got
    data = source.read("MAINTAINERS") or b""
    parsed = an.aside(parse_maintainers, data.decode("utf-8", "replace"))

    def value() -> Maintainers:
        m = parsed()
        store.clear()
        store[cid] = m
        cache.touch("maint")
        return m
    return value


def family_names(table: ConstantTable) -> dict[str, str]:
    """name -> family key for a :class:`ConstantTable` (flag sets: "flagset")."""
    names = {c.name: c.family for c in table.constants}
    for fs in table.flagsets:
        names.setdefault(fs.name, "flagset")
    return names


class _Analyser:
    """Facts of candidate files as the search reports them: cached by
    (content id, rules), else parsed -- in a process pool once there are
    enough of them, so parsing overlaps the search still running.  The
    pool lives for the whole scan and takes its other Python work too
    (:meth:`aside`)."""

    def __init__(self, source: TreeSource, rules: Rules, store: _Cache,
                 jobs: int, show: bool, flag_lits: tuple[str, ...] = (),
                 fingerprint: str = "") -> None:
        self.source, self.rules, self.store = source, rules, store
        self.flag_lits = flag_lits
        self.fingerprint = fingerprint
        self.jobs, self.show = jobs, show
        self.found: list[FileFacts] = []
        self.waiting: list[tuple[str, _Item]] = []
        self.futures: list[tuple[str, Future[FileFacts]]] = []
        self.asides: list[tuple[Callable[..., Any], tuple[Any, ...], list[Any]]] = []
        self.pool: ProcessPoolExecutor | None = None
        self.done = 0
        self.cached = 0

    def add(self, path: str, cid: str, rules: Rules | None = None,
            prior: FileFacts | None = None) -> None:
        """Facts of ``path`` by the scan's rules, or by ``rules``."""
        key = cid + "/" + _digest((rules or self.rules).key() + repr(self.flag_lits)
                                  + self.fingerprint)
        hit = self.store.get("facts").get(key)
        if isinstance(hit, FileFacts):
            self.found.append(_relocate(hit, path))
            self.cached += 1
            return
        data = self.source.read(path)
        if data is None:
            return
        item: _Item = (path, data, prior, rules)
        if self.pool is None and self.jobs > 1 and len(self.waiting) + 1 >= _POOL_MIN:
            self._start_pool()
        if self.pool is not None:
            self.futures.append((key, self.pool.submit(_work, item)))
        else:
            self.waiting.append((key, item))

    def aside(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """``fn(*args)`` in the pool (once it runs), else here when its
        value is asked for; the returned function gives the value."""
        # (True, a Future) once the pool has it, or (False, the value).
        box: list[tuple[bool, Any]] = []
        if self.pool is not None:
            box.append((True, self.pool.submit(fn, *args)))
        else:
            self.asides.append((fn, args, box))

        def value() -> T:
            if not box:
                box.append((False, fn(*args)))
            pooled, got = box[0]
            result: T = got.result() if pooled else got
            return result
        return value

    def _start_pool(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
        self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx,
                                        initializer=_init_worker,
                                        initargs=(self.rules, self.flag_lits))
        for fn, args, box in self.asides:
            box.append((True, self.pool.submit(fn, *args)))
        self.asides = []
        for key, item in self.waiting:
            self.futures.append((key, self.pool.submit(_work, item)))
        self.waiting = []

    def _keep(self, key: str, res: FileFacts) -> None:
        self.store.get("facts")[key] = res
        self.store.touch("facts")
        self.found.append(res)
        self.done += 1
        _progress(self.done, self.done + len(self.futures) + len(self.waiting),
                  self.show)

    def finish(self) -> list[FileFacts]:
        """The facts of the files added since the last call."""
        futures, self.futures = self.futures, []
        for key, fut in futures:
            self._keep(key, fut.result())
        if self.waiting:
            _init_worker(self.rules, self.flag_lits)
            waiting, self.waiting = self.waiting, []
            for key, item in waiting:
                self._keep(key, _work(item))
        found, self.found = self.found, []
        return found

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def scan_references(source: TreeSource, names: Mapping[str, str] | Iterable[str],
                    profile: Profile, *, cache: bool = True, jobs: int = 2,
                    progress: bool = False, local: Iterable[str] = (),
                    context: SearchContext | None = None) -> Scan:
    """Every reference to ``names`` (name -> family key or "flagset").

    ``profile`` is a :class:`patchlens.extract.profile.Profile`.  Given
    plain names, their families come from the tree's constants.  The
    tree's flag-set macros (:func:`constants.scan_flag_sets`, over the
    same literal search) are followed too, in every file that names
    one, and so are macros composing a name in a candidate file.
    ``context``: the run's searches (``cache`` is its setting when a new
    one is made; it always governs the facts).
    """
    context = context or SearchContext(cache=cache)
    table = None
    if not isinstance(names, Mapping):
        wanted = list(names)
        table = extract_constants(source, profile, context=context)
        full = family_names(table)
        names = {n: full.get(n, "flagset") for n in wanted} | full
    names = dict(names)
    rules = rules_for(profile, names)
    # A name defined only in .c files is seen by those files alone, and
    # each holds a family literal: no search of its own
    # (:func:`constants.local_names`).
    skip = set(local)
    lits = profile.candidate_literals([n for n in names if n not in skip])
    store = _Cache(cache)
    show = progress and sys.stderr.isatty()
    an = _Analyser(source, rules, store, jobs, show, profile.flag_set_literals,
                   profile.fingerprint)
    if show:
        sys.stderr.write("\rpatchlens: searching the tree\x1b[K")
        sys.stderr.flush()
    try:
        return _scan(source, names, profile, table, lits, store, an, context)
    finally:
        an.close()
        context.stats.parsed += an.done
        context.stats.facts_cached += an.cached
        _progress_end(show)


def _scan(source: TreeSource, names: dict[str, str], profile: Profile,
          table: ConstantTable | None, lits: tuple[bytes, ...], store: _Cache,
          an: _Analyser, context: SearchContext) -> Scan:
    rules = an.rules
    maintainers = _maintainers(source, store, an)
    # Parsing starts with the first hit the search reports.  The
    # macros the header hits define with a literal are searched in the
    # same pass: the header-defined flag sets of step 2 are among them.
    cands = search(context, source, lits, on_hit=an.add, follow=header_macros)
    found = an.finish()
    # Flag-set macros of the whole tree, from the same search and the
    # parses just made.
    if table is None:
        table = extract_constants(source, profile, context=context)
    sets = scan_flag_sets(source, table, profile, context=context,
                          read={cands[f.path]: f.macros for f in found
                                if f.path in cands})
    # Flag-set macros (and macros composing a name) not yet among the
    # names, by the file defining them.
    defined: dict[str, set[str]] = {}
    for fs in sets:
        if fs.name not in names:
            defined.setdefault(fs.name, set()).add(fs.file)
    for f in found:
        for m, members in f.flagsets:
            if m not in names and members:
                defined.setdefault(m, set()).add(f.path)
    extra = dict.fromkeys(defined, "flagset")
    if extra:
        # Files naming one of them.  A macro defined in a header may be
        # used anywhere: one more search, for those names only (cached).
        # One defined in a .c file is only seen by that file, which is
        # a candidate already: no search (most flag sets are of this
        # kind, and each name searched costs a pass over the tree).
        shared = sorted(m for m, files in defined.items()
                        if any(not p.endswith(".c") for p in files))
        # A name a literal covers is in candidates only.
        inside = tuple(m.encode() for m in shared if any(l in m.encode() for l in lits))
        named = dict(search(context, source, [m.encode() for m in shared
                                         if m.encode() not in inside]))
        named.update((p, c) for p, c in cands.items()
                     if inside and contains(source.read(p), inside))
        local = {p for files in defined.values() for p in files}
        again = sorted({(p, c) for p, c in named.items() if p.endswith(_CODE)}
                       | {(p, cands[p]) for p in local if p in cands})
        if again:
            redo = {p for p, _ in again}
            rules2 = rules_for(profile, {**names, **extra})
            # The new names are flag sets: only the sites change (the
            # file's shapes, structs, calls and token filters do not).
            priors = {f.path: f for f in found if f.path in redo} \
                if "flagset" not in rules.value_families else {}
            for p, c in again:
                an.add(p, c, rules2, priors.get(p))
            found = [f for f in found if f.path not in redo] + an.finish()
        names = {**names, **extra}
    helpers = find_helpers(source, an, found)
    maint = maintainers()
    answered = maint.answered
    found = resolve_calls(sorted(found, key=lambda f: f.path), helpers)
    subsystems = {f.path: maint.subsystem(f.path) for f in found}
    if maint.answered != answered and any(
            m is maint for m in store.get("maint").values()):
        store.touch("maint")    # its answers, kept for the next run
    store.flush()
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
    for fs in sets:             # defined in a file no name brought in
        flagsets.setdefault(fs.name, fs.members)
    return Scan(
        sites=sites,
        mentions=tuple(m for f in found for m in f.mentions),
        structs=tuple(s for f in found for s in f.structs),
        filters=tuple(t for f in found for t in f.filters),
        calls={k: frozenset(v) for k, v in calls.items()},
        flagsets=flagsets,
        value_macros=tuple(m for f in found for m in f.value_macros),
        functions={k: tuple(v) for k, v in functions.items()},
        subsystems=subsystems, names=dict(names),
        files=tuple(f.path for f in found), label=source.info.label)
