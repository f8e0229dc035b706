"""Review lines say only what a reviewer said (issue 13), on synthetic
threads shaped like real LKML ones: the demo series plus replies that
post a fix diff, answer that fix with a Tested-by, report a regression
with a bisect log and a Reported-by, quote the fix and comment on it,
and give the same trailer twice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from patchlens.extract.profile import load_profile
from patchlens.impact.facts import question_cues
from patchlens.impact.report import build_report
from patchlens.impact.review import review_notes
from patchlens.mail import read_series
from patchlens.mail.quoted import pasted_blocks, split_pasted
from patchlens.render.series import as_text as render_series
from patchlens.tree import open_tree
from patchlens.tree.apply import apply_series
from tests.impact_samples import demo_facts


def _msg(msgid: str, author: str, subject: str, parent: str,
         body: str) -> str:
    return (f"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
            f"From: {author}\nSubject: {subject}\n"
            f"Date: Wed, 04 Mar 2026 10:00:00 +0000\n"
            f"Message-ID: <{msgid}>\nIn-Reply-To: <{parent}>\n"
            f"References: <demo-cover-0@example.org> <{parent}>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n"
            f"{body}\n")


RE3 = "Re: [PATCH 3/4] genirq/msi: Add MSI_FLAG_WIDGET_IMS and a secondary"
RE1 = "Re: [PATCH 1/4] genirq: Add a bus token for widget IMS domains"

# A reviewer posts a fix: a diff whose -/+ lines swap family flags.
FIX = _msg("fix@example.org", "Marta Maintainer <marta@example.org>", RE3,
           "demo-patch-3@example.org", """\
On Mon, Mar 02, 2026 at 10:03:00AM +0000, Sam Submitter wrote:
> +	/* Interrupt messages live in device memory (IMS) */
> +	MSI_FLAG_WIDGET_IMS		= (1 << 19),

This collides with the bit above. Here's a possible fix:

diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -48,6 +48,8 @@ enum {
 	MSI_FLAG_NO_MASK		= (1 << 19),
-	MSI_FLAG_WIDGET_IMS		= (1 << 19),
+	MSI_FLAG_PCI_MSIX		= (1 << 20),
+	MSI_FLAG_WIDGET_IMS		= (1 << 21),
 };
 
 /**

Signed-off-by: Marta Maintainer <marta@example.org>
""")

# Someone tests the fix: the Tested-by is the fix's, not 3/4's.
TESTED_FIX = _msg("tested-fix@example.org", "Tom Tester <tom@example.org>",
                  RE3, "fix@example.org", """\
On Wed, Mar 04, 2026, Marta Maintainer wrote:
> +	MSI_FLAG_WIDGET_IMS		= (1 << 21),

Works here, MSI_FLAG_WIDGET_IMS no longer collides.

Tested-by: Tom Tester <tom@example.org>
""")

# A regression report with a bisect log naming a flag in a commit
# subject, and the reporter's Reported-by for the fix to come.
REGRESSION = _msg("regress@example.org", "Reggie Reporter <reggie@example.org>",
                  RE3, "demo-patch-3@example.org", """\
Hi,

this patch landed in next and my board no longer boots. Bisected:

git bisect start
# status: waiting for both good and bad commits
# good: [1111111111111111111111111111111111111111] Linux 6.12
git bisect good 1111111111111111111111111111111111111111
# bad: [2222222222222222222222222222222222222222] PCI/MSI: Set MSI_FLAG_PCI_MSIX in the templates
git bisect bad 2222222222222222222222222222222222222222
# first bad commit: [3333333333333333333333333333333333333333] genirq/msi: Add MSI_FLAG_WIDGET_IMS
[    1.234567] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    1.234568] RIP: 0010:msi_domain_alloc+0x12/0x40
[    1.234569] Call Trace:

Reported-by: Reggie Reporter <reggie@example.org>
""")

# Rita gives her Reviewed-by twice (and 1/4 already carries none).
REVIEWED_A = _msg("rb-a@example.org", "Rita Reviewer <rita@example.org>",
                  RE1, "demo-patch-1@example.org",
                  "Looks fine.\n\nReviewed-by: Rita Reviewer <rita@example.org>\n")
REVIEWED_B = _msg("rb-b@example.org", "Rita Reviewer <rita@example.org>",
                  RE1, "rb-a@example.org",
                  "Again, for b4:\n\nReviewed-by: Rita Reviewer <rita@example.org>\n")


@pytest.fixture
def thread(fixtures_dir: Path, tmp_path: Path) -> Path:
    mbox = tmp_path / "thread.mbox"
    demo = (fixtures_dir / "demo" / "series.mbox").read_text()
    mbox.write_text(demo.rstrip("\n") + "\n\n" + "\n".join(
        (FIX, TESTED_FIX, REGRESSION, REVIEWED_A, REVIEWED_B)))
    return mbox


def _facts():
    return replace(demo_facts(), questions=question_cues(load_profile(None)))


def _notes(fixtures_dir: Path, mbox: Path):
    series = read_series(str(mbox))
    tree = open_tree(str(fixtures_dir / "demo" / "tree"), None)
    report = build_report(series, tree.info, apply_series(tree, series),
                          _facts())
    return series, report.comments


def test_fix_diff_in_a_reply_is_no_rename(fixtures_dir: Path,
                                          thread: Path) -> None:
    _, notes = _notes(fixtures_dir, thread)
    marta = next(n for n in notes if n.author == "Marta Maintainer")
    # About the flag she quotes from the patch, not the ones in her diff.
    assert marta.subjects == ("MSI_FLAG_WIDGET_IMS",)
    assert [a for a in marta.asked if a.question == "rename"] == []
    # The diff is cut, counted.
    assert "Here's a possible fix:" in marta.text
    assert "[... " in marta.text and " lines]" in marta.text
    assert "(1 << 21)" not in marta.text


def test_no_rename_from_any_reply_diff(fixtures_dir: Path,
                                       thread: Path) -> None:
    _, notes = _notes(fixtures_dir, thread)
    renames = [(n.author, a.text) for n in notes for a in n.asked
               if a.question == "rename"]
    # Only Rita's own words ("GENERIC maybe?") propose a name.
    assert [who for who, _ in renames] == ["Rita Reviewer"]


def test_bisect_log_names_nothing(fixtures_dir: Path, thread: Path) -> None:
    _, notes = _notes(fixtures_dir, thread)
    reggie = next(n for n in notes if n.author == "Reggie Reporter")
    # MSI_FLAG_PCI_MSIX and MSI_FLAG_WIDGET_IMS are only in commit
    # subjects inside the log: the report is about no constant.
    assert reggie.subjects == ()
    assert "Bisected:" in reggie.text
    assert "[... " in reggie.text
    assert "first bad commit" not in reggie.text
    assert "Call Trace" not in reggie.text


def test_reply_to_the_fix_is_not_about_its_quote(fixtures_dir: Path,
                                                 thread: Path) -> None:
    _, notes = _notes(fixtures_dir, thread)
    tom = next(n for n in notes if n.author == "Tom Tester")
    # He quotes the fix, not the patch; but names the flag in his words.
    assert tom.subjects == ("MSI_FLAG_WIDGET_IMS",)
    assert tom.asked == ()


def test_trailers_addressed_to_the_patch_only(thread: Path) -> None:
    series = read_series(str(thread))
    p3, p1 = series.patch(3), series.patch(1)
    assert p3 is not None and p1 is not None
    names3 = [(t.name, t.value) for t in p3.trailers]
    # The fix's Signed-off-by, its Tested-by and the regression's
    # Reported-by are not 3/4's.
    assert names3 == [("Signed-off-by", "Sam Submitter <sam@example.org>")]
    aside = {(t.name, t.msgid): t.why for t in p3.set_aside}
    assert set(aside) == {("Signed-off-by", "fix@example.org"),
                          ("Tested-by", "tested-fix@example.org"),
                          ("Reported-by", "regress@example.org")}
    assert "fix@example.org" in aside[("Tested-by", "tested-fix@example.org")]
    # Given twice, credited once, from the first message that gave it.
    rb = [t for t in p1.trailers if t.name == "Reviewed-by"]
    assert [(t.value, t.msgid) for t in rb] == [
        ("Rita Reviewer <rita@example.org>", "rb-a@example.org")]


def test_series_says_where_each_trailer_came_from(thread: Path) -> None:
    text = render_series(read_series(str(thread)))
    flat = " ".join(text.split())
    assert ("Reviewed-by: Rita Reviewer <rita@example.org> (from "
            "<rb-a@example.org>)") in flat
    assert flat.count("Reviewed-by: Rita Reviewer") == 1
    assert "not credited: Tested-by: Tom Tester <tom@example.org>" in flat
    assert "given for the diff posted in <fix@example.org>" in flat
    assert "not credited: Reported-by: Reggie Reporter" in flat


def test_pasted_shapes() -> None:
    build = ["drivers/pci/msi/msi.c:288:45: error: incomplete type",
             "  288 |   const struct msi_domain_info *info = d->host_data;",
             "      |                                          ^~",
             "cc1: some warnings being treated as errors"]
    prose = ["I think this is the wrong level.", "Please fix it,",
             "or call it GENERIC?"]
    lines = prose + build + prose
    [block] = pasted_blocks(lines)
    assert (block.start, block.end, block.kind) == (3, 7, "log")
    own, shown = split_pasted("\n".join(lines))
    assert own.split("\n") == prose + prose
    assert "[... 2 lines]" in shown
    # Short runs (one or two log-like lines) stay as written.
    assert pasted_blocks(["Call Trace: is empty here", "ok"]) == ()


def test_pasted_c_source_is_cut() -> None:
    """A reporter pastes the function they suspect (tab-indented C under
    its signature): its names are not the reporter's words."""
    text = "\n".join([
        "but the fwnode is not the host bridge's:",
        "",
        "bool msi_create_device_irq_domain()",
        "{",
        "\t...",
        "\tif (bundle->info.flags & MSI_FLAG_USE_DEV_FWNODE)",
        "                fwnode = dev->fwnode;",
        "        else",
        "                fwnode = irq_domain_alloc_named_fwnode(name);",
        "\t...",
        "}",
        "",
        "Any idea?"])
    own, shown = split_pasted(text)
    assert "MSI_FLAG_USE_DEV_FWNODE" not in own
    assert own.split("\n")[0] == "but the fwnode is not the host bridge's:"
    assert "Any idea?" in own
    assert "[... 7 lines]" in shown
