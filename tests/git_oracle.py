"""git and GNU patch as oracles for ``apply_series``.

For each patch of a series, in order: the files it touches are written
from patchlens's state before it into a scratch directory, and the
real tool is asked whether the patch applies (``git apply --check``, or
``patch --dry-run -F2 -N``).  Its answer must be patchlens's.  When both
say it applies, git's result must be patchlens's state after it.  The
states come from patchlens, so one disagreement is reported once and
does not cascade.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from patchlens.diff import FilePatch, FileStatus
from patchlens.tree.apply import AppliedSeries, HunkStatus, PatchResult

__all__ = ["diff_text", "Disagreement", "compare_with_git",
           "compare_with_patch", "have_gnu_patch"]

_GNU_PLACES = frozenset({HunkStatus.CLEAN, HunkStatus.OFFSET, HunkStatus.FUZZ})


def have_gnu_patch() -> bool:
    exe = shutil.which("patch")
    if exe is None:
        return False
    out = subprocess.run([exe, "--version"], capture_output=True, text=True)
    return "GNU patch" in out.stdout


def diff_text(fp: FilePatch) -> str:
    """The git diff of one parsed file patch (what patchlens read)."""
    old, new = fp.old_path, fp.new_path
    head = f"diff --git a/{old or new} b/{new or old}\n"
    if fp.status is FileStatus.ADDED:
        head += "new file mode 100644\n"
    elif fp.status is FileStatus.DELETED:
        head += "deleted file mode 100644\n"
    elif old != new:
        head += f"rename from {old}\nrename to {new}\n"
    if not fp.hunks:
        return head
    out = [head, f"--- {'a/' + old if old else '/dev/null'}\n",
           f"+++ {'b/' + new if new else '/dev/null'}\n"]
    for h in fp.hunks:
        out.append(f"@@ -{h.old_start},{h.old_len} "
                   f"+{h.new_start},{h.new_len} @@\n")
        out += [f"{l.kind}{l.text}\n" for l in h.lines]
    return "".join(out)


@dataclass(frozen=True)
class Disagreement:
    patch: str
    what: str

    def __str__(self) -> str:
        return f"{self.patch}: {self.what}"


def _paths(r: PatchResult) -> list[str]:
    return sorted({p for f in r.files for p in (f.old_path, f.path) if p})


def _write(applied: AppliedSeries, k: int, r: PatchResult, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    state = applied.state(k)
    for p in _paths(r):
        data = state.read(p)
        if data is not None:
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).write_bytes(data)


def _usable(r: PatchResult) -> bool:
    return bool(r.files) and all(f.file.status is not FileStatus.BINARY
                                 and not any(h.partial for h in f.file.hunks)
                                 for f in r.files)


def compare_with_git(applied: AppliedSeries) -> list[Disagreement]:
    """Where ``git apply --check`` disagrees with patchlens's verdict,
    or ``git apply``'s result with patchlens's state."""
    out: list[Disagreement] = []
    with tempfile.TemporaryDirectory(prefix="patchlens-oracle-") as tmp:
        root = Path(tmp) / "t"
        for k, r in enumerate(applied.results, start=1):
            if not _usable(r):
                continue
            text = "".join(diff_text(f.file) for f in r.files).encode()
            _write(applied, k - 1, r, root)
            git = subprocess.run(["git", "apply", "--check", "-"], input=text,
                                 cwd=root, capture_output=True)
            says = git.returncode == 0
            if says != r.git_applies:
                out.append(Disagreement(r.label, (
                    f"git apply --check {'accepts' if says else 'refuses'}"
                    f" ({git.stderr.decode(errors='replace').strip()[:200]}); "
                    "patchlens: " + ", ".join(
                        f"{f.path} hunk {h.number} {h.describe}"
                        for f in r.files for h in f.hunks))))
                continue
            if not says:
                continue
            subprocess.run(["git", "apply", "-"], input=text, cwd=root,
                           check=True, capture_output=True)
            state = applied.state(k)
            for p in _paths(r):
                disk = root / p
                got = disk.read_bytes() if disk.is_file() else None
                if got != state.read(p):
                    out.append(Disagreement(r.label, f"{p}: git apply's "
                                            "result differs from the state"))
    return out


def compare_with_patch(applied: AppliedSeries, fuzz: int) -> list[Disagreement]:
    """Where ``patch --dry-run -F<fuzz>`` disagrees with patchlens's
    verdict under ``Rules(fuzz=...)``."""
    out: list[Disagreement] = []
    with tempfile.TemporaryDirectory(prefix="patchlens-oracle-") as tmp:
        root = Path(tmp) / "t"
        for k, r in enumerate(applied.results, start=1):
            if not _usable(r):
                continue
            text = "".join(diff_text(f.file) for f in r.files).encode()
            _write(applied, k - 1, r, root)
            gnu = subprocess.run(["patch", "-p1", "--dry-run", f"-F{fuzz}",
                                  "-N", "--batch", "-s"], input=text, cwd=root,
                                 capture_output=True)
            says = gnu.returncode == 0
            ours = all(f.applied for f in r.files) and all(
                h.status in _GNU_PLACES for h in r.hunks)
            if says != ours:
                out.append(Disagreement(r.label, (
                    f"patch -F{fuzz} {'accepts' if says else 'refuses'} "
                    f"({gnu.stdout.decode(errors='replace').strip()[:200]}); "
                    "patchlens: " + ", ".join(
                        f"{f.path} hunk {h.number} {h.describe}"
                        for f in r.files for h in f.hunks))))
    return out
