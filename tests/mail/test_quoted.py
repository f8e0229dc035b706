"""Quoted diff fragments in replies: finding, matching, rebuilding."""

from __future__ import annotations

from patchlens.diff import parse_diff
from patchlens.mail.model import Message, Patch
from patchlens.mail.quoted import anchor_comments, read_quotes, rebuild_files

DIFF = """\
--- a/include/linux/w.h
+++ b/include/linux/w.h
@@ -20,7 +20,9 @@ enum w_flags {
 	W_FLAG_A		= (1 << 0),
 	W_FLAG_B		= (1 << 1),
 	/* the C flag */
 	W_FLAG_C		= (1 << 2),
+	/* new */
+	W_FLAG_D		= (1 << 3),
 };
 
 #endif
--- a/drivers/w/core.c
+++ b/drivers/w/core.c
@@ -100,4 +100,4 @@ static int w_check(struct w *w)
 {
-	if (w->flags & W_FLAG_A)
+	if (w->flags & (W_FLAG_A | W_FLAG_D))
 		return 0;
 	return -EINVAL;
"""


def _patch() -> Patch:
    msg = Message("p@x", "[PATCH 1/1] w", "Ann <a@x>", "", None, (), "", "t")
    return Patch(1, 1, 1, "w", msg, "", parse_diff(DIFF), ())


def _reply(body: str) -> Message:
    return Message("r@x", "Re: [PATCH 1/1] w", "Rev <r@x>", "", "p@x", (), body, "t")


def test_collapsed_whitespace_and_short_counts_match_patch() -> None:
    body = ("On Mon, Ann wrote:\n"
            "> --- a/include/linux/w.h\n> +++ b/include/linux/w.h\n"
            "> @@ -20,7 +20,9 @@ enum w_flags {\n"
            "> W_FLAG_C = (1 << 2),\n> + /* new */\n> + W_FLAG_D = (1 << 3),\n"
            "Why D?\n")
    (block,) = read_quotes(body)
    (frag,) = block.fragments
    assert frag.file == "include/linux/w.h" and frag.new_start == 20
    assert [k for k, _ in frag.lines] == [" ", "+", "+"]
    (c,) = anchor_comments(_reply(body), 1, _patch(), (block,))
    assert (c.file, c.new_line, c.text) == ("include/linux/w.h", 25, "Why D?")
    # without the patch: numbered from the @@ header (quote starts late)
    (c2,) = anchor_comments(_reply(body), 1, None, (block,))
    assert (c2.file, c2.new_line) == ("include/linux/w.h", 22)


def test_headerless_quote_matched_by_content() -> None:
    body = ("> +\tif (w->flags & (W_FLAG_A | W_FLAG_D))\n"
            "\nThis changes behaviour for A.\n\n"
            "> -\tfrom the commit message, not a diff line\n\nok\n")
    blocks = read_quotes(body)
    comments = anchor_comments(_reply(body), 1, _patch(), blocks)
    assert (comments[0].file, comments[0].new_line) == ("drivers/w/core.c", 101)
    assert comments[0].text == "This changes behaviour for A."
    # a "-" quote that matches nothing stays unanchored
    assert (comments[1].file, comments[1].new_line) == (None, None)


def test_removed_line_anchor_is_where_it_was() -> None:
    body = ("> @@ -100,4 +100,4 @@\n>  {\n> -\tif (w->flags & W_FLAG_A)\n"
            "\nwhy drop this?\n")
    (c,) = anchor_comments(_reply(body), 1, _patch(), read_quotes(body))
    assert (c.file, c.new_line) == ("drivers/w/core.c", 101)


def test_nested_quote_and_attribution_trimmed() -> None:
    body = ("On Tue, Rev wrote:\n> On Mon, Ann wrote:\n"
            ">> +\tW_FLAG_D\t\t= (1 << 3),\n>\n> Why D?\n\n"
            "Because C was taken.\n\nOn Wed, Someone wrote:\n> more\n\nfine.\n")
    blocks = read_quotes(body)
    assert blocks[0].text == "Because C was taken."   # no "On Wed ... wrote:"
    (c, c2) = anchor_comments(_reply(body), 1, _patch(), blocks)
    assert (c.file, c.new_line) == ("include/linux/w.h", 25)
    assert c2.file is None and c2.text == "fine."


def test_quote_without_text_after_gives_no_comment() -> None:
    body = "Thanks.\n\n> +\tW_FLAG_D\t\t= (1 << 3),\n"
    assert anchor_comments(_reply(body), 1, _patch(), read_quotes(body)) == ()


def test_rebuild_merges_and_orders() -> None:
    body = ("> --- a/x.h\n> +++ b/x.h\n> @@ -30,2 +30,3 @@\n>  b\n> +c\n\nhm\n\n"
            "> --- a/x.h\n> +++ b/x.h\n> @@ -5,2 +5,3 @@\n>  a\n> +a2\n\nhm\n\n"
            "> --- a/x.h\n> +++ b/x.h\n> @@ -30,2 +30,3 @@\n>  b\n> +c\n\nagain\n")
    frags = [f for b in read_quotes(body) for f in b.fragments]
    (fp,) = rebuild_files(frags)
    assert [h.new_start for h in fp.hunks] == [5, 30]
    assert all(h.partial for h in fp.hunks)
    assert [(l.kind, l.text, l.old_no, l.new_no) for l in fp.hunks[1].lines] == [
        (" ", "b", 30, 30), ("+", "c", None, 31)]


def test_reply_without_quotes_is_one_unanchored_comment() -> None:
    body = "Acked-by: Rev <r@x>\n\n-- \nRev\n"
    (c,) = anchor_comments(_reply(body), 1, _patch(), read_quotes(body))
    assert (c.patch_index, c.file, c.new_line) == (1, None, None)
    assert c.text == "Acked-by: Rev <r@x>"


def test_hunk_ends_at_its_counts_and_at_signature() -> None:
    body = ("> @@ -1,2 +1,2 @@\n> a\n> -b\n> +c\n> This quoted prose is not diff.\n"
            "> @@ -9 +9 @@\n> +z\n> -- \n> 2.40.1\n\nok\n")
    (block,) = read_quotes(body)
    f1, f2 = block.fragments
    assert [t for _, t in f1.lines] == ["a", "b", "c"]
    assert [t for _, t in f2.lines] == ["z"]
