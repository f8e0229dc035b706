"""``patchlens apply``: the series applied in memory, per hunk (clean,
offset, fuzz, already in the tree, merged, in conflict, failed; where a
failed hunk nearly fits).  The shared words are in ``applied.py``."""

from __future__ import annotations

import json
from typing import Any

from patchlens.mail.model import Series
from patchlens.render.applied import (already_lines, already_note,
                                      git_refusal, hunk_detail, rules_line,
                                      summary_line)
from patchlens.text import WIDTH, fit, patch_numbers, wrap
from patchlens.tree.apply import (AppliedSeries, FileResult, HunkResult,
                                  HunkStatus)
from patchlens.render import schema

__all__ = ["as_text", "as_json"]


def _range(h: HunkResult) -> str:
    if h.status is HunkStatus.ALREADY:
        return ""
    if h.new_start is None:
        return "removes all lines" if h.applied else ""
    if h.new_end == h.new_start:
        return f"line {h.new_start}"
    return f"lines {h.new_start}-{h.new_end}"


def _hunk_lines(h: HunkResult) -> list[str]:
    status = "FAILED" if h.status is HunkStatus.FAILED else h.describe
    head = f"    hunk {h.number:<3d} {status:<21s} "
    detail = hunk_detail(h)
    if h.applied:
        return [fit(head + _range(h), WIDTH)] + detail
    if detail:
        hk = h.hunk
        return [fit(head + f"@@ -{hk.old_start},{hk.old_len} "
                           f"+{hk.new_start},{hk.new_len} @@", WIDTH)] + detail
    hk = h.hunk
    out = [fit(head + f"@@ -{hk.old_start},{hk.old_len} "
                       f"+{hk.new_start},{hk.new_len} @@", WIDTH)]
    near = h.near
    if near is None or h.already_at is not None:
        out += wrap(f"does not apply: {h.message}", "      ")
        return out
    out += wrap(f"does not apply cleanly: nearly fits at line "
                 f"{near.line} ({near.matched} of {near.total} lines "
                 "match)" + (f"; line {near.differs_at} differs:"
                             if near.differs_at else ""), "      ")
    if near.differs_at is not None:
        out.append(fit("        tree:  " + (near.tree_text.strip()
                                             if near.tree_text is not None
                                             else "(end of file)"), WIDTH))
        out.append(fit("        patch: " + (near.hunk_text or "").strip(), WIDTH))
    return out


def _file_lines(f: FileResult) -> list[str]:
    name = f.path if f.old_path in (None, f.path) else f"{f.old_path} -> {f.path}"
    kind = "" if f.status.value == "modified" else f" ({f.status.value})"
    out = [fit(f"  {name}{kind}", WIDTH)]
    # A failed file's message is repeated on each of its hunks.
    if f.message and (f.applied or not f.hunks):
        out += wrap(f.message, "    ")
    for h in f.hunks:
        out += _hunk_lines(h)
    return out


def as_text(series: Series, applied: AppliedSeries) -> str:
    """Per patch, per file, per hunk: how it applied, then a summary."""
    info = applied.base.info
    lines = [fit(f"series: {series.title}", WIDTH),
             fit(f"tree:   {info.label}", WIDTH)]
    if info.reason:
        lines += wrap(info.reason, "        ")
    rules = rules_line(applied)
    if rules:
        lines += wrap(rules, "", "        ")
    lines += already_lines(applied)
    if series.missing:
        lines.append(fit("missing patches: "
                         + patch_numbers(series.missing, series.total), WIDTH))
    for r in applied.results:
        lines.append("")
        lines.append(fit(f"patch {r.label}  {r.patch.title}", WIDTH))
        note = already_note(applied, r) or git_refusal(applied, r)
        if note:
            lines += wrap(note, "  ")
        if not r.files:
            lines.append("  (no diff)")
        for f in r.files:
            if info.kind == "none" and not f.applied:
                # Nothing to apply to: the hunks are read from the patch.
                lines.append(fit(f"  {f.path}  ({len(f.hunks)} hunks, "
                                  "read from the patch alone)", WIDTH))
                continue
            lines += _file_lines(f)
    lines.append("")
    lines += wrap(summary_line(applied))
    return "\n".join(lines)


def _hunk_json(h: HunkResult) -> dict[str, Any]:
    near = h.near
    return {
        "number": h.number, "status": h.status.value,
        "offset": h.offset, "fuzz": h.fuzz,
        "old_start": h.hunk.old_start, "old_len": h.hunk.old_len,
        "new_start": h.new_start, "new_end": h.new_end,
        "message": h.message, "already_at": h.already_at,
        "conflict": None if h.conflict is None else {
            "line": h.conflict.line, "tree": list(h.conflict.ours),
            "patch": list(h.conflict.theirs)},
        "context": list(h.context) if not h.applied else [],
        "near": None if near is None else {
            "line": near.line, "matched": near.matched, "total": near.total,
            "differs_at": near.differs_at, "tree_text": near.tree_text,
            "hunk_text": near.hunk_text},
    }


def as_json(series: Series, applied: AppliedSeries) -> str:
    """The same as JSON (``tree``, ``rules``, ``patches``, ``summary``)."""
    info = applied.base.info
    c = applied.counts()
    doc = {
        "schema": schema.APPLY,
        "series": {"title": series.title, "revision": series.revision,
                   "total": series.total, "missing": list(series.missing),
                   "base_commit": series.base_commit},
        "tree": {"kind": info.kind, "label": info.label, "root": info.root,
                 "revision": info.revision, "commit": info.commit,
                 "reason": info.reason},
        "rules": applied.rules.name,
        "patches": [{
            "index": r.index, "label": r.label, "title": r.patch.title,
            "already": r.already, "git_applies": r.git_applies,
            "files": [{
                "path": f.path, "old_path": f.old_path,
                "status": f.status.value, "applied": f.applied,
                "preimage": f.preimage, "message": f.message,
                "hunks": [_hunk_json(h) for h in f.hunks],
            } for f in r.files],
        } for r in applied.results],
        "summary": {s.name.lower(): c[s] for s in HunkStatus}
                   | {"preimage": c[HunkStatus.MERGED],
                      "total": sum(c.values())},
    }
    return json.dumps(doc, indent=2)
