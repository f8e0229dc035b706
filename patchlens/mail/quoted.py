"""Quoted diff fragments in review replies, and the comments after them.

A reviewer quotes part of a patch with ``> `` and writes below it.  This
module finds those fragments (tolerating diff whitespace that a web
archive collapsed and ``@@`` counts that no longer match because the
quote was cut), matches each to the lines of the original patch to get
(patch, file, new-side line), and takes the reviewer's text after the
quote as a :class:`Comment`.  Without the original patch, fragments
with file and ``@@`` headers are rebuilt as stand-alone partial hunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchlens.diff import FilePatch, FileStatus, Hunk, HunkLine
from patchlens.mail.model import Comment, Message, Patch
from patchlens.limits import MAX_HUNK_DIGITS, MAX_QUOTED_COMMENT_LINES

__all__ = ["Fragment", "QuotedBlock", "FlatCache", "read_quotes",
           "anchor_comments", "rebuild_files", "Pasted", "pasted_blocks",
           "split_pasted"]

_QUOTE_RE = re.compile(r"^(>(?:[ \t]?>)*) ?")
_HUNK_RE = re.compile(r"^@@ -(\d++)(?:,(\d++))? \+(\d++)(?:,(\d++))? @@ ?(.*)$")
_MAX_DIGITS = MAX_HUNK_DIGITS
_FILE_RE = re.compile(r"^(?:\+\+\+|---) (?:[abiwco12]/)?(\S+)")
_GIT_RE = re.compile(r"^diff --git \S+ (?:[abiwco12]/)?(\S+)")
_ATTRIBUTION_RE = re.compile(r"(wrote|writes|said):\s*$")
_MAX_COMMENT_LINES = MAX_QUOTED_COMMENT_LINES


@dataclass(frozen=True)
class Fragment:
    """A run of quoted diff lines.  ``lines`` are (kind, text) with the
    kind guessed when the archive dropped the leading whitespace."""
    file: str | None
    old_start: int | None
    new_start: int | None
    section: str
    lines: tuple[tuple[str, str], ...]
    raw: tuple[str, ...]          # the quoted lines, quote marks removed


@dataclass(frozen=True)
class QuotedBlock:
    """Consecutive quoted lines, their diff fragments, and the reviewer
    text that follows them."""
    fragments: tuple[Fragment, ...]
    text: str


def _unquote(line: str) -> tuple[int, str]:
    m = _QUOTE_RE.match(line)
    if m is None:
        return 0, line
    return m.group(1).count(">"), line[m.end():]


def _classify(content: str) -> tuple[str, str]:
    c = content[:1]
    if c in ("+", "-", " "):
        return c, content[1:]
    if c == "\t":
        return " ", content   # tab-indented context whose space was lost
    return " ", content       # collapsed whitespace: context line


class _FragmentReader:
    """State machine over one quoted block's lines."""

    def __init__(self) -> None:
        self.out: list[Fragment] = []
        self.file: str | None = None
        self.hunk: tuple[int, int, str] | None = None
        self.depth = 0
        self.lines: list[tuple[str, str]] = []
        self.raw: list[str] = []
        self.pending: list[str] = []     # blank lines inside a hunk
        self.left = [0, 0]               # old/new lines the @@ still promises

    def flush(self) -> None:
        if self.lines and (self.hunk is not None
                           or any(k in "+-" for k, _ in self.lines)):
            old, new, section = self.hunk if self.hunk else (None, None, "")
            self.out.append(Fragment(self.file, old, new, section,
                                     tuple(self.lines), tuple(self.raw)))
        self.lines, self.raw, self.pending = [], [], []

    def feed(self, depth: int, content: str) -> None:
        g = _GIT_RE.match(content)
        if g:
            self.flush()
            self.file, self.hunk = g.group(1), None
            return
        f = _FILE_RE.match(content)
        if f:
            self.flush()
            if f.group(1) != "/dev/null":
                self.file = f.group(1)   # "+++" wins: it names the new path
            self.hunk = None
            return
        h = _HUNK_RE.match(content)
        if h and max(len(g or "") for g in h.groups()[:4]) > _MAX_DIGITS:
            h = None   # no file has such line numbers; int() refuses 4,300 digits
        if h:
            self.flush()
            self.hunk = (int(h.group(1)), int(h.group(3)), h.group(5))
            self.left = [int(h.group(2) or 1), int(h.group(4) or 1)]
            self.depth = depth
            return
        if self.hunk is not None and content == "-- ":
            self.flush()       # the quoted patch's signature
            self.hunk = None
            return
        if self.lines and depth != self.depth:
            self.flush()
            self.hunk = None
        if not content.strip():
            if self.lines:
                self.pending.append(content)
            return
        if self.hunk is not None and depth == self.depth:
            kind_text = _classify(content)
        elif content[:1] in "+-" and content not in ("---", "--", "-- ") \
                and not content.startswith(("+++", "---")):
            # a headerless quote of added/removed lines: only kept if it
            # matches the patch (see anchor_comments)
            if not self.lines:
                self.depth = depth
            kind_text = (content[0], content[1:])
        elif self.lines and self.hunk is None and content[:1] in (" ", "\t"):
            kind_text = (" ", content[1:] if content[0] == " " else content)
        else:
            self.flush()
            return
        for blank in self.pending:
            self.lines.append((" ", ""))
            self.raw.append(blank)
            self.left[0] -= 1
            self.left[1] -= 1
        self.pending = []
        self.lines.append(kind_text)
        self.raw.append(content)
        if self.hunk is not None:
            kind = kind_text[0]
            self.left[0] -= kind != "+"
            self.left[1] -= kind != "-"
            if self.left[0] <= 0 and self.left[1] <= 0:
                # the hunk is complete: what follows is not part of it
                self.flush()
                self.hunk = None


