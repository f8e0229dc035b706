"""The mail stage's data: messages, patches, replies, the chosen series.

Vocabulary follows b4: a *mailbox* holds *messages*; a *series* is one
revision of a patch set (cover letter plus numbered patches); *trailers*
are ``Name: value`` lines such as ``Reviewed-by:``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from patchlens.mail.subject import parse_subject

if TYPE_CHECKING:
    from patchlens.diff import FilePatch

__all__ = [
    "Message", "Trailer", "Patch", "Comment", "Reply", "Series",
]


@dataclass(frozen=True)
class Message:
    msgid: str                    # without angle brackets
    subject: str                  # RFC 2047 decoded, unfolded
    author: str                   # "Name <addr>"
    date: str                     # ISO 8601 when parseable, else raw header
    in_reply_to: str | None
    references: tuple[str, ...]
    body: str                     # decoded text/plain (patch attachment appended)
    source: str = ""              # file the message came from (for errors)


@dataclass(frozen=True)
class Trailer:
    name: str                     # canonical case: "Reviewed-by"
    value: str
    msgid: str                    # message that gave it (patch or a reply)
    # Why a reply's trailer is not credited to the patch ("" if it is).
    why: str = ""


@dataclass(frozen=True)
class Patch:
    revision: int
    index: int                    # 1-based; 0 never (that is the cover)
    total: int
    title: str
    message: Message
    commit_message: str           # body text before the diff, trailers included
    files: tuple[FilePatch, ...]
    trailers: tuple[Trailer, ...]  # own trailers plus those given in replies
    # The patch author: an in-body "From:" line overrides the sender.
    author: str = ""
    # Trailers in replies that are not the patch's (each with its why).
    set_aside: tuple[Trailer, ...] = ()
    # The respin mark when this patch replaced the one the series posted
    # (``[patch V4-1 01/21]``: "1"); "" otherwise.
    respin: str = ""

    @property
    def label(self) -> str:
        """``27/33`` as a reviewer writes it."""
        return f"{self.index}/{self.total}"


@dataclass(frozen=True)
class Comment:
    """A reviewer's text anchored at the lines of a patch it follows."""
    author: str
    msgid: str
    patch_index: int | None       # None when the anchor is unknown
    file: str | None
    new_line: int | None          # post-image line of the last quoted line
    quoted: tuple[str, ...]       # the quoted diff lines, "> " removed
    text: str                     # the reviewer's own words after the quote


@dataclass(frozen=True)
class Reply:
    message: Message
    parent_msgid: str | None      # the message it answers
    patch_index: int | None       # patch it is about (also for missing ones)
    comments: tuple[Comment, ...]


@dataclass(frozen=True)
class Series:
    revision: int
    revision_reason: str          # "v2: highest complete revision", ...
    revisions_seen: tuple[int, ...]
    total: int
    cover: Message | None
    patches: tuple[Patch, ...]    # present patches in index order
    missing: tuple[int, ...]      # indexes absent from the mailbox
    replies: tuple[Reply, ...]
    base_commit: str | None
    prerequisite_patch_ids: tuple[str, ...]
    change_id: str | None
    source: str                   # the input path ("-" for stdin)
    # Archive-text input with no original patch: fragments rebuilt from
    # the quote as stand-alone partial hunks (FilePatch.hunks[i].partial).
    # Empty when the patches themselves are in the mailbox.
    rebuilt: tuple[FilePatch, ...] = ()
    # rebuilt_index[i]: the patch index rebuilt[i] was quoted from (None
    # when the quote named no patch); same length as ``rebuilt``.
    rebuilt_index: tuple[int | None, ...] = ()
    # Problems in parts of the input that were skipped or repaired
    # ("<file>: <msgid>: <what>"); the rest is still analysed.
    warnings: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        if self.cover is not None:
            return self.cover.subject
        if self.patches:
            return self.patches[0].title
        # Only replies (an archive page of a review): the patch they answer.
        for reply in self.replies:
            title = parse_subject(reply.message.subject).title
            if title:
                return title
        return ""

    def patch(self, index: int) -> Patch | None:
        for p in self.patches:
            if p.index == index:
                return p
        return None
