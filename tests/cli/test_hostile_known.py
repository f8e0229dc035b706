"""Regression tests for crashes the hostile suite found (now fixed).

A new crash goes into ``tests/fuzz.py`` KNOWN_BUGS with a strict xfail
here; when it is fixed the xfail becomes a plain test like these.
"""

from __future__ import annotations

from patchlens.errors import InputError
from tests.fuzz import FIXTURES


def test_diff_error_is_one_line() -> None:
    """A hunk header glued to the next file header: kept as a partial
    hunk, or refused with a one-line error, never two lines."""
    from patchlens.diff import parse_diff
    text = ("diff --git a/x.h b/x.h\n--- a/x.h\n+++ b/x.h\n"
            "@@ -22,6 +22,7 @@diff --git a/x.h b/x.h\n--- a/x.h\x00+++ b/x.h\n"
            "@@ -22,6 +22,7 @@")
    try:
        parse_diff(text, "<diff>")
    except InputError as exc:
        assert "\n" not in str(exc)


def test_huge_date_numbers_are_not_a_crash(tmp_path) -> None:
    from patchlens.mail import read_series
    mbox = tmp_path / "date.mbox"
    mbox.write_bytes((FIXTURES / "series.mbox").read_bytes().replace(
        b"Date: Mon, 4 Mar 2024 09:00:00 +0100",
        b"Date: Mon, 4294967296 Mar 2024 09:00:00 +0100"))
    try:
        read_series(str(mbox))
    except InputError:
        pass
