"""benchmarks.cpu: the CPU time of a command's process tree, child
processes included (what the speed figures under load are)."""

from __future__ import annotations

import sys

from benchmarks.cpu import measure


def test_cpu_counts_the_children_and_keeps_the_output(tmp_path) -> None:
    spin = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'x = sum(range(3_000_000))']); print('done')")
    cpu, wall, out = measure([sys.executable, "-c", spin], tmp_path / "cache", cold=True)
    assert out == b"done\n"
    assert cpu > 0.02 and wall > 0         # the grandchild's sum is counted
