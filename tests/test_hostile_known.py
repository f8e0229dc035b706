"""Crashes found by the hostile suite, reported to the stage owners.

Each is a strict xfail: it fails the suite the day the bug is fixed, so
the entry in ``tests/fuzz.py`` KNOWN_BUGS gets removed with the fix.
"""

from __future__ import annotations

import pytest

from patchlens.errors import InputError
from tests.fuzz import FIXTURES


@pytest.mark.xfail(strict=True, reason="diff: parse_diff keeps unidiff's "
                   "trailing newline in the InputError (two-line CLI error)")
def test_diff_error_is_one_line() -> None:
    from patchlens.diff import parse_diff
    text = ("diff --git a/x.h b/x.h\n--- a/x.h\n+++ b/x.h\n"
            "@@ -22,6 +22,7 @@diff --git a/x.h b/x.h\n--- a/x.h\x00+++ b/x.h\n"
            "@@ -22,6 +22,7 @@")
    with pytest.raises(InputError) as info:
        parse_diff(text, "<diff>")
    assert "\n" not in str(info.value)


@pytest.mark.xfail(strict=True, reason="mail: message._date lets "
                   "OverflowError out of email.utils.parsedate_to_datetime")
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
