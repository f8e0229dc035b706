"""Where the time of each benchmark case goes -> ``benchmarks/RESULTS-profile.md``.

``python -m benchmarks.profile [--cache DIR] [--output FILE] [--keep DIR]``

Each case (``refs --all`` and ``report ims-part3-v1.mbox``, on the
directory and at git v6.12, cold then warm) runs once under cProfile in
a child process.  Every function's own time is given to an area by the
module it belongs to; the time of a builtin (a read, a lock, a poll, a
stat) goes to the area of the patchlens function that called it,
through the callers cProfile recorded, in the shares it recorded:

- start-up: module bodies run at import (``<module>``) and the import
  machinery;
- search: ``patchlens/search`` -- its waits on rg / git grep are in
  "search: waiting on system search";
- blob reads: ``patchlens/tree`` reading files and blobs (``read``,
  ``content_id``, path look-ups);
- parse: ``patchlens/c`` and tree-sitter; the reference scan's waits
  on its process pool are in "parse: waiting on the pool" (the workers
  are other processes: cProfile does not see inside them);
- analysis: ``extract``, ``checks``, ``impact``, ``graph``;
- series: ``mail``, ``diff``, applying the series (``tree/apply``);
- cache: ``patchlens/cache.py`` and pickle;
- render: ``patchlens/render``;
- other: the CLI, commands, session, and the rest.

cProfile slows Python code down (about 1.5-2x here) and not the system
searches, so the areas are shares of a profiled run; the wall time of
the same command unprofiled is beside them.
"""

from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.kernels import DEFAULT_CACHE
from benchmarks.run import CORPUS, REPO

__all__ = ["areas", "main"]

OUTPUT = REPO / "benchmarks" / "RESULTS-profile.md"
AREAS = ("start-up", "search", "search: waiting on system search", "blob reads",
         "parse", "parse: waiting on the pool", "analysis", "series", "cache",
         "render", "other")
_WAITS = ("acquire", "poll", "read", "read1", "wait", "communicate", "_wait",
          "select", "waitpid", "recv_bytes", "_recv_bytes", "recv")

Func = tuple[str, int, str]


def _area_of(func: Func) -> str | None:
    """The area of a patchlens (or tree-sitter, or import) function;
    None for the rest (a builtin or library: its callers decide)."""
    path, _, name = func
    if name == "<module>" or "importlib" in path:
        return "start-up"
    p = path.replace(os.sep, "/")
    if "tree_sitter" in p:
        return "parse"
    if "/patchlens/" not in p:
        return None
    rel = p.split("/patchlens/", 1)[1]
    top = rel.split("/", 1)[0].removesuffix(".py")
    if top == "search":
        return "search"
    if top == "tree":
        return "series" if rel.startswith("tree/apply") else "blob reads"
    if top == "c":
        return "parse"
    if top in ("extract", "checks", "impact", "graph", "findings"):
        return "analysis"
    if top in ("mail", "diff"):
        return "series"
    if top == "cache":
        return "cache"
    if top == "render":
        return "render"
    return "other"


def areas(prof: str) -> dict[str, float]:
    """Seconds per area of one cProfile file."""
    st = pstats.Stats(prof).stats  # type: ignore[attr-defined]  # pstats keeps it untyped
    out: dict[str, float] = defaultdict(float)
    memo: dict[Func, dict[str, float]] = {}

    def share(func: Func, depth: int = 0) -> dict[str, float]:
        """How a second of ``func``'s own time splits over areas."""
        if func in memo:
            return memo[func]
        own = _area_of(func)
        if own is not None or depth > 40 or func not in st:
            memo[func] = {own or "other": 1.0}
            return memo[func]
        memo[func] = {"other": 1.0}        # a cycle: stop here
        callers = st[func][4]
        total = sum(v[2] for v in callers.values()) or \
            sum(v[1] for v in callers.values()) or 1
        got: dict[str, float] = defaultdict(float)
        for caller, v in callers.items():
            weight = (v[2] if any(x[2] for x in callers.values()) else v[1]) / total
            for area, part in share(caller, depth + 1).items():
                got[area] += weight * part
        waits = func[2].strip("{}").split(" of ")[0].split("'")[1::2] or [func[2]]
        if any(w in _WAITS for w in waits) or func[2] in _WAITS:
            moved: dict[str, float] = defaultdict(float)
            for area, part in got.items():
                if area == "search":
                    area = "search: waiting on system search"
                elif area in ("analysis", "parse"):
                    area = "parse: waiting on the pool"
                moved[area] += part
            got = moved
        memo[func] = dict(got)
        return memo[func]

    for func, (_, _, tt, _, _) in st.items():
        for area, part in share(func).items():
            out[area] += tt * part
    return dict(out)


