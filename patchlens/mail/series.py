"""``read_series``: a mailbox in, the chosen :class:`Series` out.

Stages: read messages (``mailbox``) -> subject tags (``subject``) ->
revisions and replies (``thread``) -> patch bodies and diffs (``body``,
``patchlens.diff``) -> trailers (``trailers``) -> quoted fragments and
comments (``quoted``).
"""

from __future__ import annotations

from dataclasses import replace

from patchlens.diff import FilePatch, parse_diff
from patchlens.errors import InputError
from patchlens.mail.body import find_meta, has_diff, split_patch
from patchlens.mail.mailbox import read_mailbox, read_mailbox_data
from patchlens.mail.model import Message, Patch, Reply, Series, Trailer
from patchlens.mail.quoted import FlatCache, Fragment, anchor_comments, read_quotes, rebuild_files
from patchlens.mail.subject import SubjectTag, parse_subject
from patchlens.mail.thread import MAX_PATCHES, Revision, choose_revision, group_revisions, link_replies
from patchlens.mail.trailers import find_trailers, merge_trailers, reply_trailers

__all__ = ["read_series"]


def _build_patch(msg: Message, tag: SubjectTag, index: int, total: int,
                 warnings: list[str]) -> Patch:
    parts = split_patch(msg.body)
    where = f"{msg.source}: <{msg.msgid}>"
    files: tuple[FilePatch, ...] = ()
    if parts.diff_text:
        try:
            files = parse_diff(parts.diff_text, where, warnings)
        except InputError as exc:
            warnings.append(str(exc))
    if not files:
        warnings.append(f"{where}: patch {index}/{total} has no usable diff")
    return Patch(revision=tag.revision, index=index, total=total,
                 title=tag.title, message=msg,
                 commit_message=parts.commit_message, files=files,
                 trailers=merge_trailers(find_trailers(parts.commit_message,
                                                        msg.msgid)),
                 author=parts.author or msg.author, respin=tag.respin)


def _reply_only_revision(messages: list[Message],
                         tags: dict[str, SubjectTag]) -> dict[int, Revision]:
    """No patch in the input (an archive page of a reply): the revision and
    size the replies' subjects name."""
    revs: dict[int, Revision] = {}
    for msg in messages:
        tag = tags[msg.msgid]
        if tag.index is not None and tag.total and tag.total <= MAX_PATCHES:
            rev = revs.setdefault(tag.revision, Revision(tag.revision))
            rev.total = max(rev.total, tag.total)
    return revs


def _unique(messages: list[Message], warnings: list[str]) -> list[Message]:
    """First copy of each Message-ID (a thread saved twice, cross-posts)."""
    seen: set[str] = set()
    out: list[Message] = []
    dropped = 0
    for msg in messages:
        if msg.msgid in seen:
            dropped += 1
            continue
        seen.add(msg.msgid)
        out.append(msg)
    if dropped:
        warnings.append(f"{messages[0].source}: {dropped} duplicate message(s) "
                        "by Message-ID ignored")
    return out


