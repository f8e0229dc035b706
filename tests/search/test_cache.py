"""The on-disk stores (patchlens.cache): where they live, that a key
holds what its value depends on, and that a damaged entry is dropped."""

from __future__ import annotations

import os
import pickle
import shutil

import pytest

from patchlens import cache
from patchlens.extract.constants import extract_constants, scan_flag_sets
from patchlens.extract.profile import load_profile, parse_profile
from patchlens.extract.scan import scan_references
from patchlens.search import SearchContext, search
from patchlens.tree.directory import DirectoryTree
from tests.extract.test_references import NAMES

FOO_PROFILE = b"""name = "foo"
[[family]]
key = "foo_flag"
title = "FOO flag"
kind = "bit"
prefix = "FOO_FLAG_"
storage = "unsigned long"
flagset_scan = true
"""

FOO_H = b"""#ifndef _LINUX_FOO_H
#define _LINUX_FOO_H
#define FOO_FLAG_A\t(1UL << 0)
#define FOO_FLAG_B\t(1UL << 1)
#endif
"""

FOO_C = b"""#include <linux/msi.h>
#include <linux/foo.h>

#define FOO_BOTH (FOO_FLAG_A|FOO_FLAG_B)

static unsigned long foo_msi_flags(struct msi_domain_info *info)
{
\treturn info->flags & (MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_PCI_MSIX);
}
"""


@pytest.fixture
def foo_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "tree"
    (root / "include" / "linux").mkdir(parents=True)
    (root / "include" / "linux" / "foo.h").write_bytes(FOO_H)
    (root / "drivers" / "foo").mkdir(parents=True)
    (root / "drivers" / "foo" / "foo.c").write_bytes(FOO_C)
    return root


def foo_sets(root, profile) -> list[str]:
    tree = DirectoryTree(str(root))
    return sorted(fs.name for fs in scan_flag_sets(
        tree, extract_constants(tree, profile), profile))


# -- the flag-set macro store is keyed by the profile (issue 11) -------------
# It was keyed by file content only, so a run with the default profile
# left "no flag sets here" for a file another profile reads flag sets in.

def test_empty_cache_finds_the_flag_set(foo_tree) -> None:
    assert foo_sets(foo_tree, parse_profile(FOO_PROFILE, "foo.toml")) == ["FOO_BOTH"]


def test_a_run_with_another_profile_does_not_hide_it(foo_tree) -> None:
    foo_sets(foo_tree, load_profile(None))
    assert foo_sets(foo_tree, parse_profile(FOO_PROFILE, "foo.toml")) == ["FOO_BOTH"]


def test_one_process_two_profiles(foo_tree) -> None:
    tree = DirectoryTree(str(foo_tree))
    default, foo = load_profile(None), parse_profile(FOO_PROFILE, "foo.toml")
    scan_flag_sets(tree, extract_constants(tree, default), default)
    got = scan_flag_sets(tree, extract_constants(tree, foo), foo)
    assert [fs.name for fs in got] == ["FOO_BOTH"]


def test_profile_fingerprint_is_its_content() -> None:
    a = parse_profile(FOO_PROFILE, "a.toml")
    assert a.fingerprint == parse_profile(FOO_PROFILE, "elsewhere/b.toml").fingerprint
    assert a.fingerprint != load_profile(None).fingerprint
    assert a.fingerprint != parse_profile(
        FOO_PROFILE.replace(b"flagset_scan = true", b"flagset_scan = false"),
        "a.toml").fingerprint


# -- where the stores live ---------------------------------------------------