def _comment_text(lines: list[str]) -> str:
    body = [l.rstrip() for l in lines]
    # a signature ends the reviewer's words
    if "-- " in lines:
        body = body[:lines.index("-- ")]
    while body and not body[-1]:
        body.pop()
    # "On <date>, X wrote:" introduces the next quote, not this comment
    if body and _ATTRIBUTION_RE.search(body[-1]):
        body.pop()
    first = 0
    while first < len(body) and not body[first]:
        first += 1
    body = body[first:]
    while body and not body[-1]:
        body.pop()
    return "\n".join(body[:_MAX_COMMENT_LINES])


def read_quotes(body: str) -> tuple[QuotedBlock, ...]:
    """The quoted blocks of a reply body, each with the text after it."""
    blocks: list[QuotedBlock] = []
    reader: _FragmentReader | None = None
    text: list[str] = []
    in_quote = False

    def close() -> None:
        nonlocal reader, text
        if reader is not None:
            reader.flush()
            blocks.append(QuotedBlock(tuple(reader.out), _comment_text(text)))
        reader, text = None, []

    for line in body.split("\n"):
        depth, content = _unquote(line)
        if depth:
            if not in_quote:
                if reader is not None and any(t.strip() for t in text):
                    close()
                if reader is None:
                    reader = _FragmentReader()
                    text = []
                in_quote = True
            if reader is None:      # a quote going on after close()
                reader, text = _FragmentReader(), []
            reader.feed(depth, content)
        else:
            if in_quote and not line.strip():
                continue   # a blank line between quote and reply text
            in_quote = False
            if reader is not None:
                text.append(line)
    close()
    return tuple(blocks)


def _norm(kind: str, text: str) -> str:
    """Whitespace-free form: survives an archive collapsing indentation
    and a guessed kind for a context line."""
    return "".join(((kind if kind in "+-" else "") + text).split())


@dataclass(frozen=True)
class _Flat:
    norm: str
    kind: str
    new_pos: int | None        # new-side line (for '-': where it would be)
    hunk_new_start: int
    hunk_old_start: int


def _flatten(fp: FilePatch) -> list[_Flat]:
    out: list[_Flat] = []
    for h in fp.hunks:
        next_new = h.new_start
        for l in h.lines:
            pos = l.new_no if l.new_no is not None else next_new
            if l.new_no is not None:
                next_new = l.new_no + 1
            out.append(_Flat(_norm(l.kind, l.text), l.kind, pos,
                             h.new_start, h.old_start))
    return out


