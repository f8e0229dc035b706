"""Issue 12: on every corpus series, ``check --format terse`` says exactly
what a kernel reviewer would say about the constant families -- no
extra finding, none missing -- and its hunk findings agree with
``git apply --check``.

The expectations are data, written by hand from the patches and the
trees: tests/corpus/expected/<series>.<setting>.txt, reasoning in
tests/corpus/EXPECTATIONS.md.  Settings: ``patch-only`` (``--no-tree``),
``linux-6.1`` and ``linux-6.12`` (Debian trees, from
PATCHLENS_KERNEL_TREE_6_1 / PATCHLENS_KERNEL_TREE as in conftest.py).

Terse lines are read by their parts, not by position, so small format
changes do not break the test: the severity word, the finding code
after it, the patch ``n/m`` (the last one on the line), the first
family constant named in the message, and for unhandled-enumerator the
function ``f()`` it names.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "lkml"
EXPECTED = Path(__file__).resolve().parent / "expected"

SERIES = (
    "ims-part2-v1", "ims-part2-v2", "ims-part2-v1v2", "ims-part3-v1",
    "ims-part3-v2", "ims-revert-v2", "arm-devmsi-v2-2022",
    "arm-msi-parent-v4-2024", "msi-no-affinity-rfc1-v4", "msi-no-affinity-v4",
    "msi-no-mask-xen-v1v2v3", "msi-no-mask-xen-v3",
)
TREE_ENV = {"linux-6.1": "PATCHLENS_KERNEL_TREE_6_1", "linux-6.12": "PATCHLENS_KERNEL_TREE"}

# Codes about the constant families (compared exactly) and codes about
# hunks (compared per patch with git).  A code in neither set fails the
# test until someone classifies it here: a new finding must not slip by.
FAMILY_CODES = frozenset({
    "bit-collision", "enum-shift", "used-before-defined", "used-after-removed",
    "stale-reference", "unset-flag", "unchecked-flag", "unhandled-enumerator",
    "duplicate-name", "bit-width", "bit-outside-mask", "bit-index-width",
    "array-growth", "needs-prerequisite", "moved-definition",
})
HUNK_CODES = frozenset({"hunk-failed", "hunk-fuzz", "tree-moved-on",
                        "hunk-conflict", "already-applied"})

_SEVERITY = re.compile(r"\b(ERROR|WARNING|CHECK)\b:?\s*")
_CODE = re.compile(r"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)")
_PATCH_END = re.compile(r"\((\d+)/(\d+)\)\s*$")
_PATCH_ANY = re.compile(r"\b(\d+)/(\d+)\b")
_CONSTANT = re.compile(
    r"\b(MSI_FLAG_\w+|DOMAIN_BUS_\w+|MSI_GENERIC_FLAGS_MASK|MSI_[A-Z_]*DOMAIN[A-Z_]*"
    r"|irq_domain_bus_token|msi_domain_ids)\b")
_SITE = re.compile(r"\b(\w+)\(\)")


@dataclass(frozen=True)
class Found:
    severity: str
    code: str
    patch: str | None      # "27/33"
    constant: str | None
    site: str | None       # function named by unhandled-enumerator
    line: str


def parse_terse_line(line: str) -> Found | None:
    """One terse line -> its parts; None for lines that are no finding."""
    sev = _SEVERITY.search(line)
    if not sev:
        return None
    rest = line[sev.end():]
    code = _CODE.match(rest)
    if not code:
        return None
    message = rest[code.end():]
    m = _PATCH_END.search(line)
    if m is None:
        found = _PATCH_ANY.findall(message)
        m_patch = f"{found[-1][0]}/{found[-1][1]}" if found else None
    else:
        m_patch = f"{m.group(1)}/{m.group(2)}"
    const = _CONSTANT.search(message)
    site = _SITE.search(message) if code.group(1) == "unhandled-enumerator" else None
    return Found(sev.group(1), code.group(1), _norm_patch(m_patch),
                 const.group(1) if const else None,
                 site.group(1) if site else None, line.rstrip("\n"))


def _norm_patch(p: str | None) -> str | None:
    if p is None or p == "*":
        return p
    a, b = p.split("/")
    return f"{int(a)}/{int(b)}"


@dataclass(frozen=True)
class Expect:
    severity: str          # or "*"
    code: str
    patch: str             # or "*"
    constant: str          # or "*" (only in UNSURE lines)
    site: str | None
    unsure: bool

    def matches(self, f: Found) -> bool:
        return ((self.severity == "*" or self.severity == f.severity)
                and self.code == f.code
                and (self.patch == "*" or self.patch == f.patch)
                and (self.constant == "*" or self.constant == f.constant)
                and (self.site is None or self.site == f.site))

    def __str__(self) -> str:
        site = f" @{self.site}" if self.site else ""
        return f"{'UNSURE ' if self.unsure else ''}{self.severity} {self.code} {self.patch} {self.constant}{site}"


@dataclass(frozen=True)
class Expectations:
    revision: int | None
    family: tuple[Expect, ...]
    apply: dict[str, str]  # "13/33" -> applies | fails | present


def load_expectations(path: Path) -> Expectations:
    revision: int | None = None
    family: list[Expect] = []
    apply: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "REVISION":
            revision = int(words[1])
        elif words[0] == "APPLY":
            apply[_norm_patch(words[1]) or words[1]] = words[2]
        else:
            unsure = words[0] == "UNSURE"
            if unsure:
                words = words[1:]
            site = words[4][1:] if len(words) > 4 and words[4].startswith("@") else None
            family.append(Expect(words[0], words[1], _norm_patch(words[2]) or "*",
                                 words[3], site, unsure))
    return Expectations(revision, tuple(family), apply)


@functools.lru_cache(maxsize=None)
def run_check(series: str, setting: str, revision: int | None, tree: Path | None) -> tuple[Found, ...]:
    args = ["check", str(CORPUS / f"{series}.mbox"), "--format", "terse"]
    args += ["--no-tree"] if tree is None else ["--tree", str(tree)]
    if revision is not None:
        args += ["-v", str(revision)]
    if tree is None:
        # Patch-only is small work: the CLI in this process (a child
        # would spend more on starting than on the series).
        status, out, err = _check_here(args)
    else:
        # A kernel tree: a child each, so no run keeps a tree's
        # analysis alive in the test process.
        proc = subprocess.run([sys.executable, "-m", "patchlens", *args], capture_output=True,
                              text=True, cwd=REPO, timeout=600)
        status, out, err = proc.returncode, proc.stdout, proc.stderr
    assert status in (0, 1), f"check exited {status}: {err}"
    return tuple(f for f in map(parse_terse_line, out.splitlines()) if f is not None)


def _check_here(args: list[str]) -> tuple[int, str, str]:
    """``patchlens.cli.main(args)`` from the repository: (status, stdout, stderr)."""
    from patchlens import session
    from patchlens.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(REPO), mock.patch.object(session, "_OPENED", []), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


def compare_family(expect: Expectations, found: Sequence[Found]) -> list[str]:
    """The differences, as lines a reader can act on; empty when equal."""
    problems: list[str] = []
    unknown = sorted({f.code for f in found} - FAMILY_CODES - HUNK_CODES)
    if unknown:
        problems.append(f"unclassified finding codes {unknown}: add them to FAMILY_CODES or HUNK_CODES")
    family = [f for f in found if f.code in FAMILY_CODES]
    for f in family:
        if not any(e.matches(f) for e in expect.family):
            problems.append(f"false or unexpected: {f.line}")
    for e in expect.family:
        if not e.unsure and not any(e.matches(f) for f in family):
            problems.append(f"missing: {e}")
    return problems


def compare_hunks(expect: Expectations, found: Sequence[Found], patch_only: bool) -> list[str]:
    hunks = [f for f in found if f.code in HUNK_CODES]
    if patch_only:
        return [f"patch-only analysis must not report hunks: {f.line}" for f in hunks]
    problems: list[str] = []
    by_patch: dict[str | None, set[str]] = {}
    for f in hunks:
        by_patch.setdefault(f.patch, set()).add(f.code)
    for patch, verdict in expect.apply.items():
        codes = by_patch.get(patch, set())
        if verdict == "applies" and codes & {"hunk-failed", "hunk-fuzz"}:
            problems.append(f"{patch}: git applies it cleanly, check says {sorted(codes)}")
        if verdict == "fails" and not codes & {"hunk-failed", "hunk-conflict"}:
            problems.append(f"{patch}: git apply --check fails, check says {sorted(codes) or 'nothing'}")
        # "present": git refuses it forward and takes it in reverse -- the
        # change is already in the tree, which already-applied says.
        if verdict == "present" and not codes & {"already-applied", "hunk-failed"}:
            problems.append(f"{patch}: already in the tree (git apply -R --check), "
                            f"check says {sorted(codes) or 'nothing'}")
    return problems


def _tree(setting: str) -> Path | None:
    if setting == "patch-only":
        return None
    var = TREE_ENV[setting]
    value = os.environ.get(var)
    if not value:
        pytest.skip(f"{var} is not set (make test-kernel sets it)")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"{var}={value} is not a directory")
    return path


# (series, setting) cases that already match exactly: no xfail for them.
FAMILY_EXACT: frozenset[tuple[str, str]] = frozenset(
    (s, t) for s in SERIES for t in ("patch-only", "linux-6.1", "linux-6.12"))
HUNKS_EXACT: frozenset[tuple[str, str]] = frozenset(
    (s, "patch-only") for s in SERIES)    # no hunk findings without a tree


def _params(exact: frozenset[tuple[str, str]] = frozenset()) -> list[object]:
    out: list[object] = []
    for series in SERIES:
        for setting in ("patch-only", "linux-6.1", "linux-6.12"):
            marks = [pytest.mark.corpus]
            if setting != "patch-only":
                marks.append(pytest.mark.kernel)
            if (series, setting) not in exact:
                marks.append(pytest.mark.xfail(strict=False,
                                               reason="issue 12 in progress"))
            out.append(pytest.param(series, setting, marks=marks, id=f"{series}-{setting}"))
    return out


def _setup(series: str, setting: str) -> tuple[Expectations, tuple[Found, ...]]:
    if not (CORPUS / "MANIFEST.md").is_file():
        pytest.skip(f"LKML corpus not found at {CORPUS} (needs ../shared beside the clone)")
    tree = _tree(setting)
    expect = load_expectations(EXPECTED / f"{series}.{setting}.txt")
    return expect, run_check(series, setting, expect.revision, tree)


@pytest.mark.parametrize(("series", "setting"), _params(FAMILY_EXACT))
def test_family_findings_exact(series: str, setting: str) -> None:
    expect, found = _setup(series, setting)
    problems = compare_family(expect, found)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("series", "setting"), _params(HUNKS_EXACT))
def test_hunk_findings_follow_git(series: str, setting: str) -> None:
    expect, found = _setup(series, setting)
    problems = compare_hunks(expect, found, setting == "patch-only")
    assert not problems, "\n".join(problems)


# The reader itself (no corpus needed): it must keep working on today's
# format and on small variations of it.
def test_parse_terse_line_today() -> None:
    f = parse_terse_line(
        "drivers/pci/msi/api.c:160: ERROR: used-before-defined: uses MSI_DEFAULT_DOMAIN, "
        "which only 27/33 defines: this patch does not build on its own (25/33)")
    assert f is not None
    assert (f.severity, f.code, f.patch, f.constant) == ("ERROR", "used-before-defined", "25/33",
                                                         "MSI_DEFAULT_DOMAIN")
    g = parse_terse_line(
        "kernel/irq/msi.c:34: WARNING: array-growth: struct msi_device_data::__domains"
        "[MSI_MAX_DEVICE_IRQDOMAINS] grows 1 -> 2 elements (27/33)")
    assert g is not None and g.constant == "MSI_MAX_DEVICE_IRQDOMAINS"
    h = parse_terse_line(
        "drivers/irqchip/irq-msi-lib.c:53: WARNING: unhandled-enumerator: msi_lib_init_dev_msi_info() "
        "does not handle DOMAIN_BUS_PCI_DEVICE_IMS; its default (WARN, false) refuses it (27/33)")
    assert h is not None and h.site == "msi_lib_init_dev_msi_info"
    assert h.constant == "DOMAIN_BUS_PCI_DEVICE_IMS"


def test_parse_terse_line_variants() -> None:
    # no location, patch-only marker, patch number with leading zero
    f = parse_terse_line("WARNING needs-prerequisite: MSI_DEFAULT_DOMAIN is context in 27/33 "
                         "but not in linux-6.1 [patch-only] (12/33)")
    assert f is not None
    assert (f.severity, f.code, f.patch, f.constant) == ("WARNING", "needs-prerequisite", "12/33",
                                                         "MSI_DEFAULT_DOMAIN")
    g = parse_terse_line("include/linux/msi.h:529 (patch line): ERROR: bit-collision: "
                         "MSI_FLAG_PCI_IMS is bit 21, already used by MSI_FLAG_NO_AFFINITY (027/033)")
    assert g is not None and (g.patch, g.constant) == ("27/33", "MSI_FLAG_PCI_IMS")
    assert parse_terse_line("patch-only analysis: no tree") is None


def test_expectation_files_are_complete_and_well_formed() -> None:
    names = {p.name for p in EXPECTED.glob("*.txt")}
    for series in SERIES:
        for setting in ("patch-only", "linux-6.1", "linux-6.12"):
            assert f"{series}.{setting}.txt" in names
            exp = load_expectations(EXPECTED / f"{series}.{setting}.txt")
            for e in exp.family:
                assert e.code in FAMILY_CODES, e
                assert e.severity in ("ERROR", "WARNING", "CHECK", "*"), e
                # a required line names its constant and severity
                assert e.unsure or (e.constant != "*" and e.severity != "*"), e
            if setting == "patch-only":
                assert not exp.apply
            else:
                assert exp.apply and set(exp.apply.values()) <= {"applies", "fails", "present"}


def test_compare_family_reports_extra_and_missing() -> None:
    exp = Expectations(None, (
        Expect("ERROR", "bit-collision", "27/33", "MSI_FLAG_PCI_IMS", None, False),
        Expect("*", "unhandled-enumerator", "27/33", "DOMAIN_BUS_PCI_DEVICE_IMS", "its_init_dev_msi_info", True),
    ), {})
    extra = parse_terse_line("x.c:1: CHECK: unset-flag: nothing sets MSI_FLAG_PCI_IMS (27/33)")
    unsure = parse_terse_line("y.c:2: WARNING: unhandled-enumerator: its_init_dev_msi_info() does not "
                              "handle DOMAIN_BUS_PCI_DEVICE_IMS (27/33)")
    other_site = parse_terse_line("z.c:3: CHECK: unhandled-enumerator: msi_handle_pci_fail() does not "
                                  "handle DOMAIN_BUS_PCI_DEVICE_IMS (27/33)")
    assert extra and unsure and other_site
    problems = compare_family(exp, [extra, unsure, other_site])
    assert any("unset-flag" in p for p in problems)
    assert any("msi_handle_pci_fail" in p for p in problems)
    assert any(p.startswith("missing: ERROR bit-collision") for p in problems)
    assert not any("its_init_dev_msi_info()" in p for p in problems)
