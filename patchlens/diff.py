"""Diffs: the hunks of one patch, git-style or quilt-style.

Data only plus :func:`parse_diff`; parsing is done with unidiff after
the mail stage has cut the diff out of the message body (diffstat,
``-- `` signatures and tool footers removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from unidiff.patch import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError

from patchlens.errors import InputError
from patchlens.limits import MAX_HUNK_DIGITS

__all__ = ["LineKind", "HunkLine", "Hunk", "FileStatus", "FilePatch", "parse_diff"]

LineKind = Literal[" ", "+", "-"]


@dataclass(frozen=True)
class HunkLine:
    kind: LineKind
    text: str                 # without the leading kind character, no newline
    old_no: int | None        # line number in the pre-image (None for '+')
    new_no: int | None        # line number in the post-image (None for '-')


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str              # text after the second @@ (function context)
    lines: tuple[HunkLine, ...]
    # True when rebuilt from a quoted reply: counts may not match, leading
    # whitespace may be lost, context may be truncated.
    partial: bool = False

    @property
    def added(self) -> tuple[HunkLine, ...]:
        return tuple(l for l in self.lines if l.kind == "+")

    @property
    def removed(self) -> tuple[HunkLine, ...]:
        return tuple(l for l in self.lines if l.kind == "-")


class FileStatus(str, Enum):
    MODIFIED = "modified"
    ADDED = "added"
    DELETED = "deleted"
    RENAMED = "renamed"
    BINARY = "binary"


@dataclass(frozen=True)
class FilePatch:
    old_path: str | None      # None for a new file ("a/" prefix stripped)
    new_path: str | None      # None for a deleted file ("b/" prefix stripped)
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    old_id: str | None = None  # abbreviated blob ids from an "index a..b" line
    new_id: str | None = None

    @property
    def path(self) -> str:
        """The path a reviewer names: the new path unless deleted."""
        return self.new_path or self.old_path or ""

    @property
    def added_count(self) -> int:
        return sum(len(h.added) for h in self.hunks)

    @property
    def removed_count(self) -> int:
        return sum(len(h.removed) for h in self.hunks)


# --- parsing ---------------------------------------------------------------

_HUNK_RE = re.compile(r"^@@ -(\d++)(?:,(\d++))? \+(\d++)(?:,(\d++))? @@ ?(.*)$")
MAX_DIGITS = MAX_HUNK_DIGITS
_GIT_RE = re.compile(r"^diff --git (\S+) (\S+)")
_INDEX_RE = re.compile(r"^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)")
_BINARY_RE = re.compile(r"^Binary files (.+?) and (.+?) differ$")
# git extended header lines that may sit between "diff --git" and "---".
_GIT_EXTENDED = ("index ", "new file mode", "deleted file mode", "old mode",
                 "new mode", "similarity index", "dissimilarity index",
                 "rename from", "rename to", "copy from", "copy to")


def _strip_prefix(name: str) -> str | None:
    """``a/x`` -> ``x``; ``/dev/null`` -> None; drops a tab timestamp."""
    name = name.split("\t", 1)[0].strip()
    if name.startswith('"') and name.endswith('"') and len(name) > 1:
        name = name[1:-1]
    if name == "/dev/null":
        return None
    if len(name) > 2 and name[1] == "/" and name[0] in "abciow12":
        return name[2:]
    return name


def _ext_path(ext: str) -> str | None:
    """The path of a ``rename from X`` / ``copy to X`` line (None: none)."""
    parts = ext.split(" ", 2)
    return parts[2] if len(parts) == 3 and parts[2] else None


@dataclass
class _Section:
    """One file's part of the diff, as found by the pre-pass."""
    old_path: str | None = None
    new_path: str | None = None
    git: bool = False
    added_file: bool = False
    deleted_file: bool = False
    renamed: bool = False
    binary: bool = False
    old_id: str | None = None
    new_id: str | None = None
    # normalised hunk text (header with repaired counts + body lines)
    hunks: list[list[str]] = field(default_factory=list)
    repaired: list[bool] = field(default_factory=list)


def _is_file_header(lines: list[str], i: int) -> bool:
    return (lines[i].startswith("--- ") and i + 1 < len(lines)
            and lines[i + 1].startswith("+++ "))


