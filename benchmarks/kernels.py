"""Real kernel trees for the benchmarks and the ``kernel`` tests.

``python -m benchmarks.kernels --cache DIR`` makes sure that ``DIR``
holds:

- ``linux-6.1`` and ``linux-6.12``: Debian's ``linux-source-6.1`` /
  ``linux-source-6.12`` tarballs, unpacked once;
- ``linux.git``: a bare repository with two commits built from those
  trees, tagged ``v6.1`` and ``v6.12`` (the second a child of the first),
  for the ``--rev`` cases.

Idempotent: a tree counts as complete only when a marker written after a
finished unpack says so (an unpack goes into a temporary directory that
is renamed at the end, so an interrupted one is never mistaken for a
complete tree).  A tree found without a marker (unpacked by hand) is
checked against the tarball's member list once.  The repository is built
with git plumbing (``add`` into a private index, ``write-tree``,
``commit-tree``) in a temporary directory and renamed into place.

Nothing is written outside ``DIR`` (apart from apt installing the
tarball packages when they are missing).
"""

from __future__ import annotations

import argparse
from typing import Any
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "KernelSpec", "KERNELS", "KernelCache", "find_tarball", "ensure_tree",
    "loose_objects", "pack", "MAX_LOOSE_OBJECTS",
    "ensure_git", "ensure_all", "main",
]

DEFAULT_CACHE = Path.home() / ".cache" / "patchlens" / "kernels"
# The real series the benchmarks apply (../shared beside the clone).
DEFAULT_SERIES = (Path(__file__).resolve().parents[2] / "shared" / "corpus"
                  / "lkml" / "ims-part3-v1.mbox")


@dataclass(frozen=True)
class KernelSpec:
    """One Debian kernel source release and where it lands in the cache."""
    version: str              # "6.12"
    release_date: str         # upstream release, for reproducible commit ids

    @property
    def package(self) -> str:
        return f"linux-source-{self.version}"

    @property
    def tarball(self) -> Path:
        return Path("/usr/src") / f"{self.package}.tar.xz"

    @property
    def dir_name(self) -> str:
        return f"linux-{self.version}"

    @property
    def tag(self) -> str:
        return f"v{self.version}"


# In commit order: v6.12 becomes the child of v6.1.
KERNELS: tuple[KernelSpec, ...] = (
    KernelSpec("6.1", "2022-12-11T14:15:00-0800"),
    KernelSpec("6.12", "2024-11-17T14:15:00-0800"),
)


@dataclass(frozen=True)
class KernelCache:
    """What ``ensure_all`` leaves behind."""
    trees: dict[str, Path]    # version -> unpacked tree
    git: Path                 # bare repository with tags v<version>


class SetupError(Exception):
    """A step that cannot be done; printed as one line, exit 2."""


def _say(text: str) -> None:
    print(f"kernels: {text}", flush=True)


def _run(cmd: Sequence[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), check=True, text=True,
                          capture_output=True, **kw)


# --- tarballs --------------------------------------------------------------

def _installed_tarball(spec: KernelSpec) -> Path | None:
    """Where dpkg says the package put its tarball, if installed."""
    try:
        out = _run(["dpkg", "-L", spec.package]).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.splitlines():
        if line.endswith(".tar.xz") and Path(line).is_file():
            return Path(line)
    return None


def find_tarball(spec: KernelSpec, given: Path | None = None,
                 install: bool = True) -> Path:
    """The tarball for ``spec``: ``given``, the installed one, or apt's."""
    if given is not None:
        if not given.is_file():
            raise SetupError(f"{given}: no such tarball")
        return given
    if spec.tarball.is_file():
        return spec.tarball
    found = _installed_tarball(spec)
    if found is not None:
        return found
    if not install:
        raise SetupError(f"{spec.tarball}: missing (apt-get install "
                         f"{spec.package})")
    _say(f"installing {spec.package} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", spec.package]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        # A fresh container has no package lists yet.
        subprocess.run(["apt-get", "update", "-q"], env=env,
                       capture_output=True)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["failed"])[-1]
            raise SetupError(f"apt-get install {spec.package}: {tail}")
    found = _installed_tarball(spec) or (
        spec.tarball if spec.tarball.is_file() else None)
    if found is None:
        raise SetupError(f"{spec.package}: installed but no .tar.xz found "
                         f"(dpkg -L {spec.package})")
    return found


def _version_of_tarball(path: Path) -> str:
    m = re.search(r"(\d+\.\d+)\.tar", path.name)
    if not m:
        raise SetupError(f"{path}: cannot tell the kernel version from the "
                         "name (expected ...-X.Y.tar.xz)")
    return m.group(1)


# --- unpacked trees --------------------------------------------------------

def _marker(cache: Path, spec: KernelSpec) -> Path:
    # Beside the tree, never inside it: the tree stays as the tarball made it.
    return cache / f".{spec.dir_name}.complete"


