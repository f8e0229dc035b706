"""Side-by-side timings on real kernel trees -> ``benchmarks/RESULTS.md``.

``python -m benchmarks.run --cache DIR [--repeat N] [--with-coccinelle]``

Every case runs as a child process, ``--repeat`` times; the table gives
the median wall time and the command's peak RSS (GNU time ``%M``), and
each patchlens figure's ratio against the peers on the same question:
``git grep -n -F`` and ``git grep -n -w -E`` at the same revision,
``grep -rnF`` on the directory, optionally ``spatch``.  A command that
fails (not written yet, or broken) is recorded as "not available" with
its first error line.  Nothing is asserted: the targets live in the
issues, this file reports against them.

"Cold" runs start from an empty scan cache (a fresh ``XDG_CACHE_HOME``);
"warm" runs reuse the cache of the run before.  Nothing is written into
the trees; the caches live in a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
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
WORDS = (r"DOMAIN_BUS_[A-Z0-9_]+", r"MSI_FLAG_[A-Z0-9_]+",
         "MSI_DEFAULT_DOMAIN", "MSI_SECONDARY_DOMAIN",
         "MSI_MAX_DEVICE_IRQDOMAINS")
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


def _run_once(case: Case, cache_home: Path, timeout: float
              ) -> tuple[float, int, int, str]:
    """(seconds, peak RSS kB, status, stderr head) of one run.

    The peak RSS comes from GNU time when present: a child forked from
    this Python process inherits its high-water mark, so ``wait4``'s
    figure would never be below ours.  The wall time is ours (GNU time
    adds a fork, well under a millisecond).
    """
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home), LC_ALL="C")
    with tempfile.NamedTemporaryFile() as rss_file, \
            tempfile.TemporaryFile() as err:
        argv = list(case.argv)
        if os.access(GNU_TIME, os.X_OK):
            argv = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *argv]
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=case.cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return timeout, 0, -9, f"timed out after {timeout:.0f} s"
        took = time.perf_counter() - t0
        err.seek(0)
        head = err.read(8000).decode("utf-8", "replace").strip()
        try:
            text = Path(rss_file.name).read_text().split()
            rss = int(text[-1])
        except (OSError, ValueError, IndexError):
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
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
    words = [a for s in WORDS for a in ("-e", s)]
    cases = [
        Case("peers", "patchlens report, git v6.12, cold",
             (*pl, "report", s33, *at), fresh_cache=True, peer_of="report"),
        Case("peers", "patchlens report, git v6.12, warm",
             (*pl, "report", s33, *at), peer_of="report"),
        Case("peers", "patchlens report, directory, cold",
             (*pl, "report", s33, *on), fresh_cache=True, peer_of="report"),
        Case("peers", "patchlens report, directory, warm",
             (*pl, "report", s33, *on), peer_of="report"),
        Case("peers", "patchlens refs --all, git v6.12, cold",
             (*pl, "refs", "--all", *at), fresh_cache=True, peer_of="refs"),
        Case("peers", "patchlens refs --all, git v6.12, warm",
             (*pl, "refs", "--all", *at), peer_of="refs"),
        Case("peers", "patchlens refs --all, directory, cold",
             (*pl, "refs", "--all", *on), fresh_cache=True, peer_of="refs"),
        Case("peers", "patchlens refs --all, directory, warm",
             (*pl, "refs", "--all", *on), peer_of="refs"),
        Case("peers", "git grep -n -F, v6.12",
             ("git", f"--git-dir={git}", "grep", "-n", "-F", *lit, "v6.12")),
        Case("peers", "git grep -n -w -E, v6.12",
             ("git", f"--git-dir={git}", "grep", "-n", "-w", "-E", *words,
              "v6.12")),
        Case("peers", "grep -rnF, directory",
             ("grep", "-rnF", *lit, "."), cwd=tree),
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
    for n in ("1", "10", "33", "300"):
        cases.append(Case("series size", f"report, {n} patches, git warm",
                          (*pl, "report", str(series[n]), *at)))
    for sub in (SUBTREES[:2] if quick else SUBTREES):
        cases.append(Case("subtree", f"refs --all, {sub}, warm",
                          (*pl, "refs", "--all", "--tree", f"{tree}/{sub}")))
        cases.append(Case("subtree", f"grep -rnF, {sub}",
                          ("grep", "-rnF", *lit, "."), cwd=f"{tree}/{sub}"))
    cases.append(Case("families", "refs --family bus_token, git warm",
                      (*pl, "refs", "--family", "bus_token", *at)))
    cases.append(Case("families", "refs --all, git warm",
                      (*pl, "refs", "--all", *at)))
    return cases


def revision_move(pl_case: Case, repeat: int, scratch: Path,
                  timeout: float) -> list[Result]:
    """refs --all at v6.1 starting from a cache warmed at v6.12."""
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
                cache_from=str(warm))
    again = Case("revision", "refs --all v6.1, cold", argv, fresh_cache=True)
    return [measure(move, repeat, scratch, timeout),
            measure(again, repeat, scratch, timeout)]


# --- the report -----------------------------------------------------------

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
    gitv = subprocess.run(["git", "--version"], capture_output=True,
                          text=True).stdout.strip()
    return [f"- {platform.system()} {platform.release()}, {cpu}, "
            f"{os.cpu_count()} CPUs, {mem} RAM",
            f"- Python {platform.python_version()}, {gitv}, "
            f"patchlens at {head or '?'}"]


def _fmt(x: float | None, unit: str = "s") -> str:
    if x is None:
        return "-"
    return f"{x:.3f} {unit}" if x < 10 else f"{x:.1f} {unit}"


def write_results(results: list[Result], repeat: int, took: float,
                  cmdline: str, path: Path) -> None:
    peers = {r.case.name: r.median for r in results
             if r.case.group == "peers" and not r.case.peer_of}
    lines = ["# patchlens benchmarks on real kernel trees", "",
             f"Written by `{cmdline}` in {took:.0f} s; each figure is the "
             f"median of {repeat} runs (warm rows after one untimed "
             "warm-up). Peak RSS is the command's own (GNU time `%M`). Recorded, "
             "not asserted; the targets are in the issues.", "",
             "## Machine", "", *_machine(), "",
             "Trees: Debian linux-source-6.12 and -6.1, unpacked, and a "
             "two-commit git repository built from them "
             "(`python -m benchmarks.kernels`).", ""]
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.case.group, []).append(r)
    for group, rows in groups.items():
        lines += [f"## {group.capitalize()}", ""]
        ratio_cols = list(peers) if group == "peers" else []
        head = "| case | median | peak RSS |" + "".join(
            f" vs {p} |" for p in ratio_cols)
        lines += [head, "|" + "---|" * (3 + len(ratio_cols))]
        for r in rows:
            cells = [r.case.name, _fmt(r.median) if not r.error else r.error,
                     _fmt(r.peak_mb, "MB")]
            for p in ratio_cols:
                base = peers.get(p)
                if r.case.peer_of and r.median and base:
                    cells.append(f"{r.median / base:.1f}x")
                else:
                    cells.append("")
            lines.append("| " + " | ".join(c.replace("|", "\\|")
                                           for c in cells) + " |")
        lines.append("")
    lines += ["## Commands", "", "```"]
    for r in results:
        argv = " ".join(a if " " not in a else repr(a) for a in r.case.argv)
        lines.append(f"{r.case.name}:{' (cwd ' + r.case.cwd + ')' if r.case.cwd else ''}")
        lines.append(f"  {argv}")
    lines += ["```", ""]
    path.write_text("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--series", type=Path,
                        default=CORPUS / "ims-part3-v1.mbox")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds before one run counts as failed")
    parser.add_argument("--quick", action="store_true",
                        help="fewer subtrees (for a smoke run)")
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
    started = time.monotonic()
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
                  cmdline.strip(), opts.output)
    print(f"wrote {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
