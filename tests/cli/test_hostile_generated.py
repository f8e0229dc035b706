"""Generated hostile input, 200 per kind: no traceback, ever.

Every stage that reads an input kind gets mutated versions of a seed
(``tests/fuzz.py`` says how each kind is made and fed).  A stage may
return a result or raise InputError; anything else fails here with the
kind, stage, exception and the (shrunk) input.  Kinds whose stages are
not written yet are skipped, naming the missing piece.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzz import (KINDS, Context, Crash, Unavailable, known_bug,
                        run_one, snapshot)

# A few hundred per kind keep ``make test`` near a minute; ``make fuzz``
# runs the full 100,000 (tests/fuzz.py).
EXAMPLES = 200
# The issue-16 kinds each run a whole stage (a scan, a tree, a series)
# per input: 0.05-0.9 s each, so fewer here (about 10 s of the suite
# together); ``make fuzz`` and ``python -m tests.fuzz --kind K`` run more.
EXAMPLES_BY_KIND: dict[str, int] = {
    "cnesting": 20, "profileregex": 60, "specialfile": 28, "cachedamage": 10,
    "dirswap": 6}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp dir of our own, so 'no temporary files left' is checkable
    while other suites run beside us."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    return tmp


def _check_kind(name: str, work: Path, private_tmp: Path) -> None:
    kind = KINDS[name]
    ctx = Context(work)
    kind.setup(ctx)
    tree = work / "tree"
    before = snapshot(tree) if tree.exists() else None
    unavailable: list[str] = []

    @settings(max_examples=EXAMPLES_BY_KIND.get(name, EXAMPLES), deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck),
              # Shrinking a mailbox takes minutes; the failing input is
              # printed as found, which is small enough to read.
              phases=[Phase.explicit, Phase.generate])
    @given(kind.strategy())
    def one(data) -> None:
        if unavailable:
            return
        try:
            run_one(kind, data, ctx)
        except Unavailable as exc:
            unavailable.append(str(exc))
        except Crash as exc:
            # Reported bugs have their own strict xfail; keep searching.
            if known_bug(exc) is None:
                raise

    one()
    # Every stage exists now: one that cannot be imported or run is a
    # regression, not a reason to skip.
    assert not unavailable, f"{name}: {unavailable[0]}"
    if before is not None:
        assert snapshot(tree) == before, "a stage wrote into the tree"
    assert os.listdir(private_tmp) == [], "temporary files left behind"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_generated_inputs_never_crash(name: str, tmp_path: Path,
                                      private_tmp: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _check_kind(name, work, private_tmp)
