"""Read a public-inbox list archive: its messages, and the threads of
the ones that matter, without checking anything out.

A public-inbox archive is a git repository (or, for a large list, one
per epoch: ``git/0.git``, ``git/1.git``, ...) where each commit adds one
message as the blob ``m`` (a commit whose tree has ``d`` instead
deletes one).  The commits are a single line in the order the list
archived its mail; the author date is the message's ``Date:``.

Most messages of a list never touch the families a profile knows, so a
message is parsed only when it has to be: every blob is searched for
the profile's literals (bytes; only a message naming a base64 or
quoted-printable transfer encoding has those parts decoded, since they
can hide a literal), and its threading headers
(Message-ID, In-Reply-To, References) are read with a byte scan of the
header block.  The threads holding a literal are then written as an
mbox in memory for :func:`patchlens.mail.series.read_series`, the same
thread model a mailbox on disk gets.
"""

from __future__ import annotations

import binascii
import bisect
import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from patchlens.errors import InputError
from patchlens.limits import MAX_ENCODED_PARTS

if TYPE_CHECKING:   # loaded when there is something to read: an unchanged
    import pygit2   # archive is answered from its refs and the cache
    from concurrent.futures import Future

__all__ = ["Epoch", "ArchiveMessage", "Walk", "ArchiveRead", "Entry", "MessageFields",
           "Submit", "MBOX_SEPARATOR", "open_archive", "walk_epoch", "read_head",
           "has_commit", "header_links", "scan_entries", "encoded_parts",
           "read_archive", "thread_roots", "thread_groups", "grown_threads",
           "thread_mbox", "thread_mboxes"]

MBOX_SEPARATOR = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
# An archive whose first commits carry no message blob is not one: after
# this many, the rest of that repository is not walked.
NOT_ARCHIVE_AFTER = 50

_LINK_RE = re.compile(rb"^(message-id|in-reply-to|references):([^\n]*+(?:\n[ \t][^\n]*+)*+)",
                      re.IGNORECASE | re.MULTILINE)
_ID_RE = re.compile(rb"<([^<>\s]++)>")
_FROM_RE = re.compile(rb"^(>*+From )", re.MULTILINE)
_MAIL_HEADER_RE = re.compile(rb"^(from|message-id|subject|date):", re.IGNORECASE | re.MULTILINE)
# Run on the lowered blob: a header line naming an encoding that can
# hide a literal from the byte search, and the blank line ending that
# part's header.
_ENCODED_RE = re.compile(rb"^content-transfer-encoding[ \t]*+:[ \t]*+(base64|quoted-printable)",
                         re.MULTILINE)
_BLANK_RE = re.compile(rb"\r?\n\r?\n")
# A multipart boundary parameter (its value read from the raw bytes at
# the same place: boundaries are case-sensitive).
_BOUNDARY_RE = re.compile(rb"boundary[ \t]*+=[ \t]*+\"?+([^\";\s]++)")


@dataclass(frozen=True)
class Epoch:
    """One git repository of an archive: ``name`` for messages (the
    path given, plus the epoch's folder when there are several)."""
    path: str                 # the git directory
    name: str


@dataclass(frozen=True)
class ArchiveMessage:
    """What the byte scan learnt of one message (nothing parsed).  Sent
    between processes and kept in the cache as :data:`MessageFields`
    (a plain tuple pickles five times faster)."""
    commit: str
    blob: str
    when: int                 # the message's date (commit author time, UTC seconds)
    msgid: str
    parents: tuple[str, ...]  # In-Reply-To, then References (nearest first)
    hit: bool                 # the blob holds one of the literals
    epoch: str = ""


# ArchiveMessage's fields, in order.
MessageFields = tuple[str, str, int, str, tuple[str, ...], bool, str]

# One commit of a listing: (commit id, its tree id, author time).
Entry = tuple[str, str, int]


