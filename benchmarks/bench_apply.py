"""Reading a kernel tree at a revision and applying a 33-patch series.

``python -m benchmarks.bench_apply [--cache DIR] [--series MBOX]``

Target (issue 3): open the tree at a revision + apply the series in
memory < 1 s, excluding whole-tree scans (``files()`` over the tree is
timed separately, for information).  Recorded, not asserted.

Measured on the development machine (2 CPUs), IMS part 3 v1 (28 of 33
patches present, 91 hunks), warm page cache, best of 5:
read_series 0.024 s; git at v6.12: open 0.000 s, apply 0.045 s
(open + apply 0.046 s); directory linux-6.12: open + apply 0.032 s;
git files() over all 86,629 files 0.19 s (a whole-tree scan).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from patchlens.mail import read_series
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series
from benchmarks.timing import best_of
from benchmarks.kernels import DEFAULT_CACHE, DEFAULT_SERIES

__all__ = ["run", "main"]

TARGET_S = 1.0



def run(cache: Path = DEFAULT_CACHE, series_path: Path = DEFAULT_SERIES,
        repeat: int = 5) -> dict[str, float]:
    """Timings in seconds, keyed by what was timed; absent trees are skipped."""
    out: dict[str, float] = {}
    out["read_series"], series = best_of(lambda: read_series(str(series_path)), repeat)
    git = cache / "linux.git"
    if git.is_dir():
        out["git_open_v6.12"], tree = best_of(lambda: open_tree(str(git), "v6.12"), repeat)
        out["git_apply"], applied = best_of(lambda: apply_series(tree, series), repeat)
        out["git_open_and_apply"], _ = best_of(
            lambda: apply_series(open_tree(str(git), "v6.12"), series), repeat)
        out["git_files_all (whole-tree scan)"], _ = best_of(
            lambda: sum(1 for _ in tree.files()), 2)
        out["hunks"] = float(sum(applied.counts().values()))
    directory = cache / "linux-6.12"
    if directory.is_dir():
        out["dir_open_and_apply"], _ = best_of(
            lambda: apply_series(open_tree(str(directory), None), series), repeat)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench_apply")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--series", type=Path, default=DEFAULT_SERIES)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not args.series.is_file():
        print(f"bench_apply: {args.series}: not found; skipped")
        return 0
    results = run(args.cache, args.series, args.repeat)
    for name, value in results.items():
        unit = "" if name == "hunks" else " s"
        print(f"{name:34s} {value:8.3f}{unit}")
    total = results.get("git_open_and_apply", results.get("dir_open_and_apply"))
    if total is not None:
        verdict = "within" if total < TARGET_S else "OVER"
        print(f"open + apply: {total:.3f} s ({verdict} the {TARGET_S:.0f} s target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