@dataclass(frozen=True)
class _Index:
    """One file patch's flattened lines, looked up by content.

    ``where``: normalised line -> positions.  ``ids``/``prefix``: each
    line as a small integer and a prefix hash over them, so whether the
    ``s`` lines before a position equal a quote's is answered in O(1)
    and the longest such ``s`` by binary search -- not by walking back
    line by line (O(N*M) for a 30,000-line quote of a 30,000-line
    patch).  ``changes``: count of +/- lines before each position.
    """
    flat: list[_Flat]
    where: dict[str, list[int]]
    ids: dict[str, int]
    prefix: list[int]
    changes: list[int]


_MOD = (1 << 61) - 1
_BASE = 1_000_003
_POW: list[int] = [1]


def _power(n: int) -> int:
    while len(_POW) <= n:
        _POW.append(_POW[-1] * _BASE % _MOD)
    return _POW[n]


def _prefix_hash(ids: list[int]) -> list[int]:
    out = [0]
    for x in ids:
        out.append((out[-1] * _BASE + x) % _MOD)
    return out


def _span(prefix: list[int], start: int, end: int) -> int:
    """Hash of items [start, end)."""
    return (prefix[end] - prefix[start] * _power(end - start)) % _MOD


_Indexed = _Index
# Flattened, indexed hunks per FilePatch (by id), shared by the replies
# of one series.
FlatCache = dict[int, _Indexed]


def _indexed(fp: FilePatch, cache: dict[int, _Indexed]) -> _Indexed:
    """The flattened hunks of ``fp`` and where each normalised line sits,
    so a quote is looked up, not scanned for."""
    got = cache.get(id(fp))
    if got is None:
        flat = _flatten(fp)
        where: dict[str, list[int]] = {}
        ids: dict[str, int] = {}
        seq: list[int] = []
        changes = [0]
        for p, entry in enumerate(flat):
            where.setdefault(entry.norm, []).append(p)
            seq.append(ids.setdefault(entry.norm, len(ids) + 1))
            changes.append(changes[-1] + (entry.kind in "+-"))
        got = cache[id(fp)] = _Index(flat, where, ids, _prefix_hash(seq), changes)
    return got


def _match(frag: Fragment, patch: Patch,
           cache: dict[int, _Indexed]) -> tuple[str, int | None] | None:
    """(file, new-side line of the fragment's last line) in ``patch``."""
    want = [_norm(k, t) for k, t in frag.lines]
    while want and not want[-1]:
        want.pop()
    if not want:
        return None
    files = [f for f in patch.files
             if frag.file is None or frag.file in (f.new_path, f.old_path)]
    if not files and frag.file is not None:
        files = list(patch.files)
    top_bonus = int(frag.new_start is not None) + int(frag.old_start is not None)
    best: tuple[int, int, str, int | None] | None = None  # score, bonus, file, line
    for drop in range(0, min(3, len(want))):
        last = len(want) - 1 - drop
        for fp in files:
            index = _indexed(fp, cache)
            flat = index.flat
            # the quote in the file's line ids (0: a line the file lacks)
            want_prefix = _prefix_hash([index.ids.get(w, 0) for w in want[:last + 1]])
            for p in index.where.get(want[last], ()):
                entry = flat[p]
                # longest s with flat[p-s+1..p] == want[last-s+1..last]
                lo, hi = 1, min(last, p) + 1
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if _span(index.prefix, p + 1 - mid, p + 1) == \
                            _span(want_prefix, last + 1 - mid, last + 1):
                        lo = mid
                    else:
                        hi = mid - 1
                score = lo
                changed = index.changes[p + 1] - index.changes[p + 1 - score] > 0
                bonus = int(frag.new_start is not None
                            and entry.hunk_new_start == frag.new_start) \
                    + int(frag.old_start is not None
                          and entry.hunk_old_start == frag.old_start)
                if frag.file is None and not changed:
                    continue   # a headerless quote must include a change
                cand = (score, bonus, fp.path, entry.new_pos)
                if best is None or cand[:2] > best[:2]:
                    best = cand
                    if score == last + 1 and bonus == top_bonus:
                        break   # nothing later can beat it
            if best is not None and best[0] == last + 1 and best[1] == top_bonus:
                break
        if best is not None:
            return best[2], best[3]
    return None


def _rebuilt_line(frag: Fragment) -> int | None:
    """New-side line of the fragment's last line, counted from its @@."""
    if frag.new_start is None:
        return None
    n = frag.new_start
    last: int | None = None
    for kind, _ in frag.lines:
        if kind == "-":
            last = n
        else:
            last = n
            n += 1
    return last