@dataclass
class Walk:
    """The message commits one walk of one epoch saw, newest first."""
    epoch: Epoch
    head: str | None                        # the newest commit (None: empty)
    entries: list[Entry] = field(default_factory=list)
    walked: int = 0                         # commits looked at
    handed: int = 0                         # entries given to ``on_chunk``
    skipped: int = 0                        # deletions, commits outside the window
    warnings: list[str] = field(default_factory=list)


def _is_git_dir(path: str) -> bool:
    return (os.path.isfile(os.path.join(path, "HEAD"))
            and os.path.isdir(os.path.join(path, "objects")))


def _epoch_dirs(path: str) -> list[str]:
    """``N.git`` folders of a public-inbox v2 archive, in epoch order."""
    for base in (os.path.join(path, "git"), path):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        found = sorted((int(n[:-4]), os.path.join(base, n)) for n in names
                       if n.endswith(".git") and n[:-4].isdigit()
                       and _is_git_dir(os.path.join(base, n)))
        if found:
            return [p for _, p in found]
    return []


def open_archive(path: str) -> list[Epoch]:
    """The git repositories of the archive at ``path``: a bare repository,
    a clone with a work tree (``.git``), or a v2 archive folder of
    epochs (``git/0.git``, ``git/1.git``, or the ``N.git`` folders
    themselves).

    Raises :class:`InputError` when ``path`` is none of these.
    """
    if not os.path.exists(path):
        raise InputError(path, "no such archive")
    if not os.path.isdir(path):
        raise InputError(path, "is not a directory (a public-inbox archive "
                               "is a git repository)")
    if _is_git_dir(path):
        return [Epoch(path, path)]
    dot_git = os.path.join(path, ".git")
    if _is_git_dir(dot_git):
        return [Epoch(dot_git, path)]
    epochs = _epoch_dirs(path)
    if epochs:
        return [Epoch(p, p if len(epochs) > 1 else path) for p in epochs]
    raise InputError(path, "is not a git repository nor a public-inbox "
                           "archive (no HEAD and objects/, no .git, no N.git epochs)")


