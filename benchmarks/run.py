"""Side-by-side timings on real kernel trees -> ``benchmarks/RESULTS.md``.

``python -m benchmarks.run --cache DIR [--repeat N] [--with-coccinelle]``

Every case runs as a child process, ``--repeat`` times (5 by default);
the table gives the median wall time and the peak memory of the
command with every process it started (the sum of their proportional
set sizes, sampled: a git grep's pages of the pack file are shared,
and counted once), and each patchlens figure's ratio against the peers
on the same question measured in the same run: ``git grep -n -F`` at
the same revision (``-- '*.c' '*.h'``, the files patchlens searches
for code), ``rg -n -F`` and ``grep -rnF`` on the directory, optionally
``spatch``.  A command that fails (not written yet, or broken) is
recorded as "not available" with its first error line.  Nothing is
asserted: the targets are issue 15's, and the targets table says
which are met.

The repository must be packed (``make bench`` refuses one with many
loose objects): every clone a reviewer has is, and a git grep of loose
objects is slower than any of them, which flatters every ratio.

"Cold" runs start from an empty scan cache (a fresh ``XDG_CACHE_HOME``);
"warm" runs reuse the cache of the run before.  Nothing is written into
the trees; the caches live in a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.kernels import DEFAULT_CACHE

__all__ = ["Case", "Result", "measure", "main"]

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "lkml"
RESULTS = REPO / "benchmarks" / "RESULTS.md"

# The literal strings every family name starts with (the profile's
# prefilter), for the peers.
LITERALS = ("DOMAIN_BUS_", "MSI_FLAG_", "MSI_DEFAULT_DOMAIN",
            "MSI_SECONDARY_DOMAIN", "MSI_MAX_DEVICE_IRQDOMAINS")
SUBTREES = ("kernel/irq", "drivers/irqchip", "drivers/pci", "arch/x86",
            "drivers")


@dataclass(frozen=True)
class Case:
    """One command line measured ``repeat`` times."""
    group: str                # "peers", "series size", ...
    name: str                 # what the row says
    argv: tuple[str, ...]
    cwd: str | None = None
    fresh_cache: bool = False  # empty scan cache before every run
    cache_from: str | None = None  # copy this cache in before every run
    peer_of: str = ""         # peers compare against this question


@dataclass
class Result:
    case: Case
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.rss_kb) / 1024 if self.rss_kb else None


GNU_TIME = "/usr/bin/time"
# How often the memory of a command's process tree is sampled.
SAMPLE_S = 0.05


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
    except (OSError, ValueError):
        pass
    return kids


def _pss_kb(pid: int) -> int:
    """The proportional set size of a process (its RSS with each shared
    page divided among the processes sharing it), or its RSS where
    smaps_rollup is missing."""
    for name, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"),
                      (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(name) as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return 0


class TreeMemory(threading.Thread):
    """The peak, over samples, of the summed PSS of a process and all
    its descendants."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb = pid, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            todo, seen, total = [self.pid], set(), 0
            while todo:
                p = todo.pop()
                if p in seen:
                    continue
                seen.add(p)
                total += _pss_kb(p)
                todo += _children(p)
            self.peak_kb = max(self.peak_kb, total)
            self.done.wait(SAMPLE_S)


def _run_once(case: Case, cache_home: Path, timeout: float
              ) -> tuple[float, int, int, str]:
    """(seconds, peak memory kB, status, stderr head) of one run.

    The peak is :class:`TreeMemory`'s (the command and its children,
    PSS summed); without /proc, GNU time's ``%M`` (the largest single
    process) -- a child forked from this Python process inherits its
    high-water mark, so ``wait4``'s figure would never be below ours.
    The wall time is ours.
    """
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home), LC_ALL="C")
    with tempfile.NamedTemporaryFile() as rss_file, \
            tempfile.TemporaryFile() as err:
        argv = list(case.argv)
        sampled = os.path.isdir("/proc/self/task")
        if not sampled and os.access(GNU_TIME, os.X_OK):
            argv = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *argv]
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=case.cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        sampler = TreeMemory(proc.pid)
        sampler.start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return timeout, 0, -9, f"timed out after {timeout:.0f} s"
        finally:
            sampler.done.set()
            sampler.join()
        took = time.perf_counter() - t0
        err.seek(0)
        head = err.read(8000).decode("utf-8", "replace").strip()
        try:
            text = Path(rss_file.name).read_text().split()
            rss = int(text[-1])
        except (OSError, ValueError, IndexError):
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if sampled:
            rss = sampler.peak_kb or rss
    if "Traceback (most recent call last)" in head:
        return took, rss, -1, head
    return took, rss, proc.returncode, head


