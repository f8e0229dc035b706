"""A patch message's body cut into its parts.

``git format-patch`` / quilt layout: optional in-body ``From:``/``Date:``
/``Subject:`` lines, the commit message (trailers at its end), a ``---``
line, the diffstat, the diff, then ``-- `` and the tool's version.
``base-commit:``, ``prerequisite-patch-id:`` and ``change-id:`` lines may
sit after the diff or in the cover letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PatchBody", "split_patch", "SeriesMeta", "find_meta", "has_diff"]

_INBODY_RE = re.compile(r"^(From|Date|Subject):\s*(.*)$")
_BASE_RE = re.compile(r"^base-commit:\s*([0-9a-fA-F]{7,64})\s*$", re.M)
_PREREQ_RE = re.compile(r"^prerequisite-patch-id:\s*([0-9a-fA-F]{7,64})\s*$", re.M)
_CHANGE_RE = re.compile(r"^change-id:\s*(\S+)\s*$", re.M)
_DIFF_START_RE = re.compile(r"^(?:diff --git |--- \S.*\n\+\+\+ |Index: \S)", re.M)


@dataclass(frozen=True)
class PatchBody:
    commit_message: str      # in-body headers removed, trailers kept
    diff_text: str           # from the first diff header to the end
    author: str | None       # in-body "From:" when present


@dataclass(frozen=True)
class SeriesMeta:
    base_commit: str | None
    prerequisite_patch_ids: tuple[str, ...]
    change_id: str | None


def has_diff(body: str) -> bool:
    """Whether an unquoted diff header appears in ``body``."""
    return _DIFF_START_RE.search(body) is not None


def split_patch(body: str) -> PatchBody:
    """Cut ``body`` into commit message and diff text (diffstat dropped)."""
    lines = body.split("\n")
    author = None
    # in-body header block: "From: X" etc. then a blank line
    k = 0
    while k < len(lines) and k < 4 and _INBODY_RE.match(lines[k]):
        k += 1
    if 0 < k < len(lines) and not lines[k].strip():
        for line in lines[:k]:
            m = _INBODY_RE.match(line)
            if m and m.group(1) == "From":
                author = m.group(2).strip()
        body = "\n".join(lines[k + 1:])
    m = _DIFF_START_RE.search(body)
    if m is None:
        return PatchBody(body.strip("\n"), "", author)
    head, diff = body[:m.start()], body[m.start():]
    # the commit message ends at the "---" line before the diffstat
    sep = re.search(r"^---\s*$", head, re.M)
    message = head[:sep.start()] if sep else head
    return PatchBody(message.strip("\n"), diff, author)


def find_meta(body: str) -> SeriesMeta:
    """``base-commit:`` and friends, as git format-patch writes them."""
    base = _BASE_RE.search(body)
    change = _CHANGE_RE.search(body)
    return SeriesMeta(base.group(1) if base else None,
                      tuple(_PREREQ_RE.findall(body)),
                      change.group(1) if change else None)
