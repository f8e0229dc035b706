"""The REVIEW section answers the impact questions a comment asks
(rename, invert, accept), on hand-built facts shaped like the demo and
on the demo series itself."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from patchlens.errors import InputError
from patchlens.extract.profile import load_profile
from patchlens.impact.facts import FilterPath, question_cues
from patchlens.impact.report import build_report
from patchlens.impact.review import (
    accept_answer, asked_questions, invert_answer, named_flags,
    review_notes,
)
from patchlens.mail import read_series
from patchlens.render import render
from patchlens.text import WIDTH
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series
from tests.impact_samples import demo_facts

# Jason Gunthorpe's two questions, in other words than his.
INVERT = ("I would rather see the special case of parents that only know "
          "PCI MSI-X called out as a flag of its own.")
ACCEPT = ("A parent domain could simply refuse to create a child whose bus "
          "token it does not support.")
# Thomas Gleixner's answer: about flags, but asks neither question.
TGLX = ("The flags are part of the domain creation sanity checks and being "
        "explicit about this is really required.")


def _facts():
    return replace(demo_facts(), questions=question_cues(load_profile(None)))


def test_sentences_that_ask_invert_and_accept() -> None:
    f = _facts()
    assert asked_questions(f, INVERT) == ["invert"]
    assert asked_questions(f, ACCEPT) == ["accept"]
    assert asked_questions(f, f"{INVERT} {ACCEPT}") == ["invert", "accept"]
    # Cue words in different sentences do not make a question.
    assert asked_questions(f, "Is this a flag? We could refuse it.") == []
    assert asked_questions(f, TGLX) == []
    assert asked_questions(f, "GENERIC maybe?") == []


def test_questions_come_from_the_profile() -> None:
    # Without [[question]] tables nothing is recognised.
    assert asked_questions(demo_facts(), f"{INVERT} {ACCEPT}") == []


def test_named_flags_from_words() -> None:
    f = _facts()
    assert named_flags(f, "MSI_FLAG_WIDGET_IMS", INVERT) == [
        "MSI_FLAG_PCI_MSIX"]
    assert named_flags(f, "MSI_FLAG_WIDGET_IMS", "PCI MSI only") == []


def test_invert_answer_numbers_follow_the_facts() -> None:
    f = _facts()
    a = invert_answer(f, "MSI_FLAG_WIDGET_IMS", INVERT)
    # Stop: demo_gic_msi_parent_ops, widget_ims_info; set the inverse:
    # the PCI templates and demo_arch_msi_parent_ops, two of which carry
    # MSI_FLAG_PCI_MSIX (the special case).
    assert a.counts == {"set_inverse": 3, "stop": 2, "checks": 0,
                        "flagsets": 1, "special_case": 2}
    assert a.command == "patchlens impact invert MSI_FLAG_WIDGET_IMS"
    assert a.text.startswith("invert MSI_FLAG_WIDGET_IMS: 3 instances "
                             "would set MSI_FLAG_NO_WIDGET_IMS (2 of them "
                             "carry MSI_FLAG_PCI_MSIX")
    assert a.line.endswith("(`patchlens impact invert MSI_FLAG_WIDGET_IMS`)")
    # One instance fewer -> one fewer to set the inverse.
    fewer = replace(f, instances=tuple(i for i in f.instances
                                       if i.name != "pci_msix_template"))
    b = invert_answer(fewer, "MSI_FLAG_WIDGET_IMS", INVERT)
    assert (b.counts["set_inverse"], b.counts["special_case"]) == (2, 1)


def test_accept_answer_numbers_follow_the_facts() -> None:
    f = _facts()
    a = accept_answer(f, "DOMAIN_BUS_WIDGET_IMS")
    assert a.counts == {"paths": 2, "refuse": 1, "warn": 0, "learn": 1,
                        "already": 0}
    assert a.text == ("accept: 1 of 2 parent paths filtering child bus "
                      "tokens refuse DOMAIN_BUS_WIDGET_IMS at creation; "
                      "irq-demo-msi-lib learns it in 2/4")
    assert a.line.endswith("(`patchlens impact accept DOMAIN_BUS_WIDGET_IMS`)")
    # Another parent that WARNs on unlisted tokens, in arch/x86.
    x86 = FilterPath("x86_init_dev_msi_info", "arch/x86/kernel/apic/msi.c",
                     230, "X86", frozenset({"DOMAIN_BUS_PCI_DEVICE_MSI"}),
                     "WARN, false", "switch", "reject")
    more = replace(f, filters=f.filters + (x86,),
                   base_filters=f.base_filters + (x86,))
    b = accept_answer(more, "DOMAIN_BUS_WIDGET_IMS")
    assert (b.counts["paths"], b.counts["refuse"], b.counts["warn"]) == \
        (3, 2, 1)
    assert "refuse DOMAIN_BUS_WIDGET_IMS at creation, 1 with a WARN" in b.text


def _demo_report(fixtures_dir: Path, facts=None):
    series = read_series(str(fixtures_dir / "demo" / "series.mbox"))
    tree = open_tree(str(fixtures_dir / "demo" / "tree"), None)
    return build_report(series, tree.info, apply_series(tree, series),
                        facts or _facts())


def _otto(report):
    return next(n for n in report.comments if n.author == "Otto Overseer")


def test_demo_flag_comment_gets_invert_and_accept(fixtures_dir: Path) -> None:
    note = _otto(_demo_report(fixtures_dir))
    assert note.patch == "3/4" and note.subjects == ("MSI_FLAG_WIDGET_IMS",)
    asked = {a.question: a for a in note.asked}
    assert set(asked) == {"invert", "accept"}
    assert asked["invert"].subject == "MSI_FLAG_WIDGET_IMS"
    # 3/4 adds no bus token: accept is about the token the series adds.
    assert asked["accept"].subject == "DOMAIN_BUS_WIDGET_IMS"
    assert note.answers == tuple(a.line for a in note.asked)
    # Rita's naming question is still answered, now with its command.
    rita = next(n for n in _demo_report(fixtures_dir).comments
                if n.author == "Rita Reviewer")
    assert [a.question for a in rita.asked] == ["rename"]
    assert rita.answers[0].endswith(
        "(`patchlens impact rename DOMAIN_BUS_WIDGET_IMS "
        "DOMAIN_BUS_GENERIC_MSI`)")


def test_no_cues_no_impact_answers(fixtures_dir: Path) -> None:
    note = _otto(_demo_report(fixtures_dir, demo_facts()))
    assert note.asked == ()


def test_renderers_carry_the_answers(fixtures_dir: Path) -> None:
    r = _demo_report(fixtures_dir)
    text = render(r, "text")
    review = text[text.index("\nREVIEW\n"):]
    assert "-> invert MSI_FLAG_WIDGET_IMS: 3 instances" in review
    assert "-> accept: 1 of 2 parent paths" in review
    assert all(len(line) <= WIDTH and line.isascii()
               for line in text.splitlines())
    md = render(r, "markdown")
    assert "`patchlens impact accept DOMAIN_BUS_WIDGET_IMS`" in md
    assert "`patchlens impact invert MSI_FLAG_WIDGET_IMS`" in md
    data = json.loads(render(r, "json"))
    assert data["schema"] == "patchlens-report/2"
    otto = next(c for c in data["comments"]
                if c["author"] == "Otto Overseer")
    by = {a["question"]: a for a in otto["asked"]}
    assert by["accept"]["counts"]["paths"] == 2
    assert by["invert"]["command"] == \
        "patchlens impact invert MSI_FLAG_WIDGET_IMS"
    assert otto["answers"] == [f"{a['text']} (`{a['command']}`)"
                               for a in otto["asked"]]


def test_review_notes_without_series() -> None:
    assert review_notes(None, _facts()) == ()


@pytest.mark.parametrize("table, what", [
    ("[[question]]\nask='guess'\nabout=['x']\ncues=['y']\n",
     "ask must be one of"),
    ("[[question]]\nask='accept'\nabout=[]\ncues=['y']\n",
     "needs 'about' and 'cues'"),
    ("[[question]]\nask='accept'\nabout=['x']\ncues=['y']\nhow=1\n",
     "unknown key 'how'"),
])
def test_bad_question_tables(tmp_path: Path, table: str, what: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[[family]]\nkey='a'\nprefix='A_'\n" + table)
    with pytest.raises(InputError, match=what):
        load_profile(str(path))


def test_a_comment_on_a_definition_is_placed_where_the_report_places_it(
        fixtures_dir: Path) -> None:
    """One location for one thing in one report: a comment quoting a
    flag's definition line is shown at the line the findings and the
    constants table give it (where a hunk that did not apply would land:
    Part 3 V1 27/33's MSI_FLAG_PCI_IMS at msi.h:548 on 6.12, not the
    patch's 529)."""
    f = _facts()
    flag = replace(f.final["MSI_FLAG_WIDGET_IMS"], line=61,
                   origin="patch-only: 3/4: include/linux/msi.h: nearly fits")
    moved = replace(f, states=(*f.states[:-1],
                               {**f.final, "MSI_FLAG_WIDGET_IMS": flag}))
    note = _otto(_demo_report(fixtures_dir, moved))
    assert (note.file, note.line) == ("include/linux/msi.h", 61)
    # A definition the report places in another file: the patch line.
    elsewhere = replace(flag, file="include/linux/msi_api.h")
    other = replace(f, states=(*f.states[:-1],
                               {**f.final, "MSI_FLAG_WIDGET_IMS": elsewhere}))
    assert _otto(_demo_report(fixtures_dir, other)).line == 52


def test_answers_without_a_tree_say_what_they_count() -> None:
    """No tree: the invert and accept answers count only the code of the
    files the series creates (Part 3 V1 --no-tree said "0 instances
    would set MSI_FLAG_NO_PCI_IMS ..., 0 checks flip" while 30/33-32/33
    set and test the flag in tree files)."""
    f = replace(_facts(), tree_known=False)
    for ans in (invert_answer(f, "MSI_FLAG_WIDGET_IMS"),
                accept_answer(f, "DOMAIN_BUS_WIDGET_IMS")):
        assert ans.text.endswith(
            "(no tree: counts only the files the series creates)")
    assert "no tree" not in invert_answer(_facts(), "MSI_FLAG_WIDGET_IMS").text
