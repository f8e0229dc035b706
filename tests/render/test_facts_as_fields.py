"""No fact only in prose (issue 17): every number, ``file:line`` and
patch label a finding's words say is a field of its JSON object, and no
command's JSON holds a number as a string.

The check (tests/prose_facts.py; its ALLOWED words carry a digit but no
fact: "32-bit", "64-bit", "3-way") runs on every JSON document any test
makes a command print (tests/conftest.py hooks it beside the schema
validation: test_json_schemas runs every command on the demo).  Here it
runs on the bundled fixtures (always: one series per finding code, and
answers that quote numbers and places), on the LKML corpus patch-only
(``../shared/corpus/lkml``; skipped without it), and on the corpus
against linux-6.12 (``-m kernel``, PATCHLENS_KERNEL_TREE)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from patchlens.cli import main
from tests.checks.test_codes import CODES, _tree
from tests.prose_facts import (assert_facts_are_fields, missing_facts,
                               numbers_in_strings)
from tests.render.test_json_schemas import S, T

REPO = Path(__file__).resolve().parents[2]
CHECKS = REPO / "fixtures" / "checks"
CORPUS = REPO.parent / "shared" / "corpus" / "lkml"
EXPECTED = REPO / "tests" / "corpus" / "expected"

# Beyond test_json_schemas' commands: answers whose words quote numbers
# and places (a rename onto a name that exists; two revisions).
MORE = {
    "rename-exists": ["impact", "rename", "DOMAIN_BUS_DEVICE_MSI",
                      "DOMAIN_BUS_PCI_MSI", "--tree", T],
    "rename-series": ["impact", "rename", "MSI_FLAG_WIDGET_IMS",
                      "MSI_FLAG_PCI_MSIX", "--series", S, "--tree", T],
}


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    status = main([*argv, "--format", "json"])
    assert status in (0, 1), argv
    return json.loads(capsys.readouterr().out)


def test_the_check_sees_a_fact_only_in_prose() -> None:
    finding = {"code": "array-growth", "message": "grows 1 -> 2: +24 bytes "
               "at kernel/irq/msi.c:17 (3/4)", "detail": ["32-bit builds"],
               "file": "kernel/irq/msi.c", "line": 17, "patch": "3/4",
               "facts": {"numbers": {"before": 1, "after": 2}}}
    assert missing_facts(finding, [finding["message"]],
                         frozenset({"message", "detail"})) \
        == ["+24 (in 'grows 1 -> 2: +24 bytes at   ( )')"]
    finding["facts"]["numbers"]["delta_bytes"] = 24
    finding["file"] = "kernel/irq/other.c"
    assert [m.split(" ")[0] for m in missing_facts(
        finding, [finding["message"]], frozenset({"message", "detail"}))] \
        == ["kernel/irq/msi.c:17"]
    assert numbers_in_strings({"roles": {"old": "1 define, 2 match"},
                               "v": ["bit 19"], "ok": "27/33"}) \
        == [".roles.old = '1 define, 2 match'", ".v[0] = 'bit 19'"]


@pytest.mark.parametrize("name", sorted(MORE))
def test_answers_quoting_facts(name: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert assert_facts_are_fields(_json(MORE[name], capsys)) >= 1


def test_the_hook_checks_every_output() -> None:
    from patchlens.commands.common import OUTPUT_HOOKS
    from tests.prose_facts import check_text
    assert check_text in OUTPUT_HOOKS


@pytest.mark.parametrize("code", CODES)
def test_finding_code_fixtures(code: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = CHECKS / code
    args = (folder / "args").read_text().split() \
        if (folder / "args").exists() else []
    argv = [str(folder / "series.mbox"), *_tree(code, tmp_path), *args]
    data = _json(["report", *argv], capsys)
    assert any(f["code"] == code for f in data["findings"]), code
    assert assert_facts_are_fields(data) >= 1
    assert_facts_are_fields(_json(["constants", *argv], capsys))


def _series() -> list[str]:
    if not (CORPUS / "MANIFEST.md").is_file():
        return []
    return sorted(p.stem for p in CORPUS.glob("*.mbox"))


def _revision(name: str, setting: str) -> list[str]:
    path = EXPECTED / f"{name}.{setting}.txt"
    for line in path.read_text().splitlines() if path.is_file() else ():
        if line.startswith("REVISION "):
            return ["-v", line.split()[1]]
    return []


@pytest.fixture
def corpus_series() -> list[str]:
    names = _series()
    if not names:
        pytest.skip(f"LKML corpus not found at {CORPUS} (needs ../shared "
                    "beside the clone); the fixtures above still run")
    return names


def test_corpus_patch_only(corpus_series: list[str], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    seen = 0
    for name in corpus_series:
        seen += assert_facts_are_fields(_json(
            ["report", str(CORPUS / f"{name}.mbox"), "--no-tree",
             *_revision(name, "patch-only")], capsys))
    assert seen


@pytest.mark.kernel
def test_corpus_on_linux_6_12(corpus_series: list[str],
                              capsys: pytest.CaptureFixture[str]) -> None:
    tree = os.environ.get("PATCHLENS_KERNEL_TREE")
    if not tree or not Path(tree).is_dir():
        pytest.skip("PATCHLENS_KERNEL_TREE is not set (make test-kernel "
                    "sets it)")
    codes: set[str] = set()
    for name in corpus_series:
        data = _json(["report", str(CORPUS / f"{name}.mbox"), "--tree", tree,
                      *_revision(name, "linux-6.12")], capsys)
        assert_facts_are_fields(data)
        codes |= {f["code"] for f in data["findings"]}
    assert {"bit-collision", "unhandled-enumerator", "hunk-failed"} <= codes
