"""Threading: which messages are the series, which revision, who replies
to what.

Patches are grouped by revision and index from their subject prefixes;
the revision chosen is the highest complete one unless the caller asks
for one (b4's ``-v``).  Replies hang off the message they answer
(In-Reply-To, then References), with the subject's ``n/m`` as fallback
when the answered message is not in the mailbox.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from patchlens.mail.body import has_diff
from patchlens.mail.model import Message
from patchlens.mail.subject import SubjectTag
from patchlens.limits import MAX_PATCHES as MAX_PATCHES

__all__ = ["Revision", "RevisionChoice", "group_revisions", "choose_revision",
           "ThreadLink", "link_replies"]


@dataclass
class Revision:
    """Everything of one revision found in the mailbox."""
    number: int
    total: int = 0
    cover: Message | None = None
    patches: dict[int, Message] = field(default_factory=dict)
    # Message-ID -> number of a patch this revision posted and then
    # replaced (by a respin or a second copy): no reply, but what answers
    # it is about that patch.
    replaced: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(i for i in range(1, self.total + 1) if i not in self.patches)


@dataclass(frozen=True)
class RevisionChoice:
    revision: Revision
    reason: str
    seen: tuple[int, ...]


def _patch_slot(msg: Message, tag: SubjectTag) -> tuple[int, int] | None:
    """(index, total) when ``msg`` is a cover or patch, else None."""
    if tag.is_reply:
        return None
    if tag.index is not None and tag.total:
        if tag.index == 0 or has_diff(msg.body):
            return tag.index, tag.total
        return None
    if has_diff(msg.body):
        return 1, 1          # a lone "[PATCH] x" (or a bare format-patch)
    return None


def _respin_order(mark: str) -> tuple[bool, int, str]:
    """How late a respin mark is: none < 1 < 2 ...; A < B ..."""
    return (mark != "", int(mark) if mark.isdigit() else -1, mark)


def group_revisions(messages: list[Message], tags: dict[str, SubjectTag],
                    warnings: list[str]) -> dict[int, Revision]:
    """Covers and patches by revision and number.  Two messages for one
    slot: a respin (``[patch V4-1 01/21]``) replaces the patch it
    respins whatever the order the mailbox holds them in, and a later
    respin an earlier one; otherwise (a RESEND, a duplicate copy) the
    later message wins."""
    revs: dict[int, Revision] = {}
    totals: dict[int, Counter[int]] = {}
    marks: dict[tuple[int, int], str] = {}
    for msg in messages:
        tag = tags[msg.msgid]
        slot = _patch_slot(msg, tag)
        if slot is None:
            continue
        index, total = slot
        if index > MAX_PATCHES or total > MAX_PATCHES:
            warnings.append(f"{msg.source}: <{msg.msgid}>: implausible patch "
                            f"number {index}/{total} (over {MAX_PATCHES}); ignored")
            continue
        rev = revs.setdefault(tag.revision, Revision(tag.revision))
        totals.setdefault(tag.revision, Counter())[total] += 1
        if index == 0:
            rev.cover = msg
            continue
        slot_key = (tag.revision, index)
        if index in rev.patches:
            have = marks[slot_key]
            where = f"{msg.source}: <{msg.msgid}>: v{tag.revision} patch {index}/{total}"
            if _respin_order(tag.respin) < _respin_order(have):
                old = rev.patches[index].msgid
                warnings.append(f"{where} is respun by <{old}> "
                                f"(v{tag.revision}-{have}); using the respin")
                rev.replaced[msg.msgid] = index
                continue
            if tag.respin and tag.respin != have:
                warnings.append(f"{where}: respin v{tag.revision}-{tag.respin} "
                                "replaces the patch; using the respin")
            else:
                # a RESEND or a duplicate copy: the later one wins
                warnings.append(f"{where} seen twice; using this one")
            rev.replaced[rev.patches[index].msgid] = index
        marks[slot_key] = tag.respin
        rev.patches[index] = msg
    for number, rev in revs.items():
        counts = totals[number]
        rev.total = max(counts)
        if len(counts) > 1:
            warnings.append(f"v{number}: patches disagree on the total "
                            f"({', '.join(map(str, sorted(counts)))}); using {rev.total}")
        rev.total = max([rev.total, *rev.patches])
    return revs


def choose_revision(revs: dict[int, Revision], wanted: int | None,
                    where: str) -> RevisionChoice:
    """The revision to analyse and a one-line reason.

    Raises :class:`InputError` when ``wanted`` is not in the mailbox.
    """
    from patchlens.errors import InputError
    seen = tuple(sorted(revs))
    if wanted is not None:
        if wanted not in revs:
            have = ", ".join(f"v{r}" for r in seen) or "none"
            raise InputError(where, f"no revision v{wanted} in the mailbox "
                                    f"(revisions seen: {have})")
        rev = revs[wanted]
        state = "complete" if not rev.missing else f"{len(rev.missing)} missing"
        return RevisionChoice(rev, f"v{wanted}: asked for with -v ({state})", seen)
    complete = [r for r in seen if not revs[r].missing and revs[r].patches]
    if complete:
        best = max(complete)
        newer = [r for r in seen if r > best]
        reason = f"v{best}: highest complete revision"
        if newer:
            reason += "; " + ", ".join(
                f"v{r} incomplete ({len(revs[r].missing)} missing)" for r in newer)
        return RevisionChoice(revs[best], reason, seen)
    best = max(seen)
    rev = revs[best]
    reason = (f"v{best}: highest revision seen; none complete "
              f"({len(rev.patches)} of {rev.total} present)")
    return RevisionChoice(rev, reason, seen)


@dataclass(frozen=True)
class ThreadLink:
    """Where a reply sits: the message it answers and the patch it is about
    (0 = the cover letter)."""
    message: Message
    parent_msgid: str | None
    patch_index: int


def link_replies(messages: list[Message], tags: dict[str, SubjectTag],
                 chosen: Revision, other_ids: set[str]) -> list[ThreadLink]:
    """Replies to ``chosen`` in mailbox order.

    ``other_ids`` are cover/patch msgids of other revisions: replies that
    lead there belong to those revisions and are left out.
    """
    anchors: dict[str, int] = {}
    if chosen.cover is not None:
        anchors[chosen.cover.msgid] = 0
    for index, msg in chosen.patches.items():
        anchors[msg.msgid] = index
    for msgid, index in chosen.replaced.items():
        anchors.setdefault(msgid, index)
    own = set(anchors)
    titles: dict[str, int] = {}
    for msgid, index in anchors.items():
        own_tag = tags.get(msgid)
        if own_tag is not None and own_tag.title:
            titles.setdefault(own_tag.title, index)
    by_id = {m.msgid: m for m in messages if m.msgid not in own and m.msgid not in other_ids}
    # msgid -> patch index (None: not about the chosen revision).  A
    # msgid present but None while its walk is on the stack is the cycle
    # guard.
    memo: dict[str, int | None] = {}

    def settled(msgid: str) -> tuple[bool, int | None]:
        """(True, answer) when known without walking further."""
        if msgid in anchors:
            return True, anchors[msgid]
        if msgid in other_ids or msgid in memo:
            return True, memo.get(msgid)
        if msgid not in by_id:
            memo[msgid] = None
            return True, None
        return False, None

    def chain(msg: Message) -> list[str]:
        return ([msg.in_reply_to] if msg.in_reply_to else []) + list(reversed(msg.references))

    def fallback(msg: Message) -> int | None:
        tag = tags[msg.msgid]
        # "Re: [patch 28/33] ..." of this revision, answered message
        # absent from the mailbox
        if (tag.is_reply and tag.index is not None and tag.revision == chosen.number
                and tag.total == chosen.total):
            return tag.index
        # last resort: "Re: <title>" with no prefix and no usable headers
        if tag.is_reply and tag.index is None and tag.title in titles:
            return titles[tag.title]
        return None

    def index_of(start: str) -> int | None:
        """The patch ``start`` is about: the first of its In-Reply-To and
        References (newest first) that leads to one, else its subject.

        Walked with a stack, not recursion: a reply chain thousands deep,
        in any mailbox order, is followed to its end.
        """
        done, answer = settled(start)
        if done:
            return answer
        memo[start] = None
        # frames: [msgid, its chain, next position in the chain]
        stack: list[tuple[str, list[str], list[int]]] = [
            (start, chain(by_id[start]), [0])]
        result: int | None = None
        returning = False
        while stack:
            msgid, refs, at = stack[-1]
            if returning:
                returning = False
                if result is not None:
                    memo[msgid] = result
                    stack.pop()
                    returning = True
                    continue
                at[0] += 1
            descended = False
            finished = False
            while at[0] < len(refs):
                ref = refs[at[0]]
                if ref in other_ids:
                    result, finished = None, True
                    break
                done, answer = settled(ref)
                if not done:
                    memo[ref] = None
                    stack.append((ref, chain(by_id[ref]), [0]))
                    descended = True
                    break
                if answer is not None:
                    result, finished = answer, True
                    break
                at[0] += 1
            if descended:
                continue
            if not finished:
                result = fallback(by_id[msgid])
            memo[msgid] = result
            stack.pop()
            returning = True
        return result

    links: list[ThreadLink] = []
    for msg in messages:
        if msg.msgid not in by_id:
            continue
        idx = index_of(msg.msgid)
        if idx is None:
            continue
        parent = msg.in_reply_to or (msg.references[-1] if msg.references else None)
        links.append(ThreadLink(msg, parent, idx))
    return links