def measure(case: Case, repeat: int, scratch: Path, timeout: float) -> Result:
    """Run ``case`` ``repeat`` times (after one untimed warm-up when warm)."""
    result = Result(case)
    cache_home = scratch / re.sub(r"\W+", "-", f"{case.group}-{case.name}")
    cache_home.mkdir(parents=True, exist_ok=True)
    ok_status = (0, 1)  # 1: findings at --fail-on, grep: no match
    runs = repeat if (case.fresh_cache or case.cache_from) else repeat + 1
    for i in range(runs):
        if case.fresh_cache or case.cache_from:
            shutil.rmtree(cache_home, ignore_errors=True)
            if case.cache_from:
                shutil.copytree(case.cache_from, cache_home, symlinks=True)
            else:
                cache_home.mkdir(parents=True)
        took, rss, status, err = _run_once(case, cache_home, timeout)
        if status not in ok_status:
            line = next((l for l in reversed(err.splitlines()) if l.strip()),
                        f"exit {status}")
            result.error = f"not available: {line[:120]}"
            return result
        if i == 0 and runs > repeat:
            continue  # the warm-up that fills the cache
        result.times.append(took)
        result.rss_kb.append(rss)
    return result


# --- series of several sizes -------------------------------------------------

_SEP = re.compile(rb"^From mboxrd@z .*$", re.M)


def _messages(mbox: bytes) -> list[bytes]:
    starts = [m.start() for m in _SEP.finditer(mbox)] + [len(mbox)]
    return [mbox[a:b] for a, b in zip(starts, starts[1:])]


def _subject_index(msg: bytes) -> int | None:
    m = re.search(rb"^Subject: \[[^\]]*?(\d+)/(\d+)\]", msg, re.M | re.I)
    return int(m.group(1)) if m and not re.search(rb"^Subject: Re:", msg,
                                                  re.M | re.I) else None


def make_series(source: Path, out_dir: Path) -> dict[str, Path]:
    """1, 10 and 33 patches from the corpus series, and a generated 300.

    The 300 are the real patches repeated with new numbers and
    Message-IDs: later copies do not apply (already applied), which is
    what a long series' later patches cost the applier anyway.
    """
    data = source.read_bytes()
    msgs = _messages(data)
    patches = [m for m in msgs if (_subject_index(m) or 0) > 0]
    cover = [m for m in msgs if _subject_index(m) == 0]
    out = {}
    for n in (1, 10):
        path = out_dir / f"series-{n}.mbox"
        chosen = patches[:n] if n > 1 else [
            p for p in patches if b"Provide constants for PCI/IMS" in p][:1] or patches[:1]
        path.write_bytes(b"".join(cover + chosen))
        out[str(n)] = path
    out["33"] = source
    big = []
    for i in range(300):
        msg = patches[i % len(patches)]
        msg = re.sub(rb"(Subject: \[[^\]]*?)\d+/\d+\]",
                     lambda m: m.group(1) + b"%d/300]" % (i + 1), msg, count=1)
        msg = re.sub(rb"(Message-I[Dd]: <)", rb"\g<1>gen%d." % i, msg, count=1)
        big.append(msg)
    path = out_dir / "series-300.mbox"
    path.write_bytes(b"".join(cover + big))
    out["300"] = path
    return out


# --- the plan -----------------------------------------------------------------

GIT_PEER = "git grep -n -F, v6.12, *.c *.h"
RG_PEER = "rg -n -F, directory"
GREP_PEER = "grep -rnF, directory"


def rg_binary() -> str | None:
    """The rg patchlens would run (PATH, or beside this Python)."""
    from patchlens.search.directory import ripgrep
    return ripgrep()