def test_cache_dir_follows_xdg(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == os.path.join(str(tmp_path), "patchlens", "scan")


@pytest.mark.parametrize("value", ["relative/path", "", "."])
def test_relative_xdg_cache_home_is_ignored(monkeypatch, tmp_path, value) -> None:
    # The XDG spec: a relative path is invalid and must be ignored (it
    # would put the cache inside the kernel tree a reviewer runs in).
    monkeypatch.setenv("XDG_CACHE_HOME", value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_home() == os.path.join(str(tmp_path / "home"), ".cache",
                                              "patchlens")


def test_relative_xdg_writes_nothing_here(monkeypatch, tmp_path, request) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(request.config.rootpath / "fixtures" / "refs" / "tree", tree)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tree)
    monkeypatch.setenv("XDG_CACHE_HOME", "cachedir")
    scan_references(DirectoryTree(str(tree)), NAMES, load_profile(None), jobs=1)
    assert not (tree / "cachedir").exists()
    assert (tmp_path / "home" / ".cache" / "patchlens" / "scan").is_dir()


# -- damaged entries are dropped, never trusted -------------------------------

@pytest.fixture
def refs_tree(tmp_path, monkeypatch, request):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tree = tmp_path / "tree"
    shutil.copytree(request.config.rootpath / "fixtures" / "refs" / "tree", tree)
    return tree


def _damage(directory, damage) -> int:
    """Rewrite every store file with ``damage(entries)``, as a store of
    the same version with other shapes would be (its digest valid, so
    the per-entry checks are what drops it); how many."""
    n = 0
    for f in sorted(directory.iterdir()):
        if f.suffix == ".pickle":
            obj = cache.load_pickle(str(f))
            assert obj, f"{f.name}: not a valid store file"
            payload = pickle.dumps(damage(obj))
            f.write_bytes(cache.MAGIC + cache._digest(payload) + payload)
            n += 1
    return n


@pytest.mark.parametrize("how", ["flip", "truncate", "raw-pickle"])
def test_a_damaged_store_file_is_dropped_before_unpickling(tmp_path, how) -> None:
    """A flipped byte or a cut write can unpickle into objects that lack
    attributes (make fuzz's cachedamage kind found 'ReferenceSite' object
    has no attribute 'role'); the digest drops such a file whole."""
    path = tmp_path / "facts-1.pickle"
    cache.save_pickle(str(path), {"k": ("x", 1)})
    data = path.read_bytes()
    if how == "flip":
        at = len(data) - 3
        damaged = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
    elif how == "truncate":
        damaged = data[:-1]
    else:
        damaged = pickle.dumps({"k": ("x", 1)})
    path.write_bytes(damaged)
    assert cache.load_pickle(str(path)) == {}
    path.write_bytes(data)
    assert cache.load_pickle(str(path)) == {"k": ("x", 1)}


def _sites(scan):
    return sorted((s.name, s.file, s.line, s.role.value) for s in scan.sites)


@pytest.mark.parametrize("damage", [
    lambda d: list(d.items()),                                   # a list, not a dict
    lambda d: {k: "x" for k in d},                               # strings for values
    lambda d: {k: (v[0], "x") if isinstance(v, tuple) and len(v) == 2 else [v]
               for k, v in d.items()},                           # another shape
    lambda d: {k: ("now", {p: ("big", "new", 3) for p in v[1]})
               if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], dict)
               else v for k, v in d.items()},                    # strings for ints
], ids=["list", "strings", "shape", "stat-strings"])
def test_damaged_entries_are_dropped(refs_tree, damage) -> None:
    prof = load_profile(None)
    cold = scan_references(DirectoryTree(str(refs_tree)), NAMES, prof, jobs=1)
    store = refs_tree.parent / "cache" / "patchlens" / "scan"
    assert _damage(store, damage) >= 4
    again = scan_references(DirectoryTree(str(refs_tree)), NAMES, prof, jobs=1)
    assert _sites(again) == _sites(cold)


def test_a_dropped_search_entry_is_searched_again(refs_tree) -> None:
    tree = DirectoryTree(str(refs_tree))
    first = search(SearchContext(racy_ns=0), tree, [b"MSI_FLAG_"])
    store = refs_tree.parent / "cache" / "patchlens" / "scan"
    _damage(store, lambda d: {k: (0, ["not", "a", "dict"]) for k in d})
    ctx = SearchContext(racy_ns=0)
    assert search(ctx, DirectoryTree(str(refs_tree)), [b"MSI_FLAG_"]) == first
    assert ctx.stats.store_hits == 0 and ctx.stats.steps