def _members(tarball: Path) -> list[str]:
    """Member paths below the tarball's top directory."""
    out = _run(["tar", "-tJf", str(tarball)]).stdout
    names = []
    for line in out.splitlines():
        _, _, rest = line.partition("/")
        if rest:
            names.append(rest.rstrip("/"))
    return names


def _is_complete(tree: Path, tarball: Path) -> tuple[bool, int]:
    """Every tarball member exists in ``tree``; (ok, member count)."""
    names = _members(tarball)
    missing = [n for n in names if not os.path.lexists(tree / n)]
    return (not missing, len(names))


def ensure_tree(spec: KernelSpec, cache: Path, tarball: Path | None = None,
                install: bool = True) -> Path:
    """``cache/linux-<version>``, unpacked once from the tarball."""
    tree = cache / spec.dir_name
    marker = _marker(cache, spec)
    if tree.is_dir() and marker.is_file():
        _say(f"{tree}: present")
        return tree
    source = find_tarball(spec, tarball, install)
    if tree.is_dir():
        started = time.monotonic()
        ok, count = _is_complete(tree, source)
        took = time.monotonic() - started
        if ok:
            marker.write_text(json.dumps({"tarball": str(source),
                                          "members": count}) + "\n")
            _say(f"{tree}: present, all {count} members of {source.name} "
                 f"found ({took:.0f} s)")
            return tree
        _say(f"{tree}: incomplete (members of {source.name} missing); "
             "unpacking again")
        shutil.rmtree(tree)
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f".unpack-{spec.dir_name}-",
                                     dir=cache) as tmp:
        _run(["tar", "-xJf", str(source), "-C", tmp, "--strip-components=1",
              "--no-same-owner"])
        os.rename(tmp, tree)
        # TemporaryDirectory's cleanup tolerates the directory being gone.
        os.mkdir(tmp)
    marker.write_text(json.dumps({"tarball": str(source)}) + "\n")
    _say(f"{tree}: unpacked from {source} in "
         f"{time.monotonic() - started:.0f} s")
    return tree


# --- the two-commit repository ---------------------------------------------

def _git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # Nothing from the caller's git environment may leak in (GIT_DIR of a
    # hook, a user's GIT_INDEX_FILE ...).
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(extra or {})
    return env


