"""``refs --all`` against grep on Debian linux 6.12 (issue 5 targets).

``python -m benchmarks.bench_refs [--cache DIR] [--repeat N] [--only KIND] [-o FILE]``

Cases, each a child process (wall time, peak RSS from ``wait4``):

- git at v6.12: cold (empty ``XDG_CACHE_HOME``) and warm ``patchlens
  refs --all --format json``, against ``git grep -n -F -e DOMAIN_BUS_
  ... v6.12`` measured in the same run; targets cold <= 1.5x, warm <=
  0.25x;
- the directory linux-6.12: cold, against ``grep -rnF`` with the same
  strings; target <= 1.0x;
- peak RSS <= 500 MB.

Nothing is asserted; the ratios are printed and written to ``-o``
(default ``benchmarks/RESULTS-refs.md``).  Cases whose tree is absent
are skipped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.kernels import DEFAULT_CACHE

__all__ = ["main", "measure"]

REPO = Path(__file__).resolve().parents[1]
LITERALS = ["DOMAIN_BUS_", "MSI_FLAG_", "MSI_DEFAULT_DOMAIN",
            "MSI_SECONDARY_DOMAIN", "MSI_MAX_DEVICE_IRQDOMAINS"]
PATCHLENS = str(REPO / ".venv" / "bin" / "patchlens")


def measure(cmd: list[str], cwd: str, env: dict[str, str] | None = None
            ) -> tuple[float, int]:
    """(wall seconds, peak RSS in KB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}")
    return wall, usage.ru_maxrss


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _peer_cold_warm(peer: list[str], refs: list[str], cwd: str, repeat: int,
                    scratch: str) -> tuple[float, float, float, int]:
    """Medians of the peer, a cold refs run (empty cache of its own) and
    the warm run right after it, interleaved so load hits all three
    alike; plus the peak RSS of the refs runs."""
    peers, cold, warm, rss_max = [], [], [], 0
    for i in range(repeat):
        env = dict(os.environ, XDG_CACHE_HOME=f"{scratch}{i}")
        peers.append(measure(peer, cwd)[0])
        for runs in (cold, warm):
            wall, rss = measure(refs, cwd, env)
            runs.append(wall)
            rss_max = max(rss_max, rss)
    return _median(peers), _median(cold), _median(warm), rss_max


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=("git", "directory"),
                    help="measure one kind of tree")
    ap.add_argument("-o", "--output", default=str(REPO / "benchmarks" / "RESULTS-refs.md"))
    opts = ap.parse_args(argv)
    kernels = Path(opts.cache)
    git, directory = kernels / "linux.git", kernels / "linux-6.12"
    pats = [a for l in LITERALS for a in ("-e", l)]
    lines = ["# refs --all benchmark (issue 5)", "",
             f"machine: {os.cpu_count()} CPUs; median of {opts.repeat}; "
             f"load average at start {os.getloadavg()[0]:.2f}", ""]
    rss_max = 0
    scratch = tempfile.mkdtemp(prefix="patchlens-bench-")
    try:
        if git.is_dir() and opts.only in (None, "git"):
            g, c, w, rss = _peer_cold_warm(
                ["git", "grep", "-n", "-F", *pats, "v6.12"],
                [PATCHLENS, "refs", "--all", "--tree", str(git), "--rev",
                 "v6.12", "--format", "json", "-q"],
                str(git), opts.repeat, os.path.join(scratch, "g"))
            rss_max = max(rss_max, rss)
            lines += ["## git repository at v6.12", "",
                      f"- git grep -n -F ... v6.12: {g:.2f} s",
                      f"- refs --all cold: {c:.2f} s = {c / g:.2f}x (target <= 1.5x)",
                      f"- refs --all warm: {w:.2f} s = {w / g:.2f}x (target <= 0.25x)", ""]
        if directory.is_dir() and opts.only in (None, "directory"):
            g, c, w, rss = _peer_cold_warm(
                ["grep", "-rnF", *pats, "."],
                [PATCHLENS, "refs", "--all", "--tree", str(directory),
                 "--format", "json", "-q"],
                str(directory), opts.repeat, os.path.join(scratch, "d"))
            rss_max = max(rss_max, rss)
            lines += ["## directory linux-6.12", "",
                      f"- grep -rnF ...: {g:.2f} s",
                      f"- refs --all cold: {c:.2f} s = {c / g:.2f}x (target <= 1.0x)",
                      f"- refs --all warm: {w:.2f} s = {w / g:.2f}x "
                      "(stat walk: changed hits and newer ctimes are read, no grep)", ""]
        lines += [f"peak RSS of patchlens: {rss_max / 1024:.0f} MB (target <= 500 MB)", "",
                  "Commands: `patchlens refs --all --tree T [--rev v6.12] "
                  "--format json -q`; peers `git grep -n -F " + " ".join(pats)
                  + " v6.12` and `grep -rnF ... .`", ""]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    text = "\n".join(lines)
    sys.stdout.write(text)
    Path(opts.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
