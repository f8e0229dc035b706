"""One functional test per finding code: a small kernel-shaped series
(``fixtures/checks/<code>/series.mbox``) applied to the check fixture
tree (``fixtures/checks/tree``, with the folder's ``tree/`` laid over
it), and the exact terse line(s) ``check`` must print (``expected``),
with the options in ``args`` when there is one.

A folder with ``moved/`` is analysed as a git repository whose second
commit lays ``moved/`` over the first: the tree has moved on since the
patch was written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patchlens.checks import CATALOGUE
from patchlens.cli import main
from tests.tree_helpers import make_repo

CHECKS = Path(__file__).resolve().parents[2] / "fixtures" / "checks"
CODES = sorted(p.name for p in CHECKS.iterdir()
               if (p / "series.mbox").exists())


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _tree(code: str, tmp_path: Path) -> list[str]:
    """The --tree (and --rev) arguments for ``code``'s fixture."""
    folder = CHECKS / code
    files = _files(CHECKS / "tree")
    if (folder / "tree").is_dir():
        files.update(_files(folder / "tree"))
    if (folder / "moved").is_dir():
        make_repo(tmp_path / "linux", [files, _files(folder / "moved")],
                  tags={1: "now"})
        return ["--tree", str(tmp_path / "linux"), "--rev", "now"]
    root = tmp_path / "linux"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return ["--tree", str(root)]


def test_every_code_has_a_fixture() -> None:
    assert sorted(CATALOGUE.codes()) == CODES


@pytest.mark.parametrize("code", CODES)
def test_code(code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = CHECKS / code
    # ``args``: options the code needs (hunk-fuzz: --fuzz, git refuses fuzz)
    args = (folder / "args").read_text().split() \
        if (folder / "args").exists() else []
    status = main(["check", str(folder / "series.mbox"), *_tree(code, tmp_path),
                   "--format", "terse", "--fail-on", "check", *args])
    out = capsys.readouterr().out.splitlines()
    expected = (folder / "expected").read_text().splitlines()
    missing = [l for l in expected if l not in out]
    assert not missing, "\n".join(["missing:", *missing, "got:", *out])
    assert all(f": {code}: " in l for l in expected)
    assert status == 1
