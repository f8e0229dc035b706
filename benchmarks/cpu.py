"""CPU time of a patchlens command's process tree, against another commit.

``python -m benchmarks.cpu [--repeat N] [--cold] [--base REV] -- ARGS...``

Runs ``patchlens ARGS`` (this checkout) ``N`` times and prints the
median and least CPU time (user + system of the command and every
process it started, from ``getrusage(RUSAGE_CHILDREN)``) and wall time.
With ``--base REV`` the same command of ``git archive REV`` runs
alternately with it, by the same interpreter and packages, each side
with its own cache directory, and the two outputs are compared byte
for byte.  Warm runs follow one untimed run; ``--cold`` empties the
cache before each run.

On a shared machine wall time follows the load; CPU time much less so,
which is why the figures of ``benchmarks/RESULTS-profile.md`` are CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import REPO

__all__ = ["main", "measure"]

# Runs a patchlens tree at sys.argv[1] instead of the installed one.
_LAUNCH = """import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, sys.argv.pop(1))
from patchlens.cli import main
sys.argv[0] = "patchlens"
sys.exit(main())
"""


def measure(cmd: list[str], cache: Path, cold: bool) -> tuple[float, float, bytes]:
    """(CPU seconds of the process tree, wall seconds, stdout) of one run."""
    if cold:
        shutil.rmtree(cache, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          env=dict(os.environ, XDG_CACHE_HOME=str(cache)))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cpu",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--base", help="a commit to compare with")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args(argv)
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args
    with tempfile.TemporaryDirectory(prefix="patchlens-cpu-") as tmp:
        scratch = Path(tmp)
        # Bytecode once, as an installed package has it (see run.py).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "patchlens")],
                       stdout=subprocess.DEVNULL, check=False)
        sides = {"this": [sys.executable, "-m", "patchlens", *args]}
        if opts.base:
            src = scratch / "base"
            src.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", opts.base],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
            queries = src / "patchlens" / "queries"
            if (src / "queries").is_dir() and not queries.exists():
                queries.symlink_to(src / "queries")
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(src / "patchlens")],
                           stdout=subprocess.DEVNULL, check=False)
            launch = scratch / "launch.py"
            launch.write_text(_LAUNCH)
            sides["base"] = [sys.executable, str(launch), str(src), *args]
        got: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
        outs: dict[str, bytes] = {}
        for i in range(opts.repeat + (0 if opts.cold else 1)):
            for name, cmd in sides.items():
                cpu, wall, out = measure(cmd, scratch / f"cache-{name}", opts.cold)
                outs[name] = out
                if opts.cold or i:
                    got[name].append((cpu, wall))
        load = os.getloadavg()[0]
        for name, runs in got.items():
            cpus, walls = [c for c, _ in runs], [w for _, w in runs]
            print(f"{name:5} cpu median {statistics.median(cpus):.3f} s, least "
                  f"{min(cpus):.3f} s; wall median {statistics.median(walls):.3f} s "
                  f"({len(runs)} {'cold' if opts.cold else 'warm'} runs, load {load:.1f})")
        if opts.base:
            print("outputs identical" if outs["this"] == outs["base"]
                  else "OUTPUTS DIFFER")
    return 0


if __name__ == "__main__":
    sys.exit(main())