def _git(git_dir: Path, *args: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> str:
    done = subprocess.run(["git", f"--git-dir={git_dir}", *args], text=True,
                          capture_output=True, env=env or _git_env(),
                          cwd=cwd)
    if done.returncode != 0:
        raise SetupError(f"git {' '.join(args[:2])}: "
                         f"{done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def _git_is_complete(git_dir: Path, specs: Sequence[KernelSpec]) -> bool:
    if not (git_dir / "HEAD").is_file():
        return False
    parent = None
    for spec in specs:
        try:
            commit = _git(git_dir, "rev-parse", "--verify", "-q",
                          f"refs/tags/{spec.tag}^{{commit}}")
            parents = _git(git_dir, "rev-list", "--parents", "-n1", commit)
        except SetupError:
            return False
        if parents.split()[1:] != ([parent] if parent else []):
            return False
        parent = commit
    return True


# Every kernel repository a reviewer has is packed (a clone, or after
# git gc); a benchmark against loose objects measures another git.
MAX_LOOSE_OBJECTS = 1000


def loose_objects(git_dir: Path) -> int:
    """How many loose objects ``git count-objects -v`` reports."""
    out = _git(git_dir, "count-objects", "-v")
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "count":
            return int(value)
    return 0


def pack(git_dir: Path) -> None:
    """``git repack -adf``: one pack, as a clone has, loose objects gone."""
    t0 = time.monotonic()
    _git(git_dir, "repack", "-adfq")
    _git(git_dir, "prune-packed")
    _say(f"{git_dir}: packed in {time.monotonic() - t0:.0f} s")


def ensure_git(cache: Path, trees: dict[str, Path],
               specs: Sequence[KernelSpec] = KERNELS) -> Path:
    """``cache/linux.git``: one commit per tree, tagged, in ``specs``
    order, packed."""
    git_dir = cache / "linux.git"
    if _git_is_complete(git_dir, specs):
        if loose_objects(git_dir) > MAX_LOOSE_OBJECTS:
            pack(git_dir)   # built by an older kernels.py, unpacked
        _say(f"{git_dir}: present ("
             + ", ".join(s.tag for s in specs) + ")")
        return git_dir
    if git_dir.exists():
        _say(f"{git_dir}: incomplete; building again")
        shutil.rmtree(git_dir)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=".build-linux.git-",
                                     dir=cache) as tmp:
        repo = Path(tmp) / "linux.git"
        _run(["git", "init", "-q", "--bare", str(repo)], env=_git_env())
        # Speed over size: loose objects barely compressed.
        _git(repo, "config", "core.compression", "1")
        _git(repo, "config", "core.looseCompression", "1")
        _git(repo, "config", "gc.auto", "0")
        parent: str | None = None
        for spec in specs:
            t0 = time.monotonic()
            tree_dir = trees[spec.version]
            env = _git_env({
                "GIT_INDEX_FILE": str(Path(tmp) / f"index-{spec.version}"),
                "GIT_AUTHOR_NAME": "patchlens benchmarks",
                "GIT_AUTHOR_EMAIL": "benchmarks@patchlens.invalid",
                "GIT_COMMITTER_NAME": "patchlens benchmarks",
                "GIT_COMMITTER_EMAIL": "benchmarks@patchlens.invalid",
                "GIT_AUTHOR_DATE": spec.release_date,
                "GIT_COMMITTER_DATE": spec.release_date,
            })
            # -f: the kernel's own .gitignore files must not drop members
            # of the tarball.  git add writes only the index and objects.
            _git(repo, f"--work-tree={tree_dir}", "add", "-A", "-f", ".",
                 env=env, cwd=tree_dir)
            tree_id = _git(repo, "write-tree", env=env)
            args = ["commit-tree", tree_id, "-m",
                    f"Linux {spec.version} (Debian {spec.package})"]
            if parent:
                args += ["-p", parent]
            commit = _git(repo, *args, env=env)
            _git(repo, "tag", spec.tag, commit)
            _say(f"{spec.tag}: commit {commit[:12]} from {tree_dir} "
                 f"({time.monotonic() - t0:.0f} s)")
            parent = commit
        assert parent is not None
        _git(repo, "update-ref", "refs/heads/master", parent)
        _git(repo, "symbolic-ref", "HEAD", "refs/heads/master")
        pack(repo)
        os.rename(repo, git_dir)
    _say(f"{git_dir}: built in {time.monotonic() - started:.0f} s")
    return git_dir


def ensure_all(cache: Path, tarballs: Sequence[Path] = (),
               trees: Sequence[Path] = (), install: bool = True) -> KernelCache:
    """Trees for every spec in :data:`KERNELS`, then ``linux.git``.

    Holds a lock on the cache while working: several ``make test-kernel``
    runs may start at once, and only one may unpack or build.
    """
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say(f"{cache}: another run is preparing it; waiting")
            fcntl.flock(lock, fcntl.LOCK_EX)
        # Under the lock, leftovers of a killed run are garbage.
        for stale in list(cache.glob(".unpack-*")) + list(cache.glob(".build-*")):
            _say(f"{stale}: removing what an interrupted run left")
            shutil.rmtree(stale, ignore_errors=True)
        return _ensure_all_locked(cache, tarballs, trees, install)


def _ensure_all_locked(cache: Path, tarballs: Sequence[Path],
                       trees: Sequence[Path], install: bool) -> KernelCache:
    given_tarballs = {_version_of_tarball(t): t for t in tarballs}
    given_trees = {_version_of_tree(t): t for t in trees}
    found: dict[str, Path] = {}
    for spec in KERNELS:
        if spec.version in given_trees:
            found[spec.version] = given_trees[spec.version]
            _say(f"{given_trees[spec.version]}: given for {spec.version}")
            continue
        found[spec.version] = ensure_tree(
            spec, cache, given_tarballs.get(spec.version), install)
    return KernelCache(found, ensure_git(cache, found))


def _version_of_tree(tree: Path) -> str:
    """X.Y from the tree's top-level Makefile."""
    try:
        text = (tree / "Makefile").read_text(errors="replace")[:2000]
    except OSError as exc:
        raise SetupError(f"{tree}: not a kernel tree ({exc.strerror})")
    v = re.search(r"^VERSION\s*=\s*(\d+)", text, re.M)
    p = re.search(r"^PATCHLEVEL\s*=\s*(\d+)", text, re.M)
    if not (v and p):
        raise SetupError(f"{tree}/Makefile: no VERSION/PATCHLEVEL")
    return f"{v.group(1)}.{p.group(1)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.kernels",
        description="Unpack Debian's linux-source 6.1/6.12 into a cache and "
                    "build a two-commit git repository from them.")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help=f"cache directory (default: {DEFAULT_CACHE})")
    parser.add_argument("--tarball", type=Path, action="append", default=[],
                        metavar="FILE",
                        help="use this linux-source-X.Y.tar.xz (repeatable)")
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        metavar="DIR",
                        help="use this unpacked tree instead (repeatable)")
    parser.add_argument("--no-install", action="store_true",
                        help="never run apt-get")
    opts = parser.parse_args(argv)
    try:
        result = ensure_all(opts.cache.expanduser(), opts.tarball, opts.tree,
                            install=not opts.no_install)
    except (SetupError, OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        sys.stderr.write(f"kernels: {exc}{' ' + detail.strip() if detail else ''}\n")
        return 2
    for version, tree in result.trees.items():
        print(f"  linux-{version}: {tree}")
    print(f"  git:        {result.git}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