def read_head(git_dir: str) -> str | None:
    """The commit HEAD names, read from the files (``HEAD``, the loose
    ref, ``packed-refs``) without opening the repository; None when
    that does not say (the walk then asks git)."""
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as fh:
            head = fh.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not head.startswith("ref: "):
        return head if re.fullmatch(r"[0-9a-f]{40}", head) else None
    ref = head[5:].strip()
    try:
        with open(os.path.join(git_dir, ref), encoding="utf-8") as fh:
            value = fh.read().strip()
        return value if re.fullmatch(r"[0-9a-f]{40}", value) else None
    except (OSError, UnicodeDecodeError):
        pass
    try:
        with open(os.path.join(git_dir, "packed-refs"), encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and len(parts[0]) == 40:
                    return parts[0]
    except (OSError, UnicodeDecodeError):
        pass
    return None


def has_commit(epoch: Epoch, rev: str) -> bool:
    """Whether ``rev`` names a commit of ``epoch``'s repository."""
    import pygit2
    try:
        obj = pygit2.Repository(epoch.path).revparse_single(rev)
    except (KeyError, ValueError, pygit2.GitError):
        return False
    return isinstance(obj, pygit2.Commit)


def header_links(data: bytes) -> tuple[str | None, tuple[str, ...], bool]:
    """(Message-ID, In-Reply-To + References nearest first, looks like
    mail) from the header block of a raw message, by a byte scan."""
    end = data.find(b"\n\n")
    if end < 0:
        end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[:end]
    if len(head) > 256 * 1024:          # no real header block is this long
        head = head[:256 * 1024]
    msgid: str | None = None
    reply: list[str] = []
    refs: list[str] = []
    for m in _LINK_RE.finditer(head):
        name = m.group(1).lower()
        ids = [i.decode("utf-8", "replace") for i in _ID_RE.findall(m.group(2))]
        if name == b"message-id":
            if msgid is None and ids:
                msgid = ids[0]
        elif name == b"in-reply-to":
            reply.extend(ids[:1])
        else:
            refs.extend(ids)
    parents = tuple(dict.fromkeys(reply + refs[::-1]))
    return msgid, parents, _MAIL_HEADER_RE.search(head) is not None


def _has_literal(data: bytes, literals: Sequence[bytes]) -> bool:
    """Whether the message holds a literal: in its raw bytes (nearly
    every message is answered here), else in a part whose transfer
    encoding hides it -- base64, or quoted-printable whose ``=`` soft
    line breaks and ``=XX`` escapes can split or spell a literal."""
    for lit in literals:
        if lit in data:
            return True
    # Lowering the bytes (one pass, same length) and two plain finds cost
    # less than one case-insensitive regex over every blob.
    low = data.lower()
    if b"base64" not in low and b"quoted-printable" not in low:
        return False
    for text in encoded_parts(data, low):
        for lit in literals:
            if lit in text:
                return True
    return False


def encoded_parts(data: bytes, low: bytes | None = None) -> list[bytes]:
    """The decoded bodies of the parts of a raw message (the message
    itself, or MIME parts) whose Content-Transfer-Encoding is base64 or
    quoted-printable.  A byte-level reading for the literal search, not
    a MIME parser: a part's body runs from the blank line after its
    header to the next line starting with ``--`` and one of the
    message's boundaries, or to the end; what does not decode is
    skipped.  ``low``: ``data.lower()`` when known."""
    if low is None:
        low = data.lower()
    # Where the boundary lines are: one pass per distinct boundary (a
    # few), then each part's end is a bisection.
    marks = dict.fromkeys(b"\n--" + data[m.start(1):m.end(1)] for m in
                          itertools.islice(_BOUNDARY_RE.finditer(low), MAX_ENCODED_PARTS))
    lines: list[int] = []
    for mark in itertools.islice(marks, 8):
        at = data.find(mark)
        while at >= 0:
            lines.append(at)
            at = data.find(mark, at + len(mark))
    lines.sort()
    out: list[bytes] = []
    start: re.Match[bytes] | None = None
    found = list(itertools.islice(_ENCODED_RE.finditer(low), MAX_ENCODED_PARTS + 1))
    for n, m in enumerate(found[:MAX_ENCODED_PARTS]):
        if start is None or start.start() < m.end():
            # headers in a row share their blank line: searched once
            start = _BLANK_RE.search(low, m.end())
            if start is None:       # none after this one either
                break
        i = bisect.bisect_left(lines, start.end())
        # a part also ends where the next encoded part's header starts:
        # the parts never overlap, so decoding is linear
        end = min(lines[i] if i < len(lines) else len(data),
                  found[n + 1].start() if n + 1 < len(found) else len(data))
        if end <= start.end():
            continue
        body = data[start.end():end].rstrip(b"\r")   # the CR of a boundary's CRLF
        try:
            if m.group(1) == b"base64":
                out.append(binascii.a2b_base64(body))
            else:
                out.append(binascii.a2b_qp(body.replace(b"\r\n", b"\n")))
        except (binascii.Error, ValueError):
            continue
    return out


def walk_epoch(epoch: Epoch, *, since: int | None = None,
               until: int | None = None, after: str | None = None,
               on_chunk: Callable[[list[Entry]], None] | None = None,
               chunk: int = 8192) -> Walk:
    """The message commits of ``epoch`` newer than commit ``after`` (all
    when None), newest first, within [since, until] (commit times, UTC
    seconds: the order the list archived them; the walk stops at the
    first commit older than ``since``).  ``Walk.entries`` are read by
    :func:`scan_entries` (in several processes when there are many);
    ``on_chunk`` is given each ``chunk`` entries as soon as they are
    walked (their reading starts while the walk goes on).

    A commit without a message or a missing object is a warning naming
    the commit; the walk goes on.
    """
    import pygit2
    try:
        repo = pygit2.Repository(epoch.path)
    except (pygit2.GitError, KeyError, ValueError) as exc:
        raise InputError(epoch.name, f"cannot open the git repository: {exc}") from None
    try:
        head = repo.head.target
    except (pygit2.GitError, KeyError):
        return Walk(epoch, None)          # an empty archive: nothing yet
    out = Walk(epoch, str(head))
    stop = None
    if after:
        try:
            stop = repo.revparse_single(after).id
        except (KeyError, ValueError, pygit2.GitError):
            raise InputError(epoch.name, f"--after {after}: no such commit") from None
    walker = repo.walk(head, pygit2.enums.SortMode.NONE)
    walker.simplify_first_parent()
    if stop is not None:
        walker.hide(stop)
    no_message = 0
    seen_message = False
    handed = 0
    try:
        for commit in walker:
            ctime = commit.commit_time
            if since is not None and ctime < since:
                break
            out.walked += 1
            if until is not None and ctime > until:
                out.skipped += 1
                continue
            cid = str(commit.id)
            if not seen_message:
                # until the first message: is this an archive at all?
                try:
                    tree = commit.tree
                    seen_message = "m" in tree or "d" in tree
                except (KeyError, pygit2.GitError, ValueError) as exc:
                    out.warnings.append(f"{epoch.name}: commit {cid[:12]}: "
                                        f"missing object ({exc})")
                    continue
                if not seen_message:
                    no_message += 1
                    out.warnings.append(f"{epoch.name}: commit {cid[:12]}: "
                                        "no message blob 'm'")
                    if no_message >= NOT_ARCHIVE_AFTER:
                        out.warnings[:] = [   # one line, not one per commit
                            f"{epoch.name}: {no_message} commits and no message "
                            "blob 'm': not a public-inbox archive; the rest is skipped"]
                        break
                    continue
            # the tree is read with the blob, in the reading processes
            out.entries.append((cid, str(commit.tree_id), commit.author.time))
            if on_chunk is not None and len(out.entries) - handed >= chunk:
                on_chunk(out.entries[handed:])
                handed = len(out.entries)
    except pygit2.GitError as exc:       # a missing commit: history ends there
        out.warnings.append(f"{epoch.name}: history broken after {out.walked} "
                            f"commit(s): {exc}")
    out.handed = handed
    if len(out.warnings) > 20:
        more = len(out.warnings) - 20
        out.warnings[20:] = [f"{epoch.name}: {more} more warning(s)"]
    return out


def scan_entries(epoch: Epoch, entries: Sequence[Entry],
                 literals: Sequence[bytes]) -> tuple[list[MessageFields], list[str]]:
    """Read each entry's message blob ('m' in its tree): its threading
    headers and whether it holds a literal (a byte search; base64 and
    quoted-printable parts decoded first, :func:`encoded_parts`).  A commit without a message, a missing object or a blob
    that is not mail is a warning naming the commit."""
    import pygit2
    repo = pygit2.Repository(epoch.path)
    odb = repo.odb
    out: list[MessageFields] = []
    warnings: list[str] = []
    for cid, tree_id, when in entries:
        where = f"{epoch.name}: commit {cid[:12]}"
        try:
            tree = repo[tree_id]
            if not isinstance(tree, pygit2.Tree):
                raise ValueError(f"{tree_id[:12]} is not a tree")
            if "m" not in tree:
                if "d" not in tree:     # a deletion ('d') is no message
                    warnings.append(f"{where}: no message blob 'm'")
                continue
            blob = str(tree["m"].id)
            _kind, data = odb.read(blob)
        except (KeyError, pygit2.GitError, ValueError) as exc:
            warnings.append(f"{where}: missing object ({exc})")
            continue
        msgid, parents, mail = header_links(data)
        if not mail or b"\0" in data[:4096]:
            warnings.append(f"{where}: blob 'm' is not mail")
            continue
        out.append((cid, blob, when, msgid or f"{cid}@archive",
                    parents, _has_literal(data, literals), epoch.name))
    return out, warnings


def thread_roots(messages: Iterable[ArchiveMessage]) -> dict[str, str]:
    """Message-ID -> the Message-ID of its thread's root: the first of its
    References (what a mail client names the thread by), followed up
    while that message is in the archive and has a parent itself (a
    reply with only In-Reply-To walks up one message at a time).
    Replies to two threads do not merge them: each message has one root."""
    by_id = {m.msgid: m for m in messages}
    roots: dict[str, str] = {}
    for start in by_id:
        path: list[str] = []
        seen: set[str] = set()
        x = start
        while x not in roots:
            m = by_id.get(x)
            if m is None or not m.parents or x in seen:
                roots[x] = x
                break
            seen.add(x)
            path.append(x)
            x = m.parents[-1]
        root = roots[x]
        for p in path:
            roots[p] = root
    return roots


def thread_groups(messages: Iterable[ArchiveMessage]
                  ) -> list[tuple[str, list[ArchiveMessage]]]:
    """The threads (root Message-ID, messages: :func:`thread_roots`)
    holding a message with a literal, each oldest first; newest thread
    first.  Only headers are
    read: no message is parsed."""
    msgs = list(messages)
    roots = thread_roots(msgs)
    hit_roots = {roots[m.msgid] for m in msgs if m.hit}
    groups: dict[str, list[ArchiveMessage]] = {}
    for m in msgs:
        r = roots[m.msgid]
        if r in hit_roots:
            groups.setdefault(r, []).append(m)
    out = [(r, sorted(g, key=lambda m: m.when)) for r, g in groups.items()]
    out.sort(key=lambda rg: -max(m.when for m in rg[1]))
    return out


def thread_mbox(repos: dict[str, pygit2.Repository],
                thread: Sequence[ArchiveMessage]) -> bytes:
    """The thread's raw messages as an mboxrd in memory (one copy of
    each Message-ID), for the mail stage.  ``repos``: epoch git
    directory by epoch name."""
    parts: list[bytes] = []
    seen: set[str] = set()
    for m in thread:
        if m.msgid in seen:
            continue
        seen.add(m.msgid)
        _kind, data = repos[m.epoch].odb.read(m.blob)
        parts.append(MBOX_SEPARATOR)
        parts.append(_FROM_RE.sub(rb">\1", data.replace(b"\r\n", b"\n")))
        if not data.endswith(b"\n"):
            parts.append(b"\n")
        parts.append(b"\n")
    return b"".join(parts)


# Hands one chunk of entries to another process; returns its pending
# answer (a concurrent.futures Future of :func:`scan_entries`).
Submit = Callable[[Epoch, list[Entry]],
                  "Future[tuple[list[MessageFields], list[str]]]"]


@dataclass
class ArchiveRead:
    """What one walk of an archive's epochs read: the new messages'
    threading fields, the newest commit of each epoch, warnings."""
    heads: dict[str, str]                   # epoch git dir -> newest commit
    walked: int                             # message commits walked
    fields: list[MessageFields]
    warnings: list[str]
    restarted: bool = False                 # a remembered commit was gone:
                                            # the whole archive was walked


def _walk_handing(epoch: Epoch, since: int | None, until: int | None,
                  after: str | None, literals: Sequence[bytes],
                  submit: Submit | None, chunk: int,
                  reading: list[Future[tuple[list[MessageFields], list[str]]]]) -> Walk:
    """Walk ``epoch``; with ``submit``, a large walk hands its entries to
    other processes in chunks while it goes on (reading overlaps
    walking), the rest too."""
    def hand(entries: list[Entry]) -> None:
        assert submit is not None
        reading.append(submit(epoch, entries))

    walk = walk_epoch(epoch, since=since, until=until, after=after,
                      on_chunk=hand if submit is not None else None, chunk=chunk)
    if walk.handed and walk.handed < len(walk.entries):
        hand(walk.entries[walk.handed:])
        walk.handed = len(walk.entries)
    return walk


def read_archive(path: str, epochs: Sequence[Epoch], literals: Sequence[bytes], *,
                 since: int | None = None, until: int | None = None,
                 after: str | None = None, last_heads: dict[str, str] | None = None,
                 submit: Submit | None = None, chunk: int = 8192) -> ArchiveRead:
    """Walk the archive at ``path`` (its ``epochs``) and read every new
    message's threading headers and literal hit: newer than commit
    ``after`` (given by the user: the epochs before the one holding it
    are older and skipped), or than each epoch's commit in
    ``last_heads`` (the last run's; when one is gone -- a rewritten
    archive -- the whole archive is walked again, with a warning), in
    the [since, until] window.  A walk of more than ``chunk`` commits is
    read by ``submit``'s processes while it goes on.

    Raises :class:`InputError` when no epoch holds ``after``.
    """
    last_heads = last_heads or {}
    first = 0
    if after:
        holders = [i for i, e in enumerate(epochs) if has_commit(e, after)]
        if not holders:
            raise InputError(path, f"--after {after}: no such commit")
        first = holders[0]
    walks: list[Walk] = []
    reading: list[Future[tuple[list[MessageFields], list[str]]]] = []
    warnings: list[str] = []
    restarted = False
    for i, epoch in enumerate(epochs[first:], start=first):
        since_commit = (after if i == first else None) if after \
            else last_heads.get(epoch.path)
        try:
            walks.append(_walk_handing(epoch, since, until, since_commit, literals,
                                       submit, chunk, reading))
        except InputError as exc:
            warnings.append(f"{exc}; scanning the whole archive again")
            for f in reading:
                f.cancel()
            reading = []
            walks = [_walk_handing(e, since, until, None, literals, submit, chunk, reading)
                     for e in epochs]
            restarted = True
            break
    fields: list[MessageFields] = []
    for walk in walks:
        warnings.extend(walk.warnings)
    for walk in walks:
        if walk.handed < len(walk.entries):     # a small walk: read here
            got, read_warns = scan_entries(walk.epoch, walk.entries[walk.handed:],
                                           literals)
            fields.extend(got)
            warnings.extend(read_warns)
    for fut in reading:
        got, read_warns = fut.result()
        fields.extend(got)
        warnings.extend(read_warns)
    return ArchiveRead({w.epoch.path: w.head for w in walks if w.head},
                       sum(len(w.entries) for w in walks), fields, warnings, restarted)


def grown_threads(known: Iterable[ArchiveMessage], new: Sequence[ArchiveMessage]
                  ) -> list[tuple[str, list[ArchiveMessage]]]:
    """The threads (:func:`thread_groups`) holding a literal that ``new``
    messages joined, over the ``known`` messages of earlier runs and
    the new ones (a new message replaces a known one of its
    Message-ID)."""
    new_ids = {m.msgid for m in new}
    everything = [m for m in known if m.msgid not in new_ids] + list(new)
    return [(r, g) for r, g in thread_groups(everything)
            if any(m.msgid in new_ids for m in g)]


def thread_mboxes(epochs: Sequence[Epoch],
                  groups: Sequence[tuple[str, Sequence[ArchiveMessage]]]
                  ) -> list[tuple[str, bytes]]:
    """Each thread's root and its messages as an mbox in memory
    (:func:`thread_mbox`), read from the epochs' objects."""
    if not groups:
        return []
    import pygit2
    repos = {e.name: pygit2.Repository(e.path) for e in epochs}
    return [(root, thread_mbox(repos, g)) for root, g in groups]