def anchor_comments(reply: Message, patch_index: int | None,
                    patch: Patch | None,
                    blocks: tuple[QuotedBlock, ...],
                    cache: dict[int, _Indexed] | None = None) -> tuple[Comment, ...]:
    """One :class:`Comment` per quoted block followed by reviewer text.

    The anchor is the block's last usable fragment: matched against
    ``patch`` when given, else numbered from the fragment's own ``@@``.
    ``cache`` keeps the flattened hunks of a patch across its replies
    (the caller must keep the patches alive while it is used).
    """
    if cache is None:
        cache = {}
    if not blocks:
        # a reply that quotes nothing (top-posted ack, a question): the
        # whole text is the comment, about the patch but no line of it
        text = _comment_text(reply.body.split("\n"))
        if not text:
            return ()
        return (Comment(author=reply.author, msgid=reply.msgid,
                        patch_index=patch_index, file=None, new_line=None,
                        quoted=(), text=text),)
    comments: list[Comment] = []
    for block in blocks:
        if not block.text:
            continue
        file: str | None = None
        line: int | None = None
        quoted: tuple[str, ...] = ()
        for frag in reversed(block.fragments):
            if patch is not None:
                hit = _match(frag, patch, cache)
                if hit is None:
                    continue
                file, line = hit
            else:
                if frag.file is None:
                    continue
                file, line = frag.file, _rebuilt_line(frag)
            quoted = frag.raw
            break
        comments.append(Comment(author=reply.author, msgid=reply.msgid,
                                patch_index=patch_index, file=file,
                                new_line=line, quoted=quoted, text=block.text))
    return tuple(comments)


def _hunk_from(frag: Fragment) -> Hunk:
    old = frag.old_start or 0
    new = frag.new_start or 0
    lines: list[HunkLine] = []
    for kind, text in frag.lines:
        if kind == "+":
            lines.append(HunkLine("+", text, None, new))
            new += 1
        elif kind == "-":
            lines.append(HunkLine("-", text, old, None))
            old += 1
        else:
            lines.append(HunkLine(" ", text, old, new))
            old += 1
            new += 1
    while lines and lines[-1].kind == " " and not lines[-1].text:
        lines.pop()
    return Hunk(frag.old_start or 0, sum(1 for l in lines if l.kind != "+"),
                frag.new_start or 0, sum(1 for l in lines if l.kind != "-"),
                frag.section, tuple(lines), partial=True)


def rebuild_files(fragments: list[Fragment]) -> tuple[FilePatch, ...]:
    """Stand-alone partial hunks, one :class:`FilePatch` per quoted file
    (files in first-quoted order, hunks by position, duplicates merged)."""
    by_file: dict[str, list[Hunk]] = {}
    seen: set[tuple[str, int, tuple[HunkLine, ...]]] = set()
    for frag in fragments:
        if frag.file is None or frag.new_start is None:
            continue
        hunk = _hunk_from(frag)
        hunks = by_file.setdefault(frag.file, [])
        key = (frag.file, hunk.new_start, hunk.lines)
        if key not in seen:
            seen.add(key)
            hunks.append(hunk)
    return tuple(FilePatch(path, path, FileStatus.MODIFIED,
                           tuple(sorted(hunks, key=lambda h: h.new_start)))
                 for path, hunks in by_file.items())


# Lines a reviewer pastes rather than writes.  One regex per shape, each
# anchored and without nested repetition (linear on any line).
_DIFF_HEAD_RE = re.compile(
    r"^(?:diff --git |index [0-9a-f]+\.\.[0-9a-f]+|--- (?:a/|/dev/null)|"
    r"\+\+\+ (?:b/|/dev/null)|@@ -\d)")
