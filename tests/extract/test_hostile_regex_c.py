"""The worst-case regex test of tests/package/test_hostile_regex.py, run over the
stages that read C, the tree, the profile and MAINTAINERS: extract/, c/,
checks/, search/, tree/, impact/, graph, session and the profile's own
regexes (``own_subjects`` and any other regex a profile TOML holds)."""

from __future__ import annotations

import re
import time

import pytest

from patchlens.extract.profile import load_profile
from patchlens.extract.saferegex import MAX_SUBJECT, unbounded_reason
from tests.package import test_hostile_regex as base

SOURCES = sorted([*(base.PACKAGE / "extract").glob("*.py"),
                  *(base.PACKAGE / "c").glob("*.py"),
                  *(base.PACKAGE / "checks").glob("*.py"),
                  *(base.PACKAGE / "search").glob("*.py"),
                  *(base.PACKAGE / "tree").glob("*.py"),
                  *(base.PACKAGE / "impact").glob("*.py"),
                  *base.PACKAGE.glob("*.py")])


def _patterns() -> list[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    seen: set[tuple[object, int]] = set()
    out = []
    for path in SOURCES:
        if path.name in ("__main__.py",):
            continue
        for label, rx in [*base._module_patterns(path), *base._literal_patterns(path)]:
            key = (rx.pattern, rx.flags)
            if key not in seen:
                seen.add(key)
                out.append((f"{path.parent.name}/{label}", rx))
    return out


PATTERNS = _patterns()


def test_the_patterns_are_found() -> None:
    labels = {label for label, _ in PATTERNS}
    assert any(label.startswith("extract/patchonly.py") for label in labels)
    assert any(label.startswith("extract/maintainers.py") for label in labels)
    assert len(PATTERNS) > 20


@pytest.mark.parametrize("label,rx", PATTERNS, ids=[l for l, _ in PATTERNS])
def test_regex_is_linear_on_worst_case_input(label: str, rx: re.Pattern[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # 10 KB runs: a quadratic pattern takes seconds there, a linear one
    # milliseconds, and the ~100 patterns stay quick on a busy machine.
    monkeypatch.setattr(base, "SIZE", 10_000)
    base.test_regex_is_linear_on_worst_case_input(label, rx)


# The profile's own regexes pass the loader's bound and the worst case.
_PROFILE_PATTERNS = [(f"profile/{f.key}", re.compile(p))
                     for f in load_profile(None).families for p in f.own_subjects]


@pytest.mark.parametrize("label,rx", _PROFILE_PATTERNS,
                         ids=[l for l, _ in _PROFILE_PATTERNS])
def test_profile_regex_is_linear(label: str, rx: re.Pattern[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert unbounded_reason(rx.pattern) is None
    monkeypatch.setattr(base, "SIZE", MAX_SUBJECT)
    base.test_regex_is_linear_on_worst_case_input(label, rx)


@pytest.mark.parametrize("pattern", [
    r"^(d+)+x$", r"(a|aa)*b", r"(\w+\s?)*$", r".*.*.*x", r"(a)\1",
    r"(?=a*)a", "x" * 300])
def test_unbounded_regexes_are_refused(pattern: str) -> None:
    assert unbounded_reason(pattern) is not None


@pytest.mark.parametrize("pattern", [
    r"^.*/vdso/[^/]*getrandom[^/]+$", r"bcm[9]?47622", r"include/linux/page[-_]*",
    r"\btegra", r"(?:cs|ar)[0-9]{2,}", r"parent\w*\s*(->|\.)\s*bus_token"])
def test_kernel_shaped_regexes_are_accepted(pattern: str) -> None:
    assert unbounded_reason(pattern) is None