def plan(cache: Path, series: dict[str, Path], with_cocci: bool,
         quick: bool, scratch: Path) -> list[Case]:
    pl = [str(REPO / ".venv" / "bin" / "patchlens")]
    if not Path(pl[0]).exists():
        pl = [sys.executable, "-m", "patchlens"]
    git = str(cache / "linux.git")
    tree = str(cache / "linux-6.12")
    s33 = str(series["33"])
    at = ["--tree", git, "--rev", "v6.12"]
    on = ["--tree", tree]
    lit = [a for s in LITERALS for a in ("-e", s)]
    rg = rg_binary() or "rg"
    cases = [
        Case("peers", "patchlens report, git v6.12, cold",
             (*pl, "report", s33, *at), fresh_cache=True, peer_of=GIT_PEER),
        Case("peers", "patchlens report, git v6.12, warm",
             (*pl, "report", s33, *at), peer_of=GIT_PEER),
        Case("peers", "patchlens report, directory, cold",
             (*pl, "report", s33, *on), fresh_cache=True, peer_of=RG_PEER),
        Case("peers", "patchlens report, directory, warm",
             (*pl, "report", s33, *on), peer_of=RG_PEER),
        Case("peers", "patchlens refs --all, git v6.12, cold",
             (*pl, "refs", "--all", *at), fresh_cache=True, peer_of=GIT_PEER),
        Case("peers", "patchlens refs --all, git v6.12, warm",
             (*pl, "refs", "--all", *at), peer_of=GIT_PEER),
        Case("peers", "patchlens refs --all, directory, cold",
             (*pl, "refs", "--all", *on), fresh_cache=True, peer_of=RG_PEER),
        Case("peers", "patchlens refs --all, directory, warm",
             (*pl, "refs", "--all", *on), peer_of=RG_PEER),
        Case("peers", GIT_PEER,
             ("git", f"--git-dir={git}", "grep", "-n", "-F", *lit, "v6.12",
              "--", "*.c", "*.h")),
        Case("peers", RG_PEER, (rg, "-n", "-F", *lit), cwd=tree),
        Case("peers", GREP_PEER, ("grep", "-rnF", *lit, "."), cwd=tree),
    ]
    if with_cocci and shutil.which("spatch"):
        rule = scratch / "roles.cocci"
        rule.write_text("@r@\nidentifier I =~ \"^(DOMAIN_BUS_|MSI_FLAG_)\";\n"
                        "@@\n* I\n")
        cases.append(Case("peers", "spatch (role question), directory",
                          ("spatch", "--sp-file", str(rule), "--dir", tree,
                           "--jobs", str(os.cpu_count() or 1), "--very-quiet"),
                          cwd=tree))
    elif with_cocci:
        cases.append(Case("peers", "spatch (role question), directory",
                          ("spatch", "--version")))
    if quick:
        return cases
    for n in ("1", "10", "33", "300"):
        cases.append(Case("series size", f"report, {n} patches, git warm",
                          (*pl, "report", str(series[n]), *at)))
    for sub in SUBTREES:
        cases.append(Case("subtree", f"refs --all, {sub}, warm",
                          (*pl, "refs", "--all", "--tree", f"{tree}/{sub}"),
                          peer_of=f"rg -n -F, {sub}"))
        cases.append(Case("subtree", f"rg -n -F, {sub}", (rg, "-n", "-F", *lit),
                          cwd=f"{tree}/{sub}"))
    cases.append(Case("families", "refs --family bus_token, git warm",
                      (*pl, "refs", "--family", "bus_token", *at)))
    return cases


def revision_move(pl_case: Case, repeat: int, scratch: Path,
                  timeout: float) -> list[Result]:
    """refs --all at v6.1 starting from a cache warmed at v6.12, and
    from an empty cache."""
    warm = scratch / "warm-v6.12"
    warm.mkdir(parents=True, exist_ok=True)
    first = _run_once(pl_case, warm, timeout)
    if first[2] not in (0, 1):
        r = Result(Case("revision", "refs --all v6.12 -> v6.1, warm cache",
                        pl_case.argv))
        r.error = "not available: " + (first[3].splitlines() or ["?"])[-1][:120]
        return [r]
    argv = tuple("v6.1" if a == "v6.12" else a for a in pl_case.argv)
    move = Case("revision", "refs --all v6.12 -> v6.1, warm cache", argv,
                cache_from=str(warm), peer_of="refs --all v6.1, cold")
    again = Case("revision", "refs --all v6.1, cold", argv, fresh_cache=True)
    return [measure(move, repeat, scratch, timeout),
            measure(again, repeat, scratch, timeout)]


def differing_blobs(git: Path, old: str = "v6.12", new: str = "v6.1"
                    ) -> tuple[int, int, int, int] | None:
    """(blobs at ``new`` not at ``old``, blobs at ``new``, their bytes,
    all bytes at ``new``) over the files patchlens searches."""
    from patchlens.search.context import is_scanned_path

    def listing(rev: str) -> dict[str, int] | None:
        res = subprocess.run(["git", f"--git-dir={git}", "ls-tree", "-r", "-l", "-z", rev],
                             capture_output=True)
        if res.returncode != 0:
            return None
        out: dict[str, int] = {}
        for rec in res.stdout.split(b"\0"):
            meta, _, path = rec.partition(b"\t")
            parts = meta.split()
            if len(parts) == 4 and parts[1] == b"blob" and parts[3].isdigit() \
                    and is_scanned_path(path.decode("utf-8", "surrogateescape")):
                out[parts[2].decode()] = int(parts[3])
        return out
    a, b = listing(old), listing(new)
    if a is None or b is None:
        return None
    diff = {o: n for o, n in b.items() if o not in a}
    return len(diff), len(b), sum(diff.values()), sum(b.values())