_DIFF_BODY = (" ", "+", "-", "@@", "\\", "diff ", "index ", "\t")
_LOG_RE = re.compile(
    r"^\s*+(?:"
    r"\[\s*+\d++\.\d++\]"                       # dmesg: [   12.345678]
    r"|git bisect\b|#\s?(?:good|bad|skip|status|first bad commit)\b"
    r"|\[[0-9a-f]{7,40}\] "                     # bisect: [sha] subject
    r"|[0-9a-f]{12,40} is the first bad commit"
    r"|[\w./-]+\.[chS]:\d++(?::\d++)?+: "        # gcc: file.c:12:3: error
    r"|In file included from |In function |cc1\w*: "
    r"|make(?:\[\d++\])?+: \*\*\* "
    r"|\d*+ *+\| "                               # gcc: " 288 |   code"
    r"|(?:Call Trace|RIP|RSP|RAX|Code|Hardware name|CPU|Modules linked in"
    r"|Workqueue|BUG|WARNING|Oops):"
    r"|Kernel panic - "
    r"|\?? ?\w++\+0x[0-9a-f]++/0x[0-9a-f]++"      # stack: func+0x1/0x2
    r"|(?:commit [0-9a-f]{12,40}|Author: |Date: )"   # git log
    r"|\$ \S"                                    # shell prompt
    r"|>?+ *+\d++(?:\t| {2,}|$)"                  # numbered source listing
    r"|vim \+\d"                                  # 0-day robot: vim +288 f.c
    r"|#(?:include|define|if|endif|else) "        # C source
    r"|[{}]\s*+$|\S.*[;{]\s*$"                     # C source: ...; / ... {
    r"|(?:CC|LD|AR) ++\S"                         # kbuild: "  CC  x.o"
    r"|\S.* \\$"                                 # command continued: ... \\
    r")")


@dataclass(frozen=True)
class Pasted:
    """Lines ``start`` to ``end`` (exclusive) of a comment are pasted:
    a ``diff`` (a fix or a suggestion) or a ``log`` (bisect log, build
    output, a crash, a command line, a piece of C source)."""
    start: int
    end: int
    kind: str


# C pasted in a reply: tab-indented lines and function signatures
# ("bool msi_create_device_irq_domain()").
_CODE_RE = re.compile(r"^(?:\t\S|[A-Za-z_][\w \t*]*+\([^()]*+\)\s*+$)")


def _log_line(line: str) -> bool:
    return _LOG_RE.match(line) is not None or _CODE_RE.match(line) is not None


def _diff_line(line: str) -> bool:
    return line.startswith(_DIFF_BODY) or _DIFF_HEAD_RE.match(line) is not None


def pasted_blocks(lines: list[str], least: int = 3) -> tuple[Pasted, ...]:
    """The pasted runs of ``lines``, each at least ``least`` lines long.

    A diff starts at a diff header (``diff --git``, ``--- a/``, ``@@``)
    and runs while lines are diff lines (a blank line inside it too, when
    a diff line follows).  A log is a run of log-shaped lines; one
    other line between two of them (a wrapped message) stays in it."""
    out: list[Pasted] = []
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if _DIFF_HEAD_RE.match(line):
            j = i + 1
            while j < n and (_diff_line(lines[j]) or (
                    not lines[j].strip() and j + 1 < n
                    and lines[j + 1][:1] in (" ", "+", "-", "@"))):
                j += 1
            if j - i >= least:
                out.append(Pasted(i, j, "diff"))
            i = max(j, i + 1)
            continue
        if _log_line(line):
            j = i + 1
            while j < n:
                if _log_line(lines[j]):
                    j += 1
                elif lines[j].strip() and j + 1 < n \
                        and _log_line(lines[j + 1]):
                    j += 2
                else:
                    break
            if j - i >= least:
                out.append(Pasted(i, j, "log"))
            i = j
            continue
        i += 1
    return tuple(out)


def split_pasted(text: str, keep: int = 2) -> tuple[str, str]:
    """(the reviewer's own words, the text with every pasted run cut to
    its first ``keep`` lines and ``[... N lines]``).  The first is what
    a comment *says* (names in it are what it is about); the second is
    what a report shows."""
    lines = text.split("\n")
    own: list[str] = []
    shown: list[str] = []
    at = 0
    for block in pasted_blocks(lines):
        own += lines[at:block.start]
        shown += lines[at:block.start]
        length = block.end - block.start
        if length > keep + 1:
            shown += lines[block.start:block.start + keep]
            shown.append(f"[... {length - keep} lines]")
        else:
            shown += lines[block.start:block.end]
        at = block.end
    own += lines[at:]
    shown += lines[at:]
    return "\n".join(own), "\n".join(shown)
