"""``patchlens series``: the series in a mailbox, as a reviewer wants to
see it before anything else: which revision and why, base, cover, each
patch with files and trailers, what is missing, and the replies with
where their comments point."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from patchlens.mail.model import Series
from patchlens.mail.subject import parse_subject
from patchlens.text import WIDTH, ascii_text, ranges, wrap
from patchlens.render import schema

__all__ = ["as_text", "as_json"]

_COMMENT_LINES = 3


def _ranges(indexes: tuple[int, ...], total: int) -> str:
    """(16, 20, 21, 28, 33) of 33 -> "16, 20-21, 28, 33 (of 33)"."""
    return f"{ranges(indexes, shortest=2)} (of {total})"


def _anchor(s: Series, patch_index: int | None, file: str | None,
            line: int | None) -> str:
    where = "cover" if patch_index == 0 else (
        f"{patch_index}/{s.total}" if patch_index else "?")
    if patch_index and s.patch(patch_index) is None:
        where += " (missing)"
    if file:
        where += f" {file}" + (f":{line}" if line else "")
    return where


def as_text(s: Series) -> str:
    """The series as a reviewer reads it first (72 columns, ASCII)."""
    out: list[str] = []
    title = s.title
    if not title and s.replies:
        # archive text of a reply: the series is known by its subject only
        title = parse_subject(s.replies[0].message.subject).title
    out += wrap(f"series: {title or '(no title)'}", "", "  ")
    out += wrap(f"revision: {s.revision_reason}", "", "  ")
    if len(s.revisions_seen) > 1:
        out.append("revisions seen: " + ", ".join(f"v{r}" for r in s.revisions_seen))
    out.append(f"base-commit: {s.base_commit or 'not given'}")
    if s.prerequisite_patch_ids:
        out += wrap("prerequisite-patch-id: " + ", ".join(s.prerequisite_patch_ids), "", "  ")
    if s.change_id:
        out.append(f"change-id: {ascii_text(s.change_id)}"[:WIDTH])
    out += wrap(f"cover: {s.cover.subject if s.cover else 'none'}", "", "  ")
    out.append(f"patches: {len(s.patches)} of {s.total} present")
    if s.missing:
        out += wrap("missing: " + _ranges(s.missing, s.total), "", "  ")
    for p in s.patches:
        out.append("")
        out += wrap(f"[{p.label}] {p.title}", "", "    ")
        out += wrap(f"author: {p.author}", "    ", "      ")
        if p.respin:
            out.append(f"    respin: v{p.revision}-{p.respin} (replaces the patch "
                       "first posted)"[:WIDTH])
        for f in p.files:
            stat = f"+{f.added_count}/-{f.removed_count}"
            status = "" if f.status.value == "modified" else f" ({f.status.value})"
            out += wrap(f"{f.path}{status} {stat}", "    ", "      ")
        for t in p.trailers:
            # Where it came from: the patch itself, or the reply giving it.
            src = "" if t.msgid == p.message.msgid else f" (from <{t.msgid}>)"
            out += wrap(f"{t.name}: {t.value}{src}", "    ", "      ")
        for t in p.set_aside:
            out += wrap(f"not credited: {t.name}: {t.value} (<{t.msgid}>: "
                        f"{t.why})", "    ", "      ")
    if s.replies:
        out.append("")
        out.append(f"replies: {len(s.replies)}")
    for r in s.replies:
        out.append("")
        about = _anchor(s, r.patch_index, None, None)
        out += wrap(f"{r.message.author} on {about}", "  ", "    ")
        out += wrap(f"<{r.message.msgid}>", "    ", "      ")
        if r.parent_msgid:
            out += wrap(f"in reply to <{r.parent_msgid}>", "    ", "      ")
        for c in r.comments:
            out += wrap(f"at {_anchor(s, c.patch_index, c.file, c.new_line)}",
                         "    ", "      ")
            if c.quoted:
                out.append(wrap(c.quoted[-1], "      > ", "      > ")[0])
            paragraph = " ".join(c.text.split("\n\n", 1)[0].split())
            out += wrap(paragraph, "      | ")[:_COMMENT_LINES]
    if s.rebuilt:
        out.append("")
        out.append("rebuilt from quotes (patch absent):")
        for fp, idx in zip(s.rebuilt, s.rebuilt_index or (None,) * len(s.rebuilt)):
            adds = sum(len(h.added) for h in fp.hunks)
            out += wrap(f"{idx}/{s.total} {fp.path}: {len(fp.hunks)} partial "
                         f"hunk(s), {adds} added line(s)", "  ", "    ")
    if s.warnings:
        out.append("")
        out.append(f"warnings: {len(s.warnings)}")
        for w in s.warnings:
            out += wrap(w, "  ", "    ")
    return "\n".join(l.rstrip() for l in out)


def _jsonable(s: Series) -> dict[str, Any]:
    data = {"schema": schema.SERIES, **asdict(s)}
    data["title"] = s.title
    # FilePatch.status is an Enum: asdict keeps it; json wants its value
    return data


def as_json(s: Series) -> str:
    """The whole :class:`Series` as JSON (enums by value)."""
    return json.dumps(_jsonable(s), indent=2, default=lambda o: getattr(o, "value", str(o)))