def read_series(path: str, revision: int | None = None, *,
                data: bytes | None = None) -> Series:
    """Read the mailbox at ``path`` ('-' = stdin) and return one revision
    of the series in it, replies attached.  ``data``: the mailbox is
    already in memory (an archive's thread); ``path`` only names it.

    Raises :class:`patchlens.errors.InputError` naming the file when
    nothing usable is there (not mail, no patches and no replies to one,
    an unknown ``revision``).
    """
    warnings: list[str] = []
    where = "<stdin>" if path == "-" else path
    raw = (read_mailbox(path, warnings) if data is None
           else read_mailbox_data(data, where, warnings))
    messages = _unique(raw, warnings)
    tags = {m.msgid: parse_subject(m.subject) for m in messages}
    revs = group_revisions(messages, tags, warnings)
    reply_only = not any(r.patches for r in revs.values())
    if reply_only:
        revs = _reply_only_revision(messages, tags) or revs
        if not revs:
            raise InputError(where, f"no patches: none of {len(messages)} "
                                    "message(s) carries a diff or a patch subject")
    choice = choose_revision(revs, revision, where)
    chosen = choice.revision
    if reply_only:
        reason = (f"v{chosen.number}: no patch in the input, only replies "
                  f"naming {chosen.total} patch(es)")
    else:
        reason = choice.reason

    patches: list[Patch] = []
    for index in sorted(chosen.patches):
        msg = chosen.patches[index]
        patches.append(_build_patch(msg, tags[msg.msgid], index, chosen.total, warnings))

    other_ids = {m.msgid for n, r in revs.items() if n != chosen.number
                 for m in ([r.cover] if r.cover else []) + list(r.patches.values())}
    other_ids.update(i for n, r in revs.items() if n != chosen.number for i in r.replaced)
    links = link_replies(messages, tags, chosen, other_ids)
    by_index = {p.index: p for p in patches}
    replies: list[Reply] = []
    fragments: list[tuple[int, Fragment]] = []
    extra_trailers: dict[int, list[Trailer]] = {}
    aside_trailers: dict[int, list[Trailer]] = {}
    flat_cache: FlatCache = {}  # flattened hunks per FilePatch
    by_msgid = {m.msgid: m for m in messages}
    series_ids = {m.msgid for m in ([chosen.cover] if chosen.cover else [])
                  + list(chosen.patches.values())}
    diff_memo: dict[str, bool] = {}

    def diff_in(msg: Message) -> bool:
        got = diff_memo.get(msg.msgid)
        if got is None:
            got = diff_memo[msg.msgid] = has_diff(msg.body)
        return got

    def diff_above(parent: str | None) -> Message | None:
        """The nearest message between a reply and its patch that posts
        a diff of its own (a fix in the thread), walking In-Reply-To."""
        seen: set[str] = set()
        while parent and parent not in series_ids and parent not in seen:
            seen.add(parent)
            msg = by_msgid.get(parent)
            if msg is None:
                return None
            if diff_in(msg):
                return msg
            parent = msg.in_reply_to or (msg.references[-1]
                                         if msg.references else None)
        return None
    for link in links:
        patch = by_index.get(link.patch_index)
        blocks = read_quotes(link.message.body)
        comments = anchor_comments(link.message, link.patch_index, patch, blocks,
                                   flat_cache)
        replies.append(Reply(link.message, link.parent_msgid, link.patch_index, comments))
        if patch is None and link.patch_index:
            fragments.extend((link.patch_index, f) for b in blocks for f in b.fragments)
        if ":" in link.message.body:
            given, aside = reply_trailers(link.message, diff_in(link.message),
                                          diff_above(link.parent_msgid))
            # a trailer given to the cover letter applies to every patch
            targets = list(by_index) if link.patch_index == 0 else [link.patch_index]
            for t in targets:
                extra_trailers.setdefault(t, []).extend(given)
                aside_trailers.setdefault(t, []).extend(aside)
    if extra_trailers or aside_trailers:
        patches = [replace(p, trailers=merge_trailers(p.trailers,
                                                      extra_trailers.get(p.index, ())),
                           set_aside=merge_trailers(aside_trailers.get(p.index, ())))
                   for p in patches]

    rebuilt: list[FilePatch] = []
    rebuilt_index: list[int | None] = []
    for index in sorted({i for i, _ in fragments}):
        for fp in rebuild_files([f for i, f in fragments if i == index]):
            rebuilt.append(fp)
            rebuilt_index.append(index)

    meta_sources = ([chosen.cover.body] if chosen.cover else []) + [p.message.body for p in patches]
    base = change = None
    prereqs: list[str] = []
    for text in meta_sources:
        meta = find_meta(text)
        base = base or meta.base_commit
        change = change or meta.change_id
        prereqs.extend(x for x in meta.prerequisite_patch_ids if x not in prereqs)

    if not patches and not replies:
        raise InputError(where, f"no patches of v{chosen.number} and no replies to them")
    if patches and not any(p.files for p in patches) and not any(
            c.file for r in replies for c in r.comments):
        raise InputError(where, f"no usable diff in any of the {len(patches)} "
                                f"patch(es) of v{chosen.number}")
    return Series(
        revision=chosen.number, revision_reason=reason,
        revisions_seen=choice.seen, total=chosen.total, cover=chosen.cover,
        patches=tuple(patches), missing=chosen.missing, replies=tuple(replies),
        base_commit=base, prerequisite_patch_ids=tuple(prereqs), change_id=change,
        source=path, rebuilt=tuple(rebuilt), rebuilt_index=tuple(rebuilt_index),
        warnings=tuple(warnings),
    )
