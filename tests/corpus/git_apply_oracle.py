"""The hunk oracle for the corpus expectations: ``git apply --check``.

For one series (the revision patchlens chooses) and one kernel tree
directory, copy the files the patches touch into a scratch directory,
then for each patch in number order run ``git apply --check`` (no fuzz:
git's default, ``-C`` unset); a clean patch is applied so later patches
see it, a failing one is skipped and tried in reverse (``-R --check``:
"already present").  Prints one ``APPLY n/m <verdict>`` line per patch,
verdicts ``applies``, ``fails``, ``present`` (reverse-applies).

    python tests/corpus/git_apply_oracle.py SERIES.mbox TREE_DIR [REVISION]

This is how the APPLY lines of tests/corpus/expected/*.txt were made.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from patchlens.mail import read_series

__all__ = ["apply_verdicts", "main"]

# git-format ("diff --git") or quilt-format ("--- a/x" then "+++ b/x") diffs.
_DIFF_START = re.compile(r"^(?:diff --git |--- \S.*\n\+\+\+ )", re.M)


def _diff_text(body: str) -> str:
    m = _DIFF_START.search(body)
    return body[m.start():] if m else ""


def apply_verdicts(series_path: str, tree: Path,
                   revision: int | None = None) -> list[tuple[int, int, str]]:
    series = read_series(series_path, revision)
    out: list[tuple[int, int, str]] = []
    with tempfile.TemporaryDirectory(prefix="oracle-") as tmp:
        work = Path(tmp) / "t"
        work.mkdir()
        subprocess.run(["git", "init", "-q", str(work)], check=True)
        for p in series.patches:
            for fp in p.files:
                for path in (fp.old_path, fp.new_path):
                    if not path or path == "/dev/null":
                        continue
                    src = tree / path
                    dst = work / path
                    if src.is_file() and not dst.exists():
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(src, dst)
        for p in series.patches:
            diff = Path(tmp) / f"{p.index:03d}.diff"
            diff.write_text(_diff_text(p.message.body))
            ok = subprocess.run(["git", "apply", "--check", str(diff)], cwd=work,
                                capture_output=True).returncode == 0
            if ok:
                subprocess.run(["git", "apply", str(diff)], cwd=work, check=True,
                               capture_output=True)
                out.append((p.index, p.total, "applies"))
                continue
            rev = subprocess.run(["git", "apply", "--check", "-R", str(diff)], cwd=work,
                                 capture_output=True).returncode == 0
            out.append((p.index, p.total, "present" if rev else "fails"))
    return out


def main(argv: list[str]) -> int:
    revision = int(argv[3]) if len(argv) > 3 else None
    for index, total, verdict in apply_verdicts(argv[1], Path(argv[2]), revision):
        print(f"APPLY {index}/{total} {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