# --- the report -----------------------------------------------------------

def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True).stdout
    except OSError:
        return "missing"
    return (out.splitlines() or ["?"])[0].strip()


def _machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short",
                           "HEAD"], capture_output=True, text=True).stdout.strip()
    return [f"- {platform.system()} {platform.release()}, {cpu}, "
            f"{os.cpu_count()} CPUs, {mem} RAM",
            f"- Python {platform.python_version()}, {_version(['git', '--version'])}, "
            f"{_version([rg_binary() or 'rg', '--version'])}, "
            f"{_version(['grep', '--version'])}, patchlens at {head or '?'}"]


def _loadavg() -> str:
    try:
        return ", ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _fmt(x: float | None, unit: str = "s") -> str:
    if x is None:
        return "-"
    return f"{x:.3f} {unit}" if x < 10 else f"{x:.1f} {unit}"


def _ratio(x: float | None, base: float | None) -> str:
    return f"{x / base:.2f}x" if x and base else "-"


# (patchlens case, peer, target ratio) of issue 15.
TARGETS = (
    ("patchlens refs --all, git v6.12, cold", GIT_PEER, 1.0),
    ("patchlens refs --all, git v6.12, warm", GIT_PEER, 0.1),
    ("patchlens refs --all, directory, cold", RG_PEER, 1.5),
    ("patchlens refs --all, directory, warm", RG_PEER, 1.0),
    ("patchlens report, git v6.12, cold", GIT_PEER, 1.5),
    ("patchlens report, git v6.12, warm", GIT_PEER, 0.15),
    ("patchlens report, directory, cold", RG_PEER, 2.5),
    ("patchlens report, directory, warm", RG_PEER, 1.0),
)
MEMORY_TARGET_MB = 500