_VERSION_RE = re.compile(r"^\d+(\.\d+)+\S*$")


def _is_signature(lines: list[str], i: int) -> bool:
    """``-- `` then a tool version (``2.42.0``) or nothing: the sender's
    signature, not a removed line reading ``- ``."""
    rest = [l for l in lines[i + 1:i + 3] if l.strip()]
    return not rest or _VERSION_RE.match(rest[0].strip()) is not None


def _read_hunk(lines: list[str], i: int, m: re.Match[str]
               ) -> tuple[list[str], int, bool]:
    """Consume one hunk starting at header line ``i``.

    Returns the hunk's normalised lines (header first, counts rewritten to
    what is really there), the next index, and whether it was truncated.
    """
    old_start, new_start = int(m.group(1)), int(m.group(3))
    old_len = 1 if m.group(2) is None else int(m.group(2))
    new_len = 1 if m.group(4) is None else int(m.group(4))
    body: list[str] = []
    old_seen = new_seen = 0
    i += 1
    n = len(lines)
    while i < n and (old_seen < old_len or new_seen < new_len):
        line = lines[i]
        c = line[:1]
        if c == "+":
            if new_seen >= new_len:
                break
            new_seen += 1
        elif c == "-":
            if old_seen >= old_len or (line == "-- " and _is_signature(lines, i)):
                break
            old_seen += 1
        elif c == " " or line == "":
            # An empty line is a context line whose space a mailer ate.
            if old_seen >= old_len or new_seen >= new_len:
                break
            old_seen += 1
            new_seen += 1
            line = " " + line[1:]
        elif c == "\\":
            pass
        else:
            break
        body.append(line)
        i += 1
    # A "\ No newline" marker may follow the last counted line.
    if i < n and lines[i].startswith("\\"):
        body.append(lines[i])
        i += 1
    truncated = old_seen != old_len or new_seen != new_len
    if truncated:
        # blank lines at the cut are the mail's, not the file's
        while body and body[-1] == " ":
            body.pop()
            old_seen -= 1
            new_seen -= 1
    header = (f"@@ -{old_start},{old_seen} +{new_start},{new_seen} @@"
              + (f" {m.group(5)}" if m.group(5) else ""))
    return [header, *body], i, truncated


def _prepass(text: str, where: str, warnings: list[str]) -> list[_Section]:
    """Split diff text into file sections, dropping everything that is not
    diff: diffstat, ``-- `` signature, tool footers, stray prose."""
    lines = text.replace("\r\n", "\n").split("\n")
    sections: list[_Section] = []
    cur: _Section | None = None
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line.startswith("diff --git "):
            cur = _Section(git=True)
            sections.append(cur)
            g = _GIT_RE.match(line)
            if g:
                cur.old_path, cur.new_path = _strip_prefix(g.group(1)), _strip_prefix(g.group(2))
            i += 1
            while i < n and lines[i].startswith(_GIT_EXTENDED):
                ext = lines[i]
                if ext.startswith("index "):
                    im = _INDEX_RE.match(ext)
                    if im:
                        cur.old_id, cur.new_id = im.group(1), im.group(2)
                elif ext.startswith("new file mode"):
                    cur.added_file = True
                elif ext.startswith("deleted file mode"):
                    cur.deleted_file = True
                elif ext.startswith(("rename from", "copy from")):
                    cur.renamed = True
                    # "rename from" with no path keeps the header's
                    cur.old_path = _ext_path(ext) or cur.old_path
                elif ext.startswith(("rename to", "copy to")):
                    cur.renamed = True
                    cur.new_path = _ext_path(ext) or cur.new_path
                i += 1
            continue
        if _is_file_header(lines, i):
            old, new = _strip_prefix(line[4:]), _strip_prefix(lines[i + 1][4:])
            # "---" right after a git header belongs to it; otherwise it
            # starts a quilt-style file.
            if cur is None or not cur.git or cur.hunks or cur.binary:
                cur = _Section()
                sections.append(cur)
            cur.git = False  # header seen: the next "---" is a new file
            cur.old_path, cur.new_path = old, new
            if old is None:
                cur.added_file = True
            if new is None:
                cur.deleted_file = True
            i += 2
            continue
        if line.startswith("@@ ") and cur is not None:
            m = _HUNK_RE.match(line)
            if m is not None and max(len(g or "") for g in m.groups()[:4]) > MAX_DIGITS:
                m = None
            if m is None:
                warnings.append(f"{where}: malformed hunk header: {line[:60]!r}")
                i += 1
                continue
            hunk, i, truncated = _read_hunk(lines, i, m)
            if truncated:
                path = cur.new_path or cur.old_path
                warnings.append(f"{where}: {path}: hunk {line[:40]!r} "
                                "is truncated (counts do not match)")
            if len(hunk) > 1:   # a bare "@@" line with no lines is nothing
                cur.hunks.append(hunk)
                cur.repaired.append(truncated)
            continue
        if cur is not None and (line.startswith("GIT binary patch")
                                or _BINARY_RE.match(line)):
            cur.binary = True
            i += 1
            # binary payload runs to the next blank-separated header
            while i < n and not lines[i].startswith(("diff --git ", "-- ")) \
                    and lines[i] != "--":
                i += 1
            continue
        if line in ("-- ", "--") and sections:
            break  # signature: what follows is the sender's tool footer
        i += 1
    return sections