def test_store_file_that_is_a_directory_leaves_nothing_behind(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    store = cache.search_store(True, (b"MSI_FLAG_",))
    for path in store.paths.values():
        os.makedirs(path)
    for which in ("trees", "blobs", "dirs"):
        store.get(which)["k"] = store.get(which).get("k")
        store.touch(which)
    store.flush()
    assert not [f for f in os.listdir(cache.cache_dir()) if f.endswith(".tmp")]


# -- one load per process -------------------------------------------------------

def test_two_stores_of_one_file_share_one_load(tmp_path, monkeypatch) -> None:
    """A report scans twice: the second store of the facts file reuses
    the first's entries (one unpickling), and neither flush drops what
    the other added."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = cache.facts_store(True, lambda k, v: True)
    first.get("facts")["a"] = 1
    first.touch("facts")
    first.flush()
    loads = []
    monkeypatch.setattr(cache, "load_pickle",
                        lambda p: loads.append(p) or {})
    second = cache.facts_store(True, lambda k, v: True)
    assert second.get("facts") == {"a": 1} and loads == []
    second.get("facts")["b"] = 2
    second.touch("facts")
    first.get("facts")["c"] = 3
    first.touch("facts")
    first.flush()
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.load_pickle(first.paths["facts"]) == {"a": 1, "b": 2, "c": 3}


def test_a_store_file_changed_on_disk_is_read_again(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    store = cache.maintainers_store(True, lambda k, v: True)
    store.get("maint")["x"] = 1
    store.touch("maint")
    store.flush()
    cache.save_pickle(store.paths["maint"], {"y": 2, "z": 3})   # another process
    assert cache.maintainers_store(True, lambda k, v: True).get("maint") == {"y": 2, "z": 3}


def test_maintainers_answers_are_kept_for_the_next_run(refs_tree, monkeypatch) -> None:
    """A warm scan looks its files' subsystems up in the kept answers:
    no glob or N: pattern of MAINTAINERS is compiled again."""
    from patchlens.extract import maintainers
    prof = load_profile(None)
    cold = scan_references(DirectoryTree(str(refs_tree)), NAMES, prof, jobs=1)
    store = cache.maintainers_store(True, lambda k, v: True).get("maint")
    (kept,) = store.values()
    assert kept.answered >= len(cold.files) > 0
    cache._LOADED.clear()           # the next run: a new process
    monkeypatch.setattr(maintainers, "_compiled", None)   # would fail if called
    monkeypatch.setattr(maintainers, "_compiled_n", None)
    warm = scan_references(DirectoryTree(str(refs_tree)), NAMES, prof, jobs=1)
    assert warm.subsystems == cold.subsystems


def test_a_warm_run_parses_no_header_it_has_read(foo_tree, monkeypatch) -> None:
    """The constants' headers: their raw definitions are stored by
    content id and path; a new process reads them from the store."""
    from patchlens.extract import definitions
    prof = parse_profile(FOO_PROFILE, "foo.toml")
    cold = extract_constants(DirectoryTree(str(foo_tree)), prof,
                             context=SearchContext(racy_ns=0))
    assert "FOO_FLAG_B" in {c.name for c in cold.constants}
    cache._LOADED.clear()                       # the next run: a new process
    definitions._RAW_CACHE.clear()
    monkeypatch.setattr(definitions, "parse_c", None)     # would fail if called
    warm = extract_constants(DirectoryTree(str(foo_tree)), prof,
                             context=SearchContext(racy_ns=0))
    assert warm == cold
    # Damaged entries are dropped: the header is parsed again.
    store = cache.definitions_store(True, lambda k, v: True)
    cache.save_pickle(store.paths["defs"], {k: "x" for k in store.get("defs")})
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(foo_tree.parent / "cache"))
    definitions._RAW_CACHE.clear()
    assert extract_constants(DirectoryTree(str(foo_tree)), prof,
                             context=SearchContext(racy_ns=0)) == cold