def write_results(results: list[Result], repeat: int, took: float,
                  cmdline: str, path: Path, load: tuple[str, str],
                  blobs: tuple[int, int, int, int] | None) -> None:
    by_name = {r.case.name: r for r in results}

    def median(name: str) -> float | None:
        r = by_name.get(name)
        return r.median if r is not None and not r.error else None

    lines = ["# patchlens benchmarks on real kernel trees", "",
             f"Written by `{cmdline}` in {took:.0f} s; each figure is the "
             f"median of {repeat} runs (warm rows after one untimed "
             "warm-up), each ratio against a peer measured in the same run. "
             "Memory: the peak of the summed proportional set size of the "
             "command and every process it started, sampled every "
             f"{SAMPLE_S * 1000:.0f} ms. Recorded, not asserted.", "",
             "## Machine", "", *_machine(),
             f"- load average (1, 5, 15 min) at the start: {load[0]}; at the end: {load[1]} "
             "(a shared machine: other jobs ran meanwhile)", "",
             "Trees: Debian linux-source-6.12 and -6.1, unpacked, and a "
             "two-commit git repository built from them and packed "
             "(`python -m benchmarks.kernels`; one pack, no loose objects).", "",
             "## Targets (issue 15)", "",
             "| target | measured | met? |", "|---|---|---|"]
    for name, peer, limit in TARGETS:
        x, base = median(name), median(peer)
        got = x / base if x and base else None
        lines.append(f"| {name.removeprefix('patchlens ')} <= {limit:g}x {peer} | "
                     f"{_fmt(x)} / {_fmt(base)} = {_ratio(x, base)} | "
                     f"{'-' if got is None else 'yes' if got <= limit else 'no'} |")
    peaks = [r.peak_mb for r in results if r.peak_mb and r.case.argv and (
        r.case.argv[0].endswith("patchlens") or "patchlens" in r.case.argv[1:3])]
    worst = max(peaks) if peaks else None
    lines.append(f"| peak memory of any patchlens run <= {MEMORY_TARGET_MB} MB | "
                 f"{_fmt(worst, 'MB')} | "
                 f"{'-' if worst is None else 'yes' if worst <= MEMORY_TARGET_MB else 'no'} |")
    move, cold61 = median("refs --all v6.12 -> v6.1, warm cache"), median("refs --all v6.1, cold")
    if blobs is not None:
        n, total, nbytes, allbytes = blobs
        share = f"{n} of {total} blobs ({n / total:.0%}), {nbytes / 1e6:.0f} of " \
            f"{allbytes / 1e6:.0f} MB ({nbytes / allbytes:.0%}) differ"
    else:
        share = "differing blobs not counted"
    lines.append(f"| revision move v6.12 -> v6.1, warm: cost as a share of a cold v6.1 run "
                 f"(reported) | {_fmt(move)} / {_fmt(cold61)} = {_ratio(move, cold61)}; "
                 f"{share} | - |")
    lines.append("")
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.case.group, []).append(r)
    for group, rows in groups.items():
        lines += [f"## {group.capitalize()}", "",
                  "| case | median | peak memory | peer | ratio |", "|---|---|---|---|---|"]
        for r in rows:
            peer = r.case.peer_of
            cells = [r.case.name, _fmt(r.median) if not r.error else r.error,
                     _fmt(r.peak_mb, "MB"), peer,
                     _ratio(r.median, median(peer)) if peer else ""]
            lines.append("| " + " | ".join(c.replace("|", "\\|")
                                           for c in cells) + " |")
        lines.append("")
    lines += ["## Commands", "", "```"]
    for r in results:
        argv = " ".join(a if " " not in a and "*" not in a else repr(a)
                        for a in r.case.argv)
        lines.append(f"{r.case.name}:{' (cwd ' + r.case.cwd + ')' if r.case.cwd else ''}"
                     f"{' (empty cache each run)' if r.case.fresh_cache else ''}"
                     f"{' (cache warmed at v6.12 each run)' if r.case.cache_from else ''}")
        lines.append(f"  {argv}")
    lines += ["```", ""]
    path.write_text("\n".join(lines))
    raw = path.with_suffix(".json")
    raw.write_text(json.dumps([{"case": r.case.name, "times": r.times,
                                "peak_kb": r.rss_kb, "error": r.error}
                               for r in results], indent=1) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--series", type=Path,
                        default=CORPUS / "ims-part3-v1.mbox")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds before one run counts as failed")
    parser.add_argument("--quick", action="store_true",
                        help="the peers and the revision move only (a smoke run)")
    parser.add_argument("--with-coccinelle", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    opts = parser.parse_args(argv)
    cache = opts.cache.expanduser()
    for need in ("linux-6.12", "linux-6.1", "linux.git"):
        if not (cache / need).exists():
            sys.stderr.write(f"bench: {cache / need}: missing (run "
                             "python -m benchmarks.kernels)\n")
            return 2
    if not opts.series.is_file():
        sys.stderr.write(f"bench: {opts.series}: no such series\n")
        return 2
    from benchmarks.kernels import MAX_LOOSE_OBJECTS, loose_objects
    loose = loose_objects(cache / "linux.git")
    if loose > MAX_LOOSE_OBJECTS:
        # git grep reads loose objects one file each: a peer measured
        # there is slower than on any clone a reviewer has, and every
        # ratio against it flatters patchlens.
        sys.stderr.write(
            f"bench: {cache / 'linux.git'}: {loose} loose objects; a "
            "real clone is packed (run python -m benchmarks.kernels, "
            "which packs it, or git repack -adf)\n")
        return 2
    # An installed patchlens has its bytecode (pip compiles a wheel); an
    # editable checkout run with PYTHONDONTWRITEBYTECODE=1 would compile
    # every module on every run (0.4-0.6 s of start-up), so write it once.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "patchlens")],
                   stdout=subprocess.DEVNULL, check=False)
    started = time.monotonic()
    load_start = _loadavg()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="patchlens-bench-") as tmp:
        scratch = Path(tmp)
        series = make_series(opts.series, scratch)
        cases = plan(cache, series, opts.with_coccinelle, opts.quick, scratch)
        for case in cases:
            r = measure(case, opts.repeat, scratch / "caches", opts.timeout)
            results.append(r)
            print(f"{case.group:12} {case.name:48} "
                  f"{r.error or _fmt(r.median):>12} {_fmt(r.peak_mb, 'MB'):>10}",
                  flush=True)
        refs = next(c for c in cases if c.name == "patchlens refs --all, git v6.12, warm")
        for r in revision_move(refs, opts.repeat, scratch / "caches", opts.timeout):
            results.append(r)
            print(f"{r.case.group:12} {r.case.name:48} "
                  f"{r.error or _fmt(r.median):>12} {_fmt(r.peak_mb, 'MB'):>10}",
                  flush=True)
    cmdline = "python -m benchmarks.run " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]))
    write_results(results, opts.repeat, time.monotonic() - started,
                  cmdline.strip(), opts.output, (load_start, _loadavg()),
                  differing_blobs(cache / "linux.git"))
    print(f"wrote {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
