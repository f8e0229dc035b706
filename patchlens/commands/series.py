"""``patchlens series FILE``: the series in a mailbox, as a reviewer
wants to see it before anything else: which revision and why, base,
cover, each patch with files and trailers, what is missing, and the
replies with where their comments point."""

from __future__ import annotations

import json
from argparse import Namespace
from dataclasses import asdict
from typing import Any

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK
from patchlens.mail import read_series
from patchlens.mail.model import Series
from patchlens.mail.subject import parse_subject
from patchlens.render.layout import WIDTH, ascii_text, wrap

__all__ = ["run", "render_text", "render_json"]

_COMMENT_LINES = 3


def _ranges(indexes: tuple[int, ...], total: int) -> str:
    """(16, 20, 21, 28, 33) of 33 -> "16, 20-21, 28, 33 (of 33)"."""
    parts: list[str] = []
    i = 0
    while i < len(indexes):
        j = i
        while j + 1 < len(indexes) and indexes[j + 1] == indexes[j] + 1:
            j += 1
        parts.append(str(indexes[i]) if i == j else f"{indexes[i]}-{indexes[j]}")
        i = j + 1
    return f"{', '.join(parts)} (of {total})"


def _anchor(s: Series, patch_index: int | None, file: str | None,
            line: int | None) -> str:
    where = "cover" if patch_index == 0 else (
        f"{patch_index}/{s.total}" if patch_index else "?")
    if patch_index and s.patch(patch_index) is None:
        where += " (missing)"
    if file:
        where += f" {file}" + (f":{line}" if line else "")
    return where


def render_text(s: Series) -> str:
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
        for f in p.files:
            stat = f"+{f.added_count}/-{f.removed_count}"
            status = "" if f.status.value == "modified" else f" ({f.status.value})"
            out += wrap(f"{f.path}{status} {stat}", "    ", "      ")
        for t in p.trailers:
            out += wrap(f"{t.name}: {t.value}", "    ", "      ")
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
    data = asdict(s)
    data["title"] = s.title
    # FilePatch.status is an Enum: asdict keeps it; json wants its value
    return data


def render_json(s: Series) -> str:
    return json.dumps(_jsonable(s), indent=2, default=lambda o: getattr(o, "value", str(o)))


def run(opts: Namespace) -> int:
    series = read_series(opts.series, opts.revision)
    text = render_json(series) if opts.format == "json" else render_text(series)
    emit(text, opts.output)
    return EXIT_OK
