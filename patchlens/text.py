"""Plain text shared by every stage: ASCII, at most 72 columns,
quoting-safe tables, plurals, number ranges.

Every text the tool prints for pasting into a mail reply goes through
here, so the width rule lives in one place: a line is at most
``WIDTH`` columns, ASCII only, no tabs (a tab after ``> `` quoting
lands somewhere else).  It sits at the bottom of the layers (it imports
nothing of patchlens), so the analysis stages may word their answers
with it without reaching up into ``render``.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = ["WIDTH", "ascii_text", "wrap", "table", "fit", "site", "plural",
           "ranges", "patch_numbers", "scope"]

WIDTH = 72


def ascii_text(text: str) -> str:
    """``text`` in ASCII: accents dropped (NFKD), tabs as spaces, other
    characters as ``?`` so nothing is silently lost."""
    text = text.replace("\t", "    ")
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ord(ch) < 128:
            out.append(ch)
        elif unicodedata.combining(ch):
            continue
        else:
            out.append("?")
    return "".join(out)


def wrap(text: str, first: str = "", rest: str | None = None,
         width: int = WIDTH) -> list[str]:
    """Word-wrap ``text`` with a first-line and a continuation prefix.

    Words longer than the line (paths, long identifiers) are broken
    only when there is no other way to keep within ``width``.
    """
    rest = first if rest is None else rest
    text = ascii_text(text)
    lines = textwrap.wrap(text, width=width, initial_indent=first,
                          subsequent_indent=rest, break_on_hyphens=False,
                          break_long_words=True) or [first.rstrip()]
    return [line.rstrip() for line in lines]


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, with ``~`` marking the cut."""
    text = ascii_text(text).rstrip()
    return text if len(text) <= width else text[: max(width - 1, 0)] + "~"


def site(file: str | None, line: int | None) -> str:
    if not file:
        return "-"
    return f"{file}:{line}" if line else file


def scope(role: str, function: str | None, quote: str = "") -> str:
    """Where in the file a use is, after its ``file:line``: " f()" for a
    function, " in X" for the macro a ``compose`` use is the body of (a
    macro is no function: "GICV2M_MSI_FLAGS_REQUIRED()" misread it).
    ``quote``: markdown's backtick."""
    if not function:
        return ""
    if role == "compose" and function.upper() == function:
        return f" in {quote}{function}{quote}"
    return f" {quote}{function}(){quote}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 site``, ``2 sites`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def ranges(numbers: Iterable[int], *, shortest: int = 3) -> str:
    """Sorted numbers with their runs collapsed: ``1, 2, 3, 7`` ->
    ``1-3, 7``.  A run shorter than ``shortest`` is listed number by
    number (the report writes ``20, 21``; ``series`` with ``shortest=2``
    writes ``20-21``)."""
    out: list[str] = []
    nums = sorted(numbers)
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        if j - i + 1 >= shortest:
            out.append(f"{nums[i]}-{nums[j]}")
        else:
            out += [str(n) for n in nums[i:j + 1]]
        i = j + 1
    return ", ".join(out)


def patch_numbers(indexes: Iterable[int], total: int) -> str:
    """``16/33, 20/33``: patch numbers as a series labels them."""
    return ", ".join(f"{i}/{total}" for i in indexes)


def table(headers: Sequence[str], rows: Sequence[Sequence[str] | str],
          width: int = WIDTH, gap: int = 2,
          shrink: Sequence[int] = ()) -> list[str]:
    """A table with a dashed rule under the headers.

    A row given as a plain string is a full-width line under the row
    before it (a location, a note), indented by two columns.

    Columns take their natural width; when the total is too wide, the
    widest columns give way first and their cells wrap onto
    continuation lines (the other cells blank), so no line is ever
    longer than ``width``.
    """
    cells = [[ascii_text(str(c)) for c in headers]]
    cells += [[ascii_text(str(c)) for c in row] for row in rows
              if not isinstance(row, str)]
    ncol = len(headers)
    natural = [max(len(r[i]) for r in cells) for i in range(ncol)]
    natural = [max(n, 1) for n in natural]
    widths = list(natural)
    budget = width - gap * (ncol - 1)
    # Columns in ``shrink`` (free text) wrap before names do.
    first = [k for k in shrink if k < ncol]
    while sum(widths) > budget and first:
        i = max(first, key=lambda k: widths[k])
        if widths[i] <= 12:
            first.remove(i)
            continue
        widths[i] -= 1
    # A column keeps room for its longest path component ("msi.c:186"),
    # so a location wraps at a "/" and never in its middle, while any
    # other column can give way.
    floor = [max([len(p) for r in cells for w in r[i].split()
                  for p in _pieces(w)] + [4]) for i in range(ncol)]
    for least in (floor, [4] * ncol):
        while sum(widths) > budget:
            wide = [k for k in range(ncol) if widths[k] > least[k]]
            if not wide:
                break
            i = max(wide, key=lambda k: widths[k])
            widths[i] -= 1
    out: list[str] = []

    def emit(row: Sequence[str]) -> None:
        parts = [_cell_lines(c, widths[i]) for i, c in enumerate(row)]
        for k in range(max(len(p) for p in parts)):
            line = (" " * gap).join(
                (p[k] if k < len(p) else "").ljust(widths[i])
                for i, p in enumerate(parts))
            out.append(line.rstrip())

    emit(cells[0])
    out.append((" " * gap).join("-" * w for w in widths))
    for row in rows:
        if isinstance(row, str):
            out += wrap(row, first="  ", rest="    ", width=width)
        else:
            emit([ascii_text(str(c)) for c in row])
    return out


def _pieces(word: str) -> list[str]:
    """A word's pieces a table may break it into: after each "/" (a
    path wraps between its folders; ``file:line`` stays whole)."""
    return re.findall(r"[^/]*/|[^/]+$", word) or [word]


def _cell_lines(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width``: at spaces, else after a "/" of a
    long path, and only when a piece alone is wider than ``width``
    in its middle."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        pieces = [word] if len(word) <= width else _pieces(word)
        for j, piece in enumerate(pieces):
            sep = " " if cur and j == 0 else ""
            if len(cur) + len(sep) + len(piece) <= width:
                cur += sep + piece
                continue
            if cur:
                lines.append(cur)
            while len(piece) > width:
                lines.append(piece[:width])
                piece = piece[width:]
            cur = piece
    lines.append(cur)
    return lines
