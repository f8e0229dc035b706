"""On linux 6.12: the role of every family use against a table read by
hand (tests/extract/roles-6.12.tsv: site, name, role, a one-word
reason), and recall against grep -w.

The table was started from `patchlens refs --all` and each row was
checked by reading the site and its enclosing function; where the tool
and the reading differ the table says what the code does."""

from __future__ import annotations

import collections
import json
import subprocess
from pathlib import Path

import pytest

from patchlens.cli import main

pytestmark = pytest.mark.kernel

TABLE = Path(__file__).with_name("roles-6.12.tsv")


def _table() -> dict[tuple[str, str], tuple[str, str]]:
    rows = {}
    for line in TABLE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        site, name, role, why = line.split("\t")
        rows[(site, name)] = (role, why)
    return rows


@pytest.fixture(scope="module")
def refs_all(tmp_path_factory):
    from tests.conftest import _env_tree
    tree = _env_tree("PATCHLENS_KERNEL_TREE")
    out = tmp_path_factory.mktemp("roles") / "all.json"
    assert main(["refs", "--all", "--tree", str(tree), "--format", "json",
                 "-q", "-o", str(out)]) == 0
    return json.loads(out.read_text())


def test_the_table_is_read_by_hand_for_every_row() -> None:
    rows = _table()
    assert len(rows) >= 450
    assert all(why and " " not in why for _, why in rows.values())
    assert {r for r, _ in rows.values()} <= {
        "define", "check", "set", "clear", "match", "compose", "bound", "other"}


def test_roles_agree_with_the_hand_labelled_table(refs_all) -> None:
    rows = _table()
    families = {n for n, f in refs_all["names"].items() if f != "flagset"}
    got = {(f"{s['file']}:{s['line']}", s["name"]): s["role"]
           for s in refs_all["sites"] if s["name"] in families}
    # The same sites: none missing from the scan, none unlabelled.
    assert set(got) == set(rows)
    wrong = sorted((k, got[k], rows[k][0]) for k in rows if got[k] != rows[k][0])
    agree = 1 - len(wrong) / len(rows)
    print(f"{len(rows) - len(wrong)} of {len(rows)} roles agree "
          f"({100 * agree:.1f}%); wrong: {wrong}")
    assert agree >= 0.99, wrong


def test_the_helper_chain_is_named(refs_all) -> None:
    hits = [s for s in refs_all["sites"]
            if s["file"] == "drivers/pci/msi/irqdomain.c"
            and "pci_match_device_domain(pdev" in s["text"]]
    assert len(hits) == 4
    assert all(s["role"] == "check" and s["via"] ==
               "pci_match_device_domain -> msi_match_device_irq_domain"
               for s in hits), hits


def test_recall_every_grep_hit_is_a_site_or_a_mention(kernel_tree, refs_all) -> None:
    families = sorted(n for n, f in refs_all["names"].items() if f != "flagset")
    args = [a for n in families for a in ("-e", n)]
    res = subprocess.run(["grep", "-rnowI", "--include=*.c", "--include=*.h",
                          *args, "."], cwd=kernel_tree, capture_output=True,
                         text=True, check=False)
    grep: collections.Counter[tuple[str, int, str]] = collections.Counter()
    for line in res.stdout.splitlines():
        path, num, name = line.split(":", 2)
        grep[(path[2:], int(num), name)] += 1
    found = collections.Counter(
        (s["file"], s["line"], s["name"]) for s in refs_all["sites"]
        if s["name"] in families)
    found += collections.Counter(
        (m["file"], m["line"], m["name"]) for m in refs_all["mentions"]
        if m["kind"] in ("comment", "string") and m["name"] in families)
    assert sum(grep.values()) >= 456
    assert not grep - found, "occurrences grep finds, refs misses"