def _cases(cache: Path, series: Path) -> list[tuple[str, str, list[str]]]:
    """(name, cache key, argv after ``patchlens``); cold runs empty the
    cache first."""
    git = ["--tree", str(cache / "linux.git"), "--rev", "v6.12"]
    tree = ["--tree", str(cache / "linux-6.12")]
    out = []
    for what, argv in (("refs --all", ["refs", "--all"]),
                       ("report", ["report", str(series)])):
        for where, at in (("directory", tree), ("git v6.12", git)):
            for state in ("cold", "warm"):
                out.append((f"{what}, {where}, {state}", f"{what}-{where}",
                            argv + at))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--series", type=Path, default=CORPUS / "ims-part3-v1.mbox")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--keep", type=Path, help="keep the .prof files here")
    opts = parser.parse_args(argv)
    rows = []
    # Bytecode written once, as an installed package has it (see run.py).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "patchlens")],
                   stdout=subprocess.DEVNULL, check=False)
    with tempfile.TemporaryDirectory(prefix="patchlens-profile-") as tmp:
        scratch = Path(tmp)
        keep = opts.keep or scratch
        keep.mkdir(parents=True, exist_ok=True)
        for name, key, args in _cases(opts.cache.expanduser(), opts.series):
            home = scratch / key.replace(" ", "-")
            if name.endswith("cold"):
                subprocess.run(["rm", "-rf", str(home)])
            env = dict(os.environ, XDG_CACHE_HOME=str(home), LC_ALL="C")
            prof = keep / (name.replace(", ", "-").replace(" ", "-") + ".prof")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof),
                            "-m", "patchlens", *args], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            profiled = time.perf_counter() - t0
            # The same run without the profiler: a cold case fills the
            # cache again (from empty), a warm one reuses it.
            if name.endswith("cold"):
                subprocess.run(["rm", "-rf", str(home)])
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "patchlens", *args], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            plain = time.perf_counter() - t0
            got = areas(str(prof))
            rows.append((name, plain, profiled, got))
            print(f"{name:32} {plain:6.2f} s plain, {profiled:6.2f} s profiled: "
                  + ", ".join(f"{a} {got.get(a, 0):.2f}" for a in AREAS if got.get(a)),
                  flush=True)
    load = Path("/proc/loadavg").read_text().split()[:3] \
        if Path("/proc/loadavg").exists() else ["?"]
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    lines = ["# Where the time goes (profiles of the benchmark cases)", "",
             f"Written by `python -m benchmarks.profile` at patchlens {head}; "
             f"load average at the end {', '.join(load)} (a shared 2-CPU "
             "machine: wall times are noisy, the shares less so). Seconds "
             "of one profiled run per area (see the module's docstring for "
             "what each holds); \"plain\" is the same command without the "
             "profiler, right after.", "",
             "| case | plain | profiled | " + " | ".join(AREAS) + " |",
             "|---|---|---|" + "---|" * len(AREAS)]
    for name, plain, profiled, got in rows:
        lines.append(f"| {name} | {plain:.2f} s | {profiled:.2f} s | " + " | ".join(
            f"{got.get(a, 0):.2f}" for a in AREAS) + " |")
    lines += ["", "Commands: `patchlens refs --all --tree T` and `patchlens report "
              "ims-part3-v1.mbox --tree T`, T = `linux-6.12` or `linux.git --rev "
              "v6.12`; cold = an empty `XDG_CACHE_HOME`, warm = the cold run's.", ""]
    opts.output.write_text("\n".join(lines))
    print(f"wrote {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