def _to_file_patch(sec: _Section, pf: PatchedFile | None) -> FilePatch:
    hunks: list[Hunk] = []
    if pf is not None:
        for uh, repaired in zip(pf, sec.repaired):
            hl = tuple(HunkLine(l.line_type, l.value.rstrip("\n"),  # type: ignore[arg-type]
                                l.source_line_no, l.target_line_no)
                       for l in uh if l.line_type in "+- ")
            hunks.append(Hunk(uh.source_start, uh.source_length,
                              uh.target_start, uh.target_length,
                              uh.section_header, hl, partial=repaired))
    if sec.binary:
        status = FileStatus.BINARY
    elif sec.added_file or sec.old_path is None:
        status = FileStatus.ADDED
    elif sec.deleted_file or sec.new_path is None:
        status = FileStatus.DELETED
    elif sec.renamed or (sec.old_path != sec.new_path):
        status = FileStatus.RENAMED
    else:
        status = FileStatus.MODIFIED
    old_path = None if status is FileStatus.ADDED else sec.old_path
    new_path = None if status is FileStatus.DELETED else sec.new_path
    return FilePatch(old_path, new_path, status, tuple(hunks),
                     sec.old_id, sec.new_id)


def parse_diff(text: str, where: str = "<diff>",
               warnings: list[str] | None = None) -> tuple[FilePatch, ...]:
    """Parse the diff part of a patch into file patches.

    Accepts git-style (``diff --git``, ``index``, renames, new/deleted
    files, binary markers) and quilt-style (``---``/``+++`` only) diffs.
    Text that is not diff (diffstat, ``-- `` signature and the tool
    footer after it) is skipped.  Truncated hunks are kept with the
    counts of the lines really present and ``partial=True``; each such
    repair is appended to ``warnings`` when given.

    Raises :class:`patchlens.errors.InputError` naming ``where`` when the
    text has file headers but nothing usable can be read from them.
    """
    notes: list[str] = []
    sections = _prepass(text, where, notes)
    if warnings is not None:
        warnings.extend(notes)
    if not sections:
        return ()
    # unidiff reads the normalised hunks; metadata comes from the pre-pass.
    chunks: list[str] = []
    with_hunks = [s for s in sections if s.hunks]
    for k, sec in enumerate(with_hunks):
        chunks.append(f"--- a/f{k}\n+++ b/f{k}\n")
        for hunk in sec.hunks:
            chunks.append("\n".join(hunk) + "\n")
    try:
        patch_set = PatchSet("".join(chunks)) if chunks else []
    except (UnidiffParseError, ValueError) as exc:
        # unidiff's message may end in (or quote) a newline: one line only
        detail = " ".join(str(exc).split())[:120]
        raise InputError(where, f"malformed diff: {detail}") from None
    parsed = iter(patch_set)
    files = tuple(_to_file_patch(s, next(parsed) if s.hunks else None)
                  for s in sections)
    usable = tuple(f for f in files if f.hunks or f.status is not FileStatus.MODIFIED)
    if not usable:
        raise InputError(where, "diff has file headers but no usable hunks")
    return usable
