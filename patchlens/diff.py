"""Diffs: the hunks of one patch, git-style or quilt-style.

Data only plus :func:`parse_diff`; parsing is done with unidiff after
the mail stage has cut the diff out of the message body (diffstat,
``-- `` signatures and tool footers removed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

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


def parse_diff(text: str, where: str = "<diff>") -> tuple[FilePatch, ...]:
    """Parse the diff part of a patch into file patches.

    Raises :class:`patchlens.errors.InputError` naming ``where`` when the
    hunks are malformed beyond use.
    """
    raise NotImplementedError  # mail/diff helper implements this
