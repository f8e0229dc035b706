"""``patchlens constants``: family constants, before and after each patch.

Per family a table of name, value (decimal, hex, bit number) and, for
constants a patch touched, ``before -> after`` with the patch; then the
hazards (collisions, shifts, array growth, ...).
"""

from __future__ import annotations

import json
from typing import Any

from patchlens.extract.definitions import Constant
from patchlens.extract.history import ConstantChange
from patchlens.c.evaluate import Value
from patchlens.extract.profile import Family
from patchlens.findings import Finding
from patchlens.impact.views import ConstantsView
from patchlens.text import WIDTH, fit, wrap
from patchlens.render import schema

__all__ = ["ConstantsView", "as_text", "as_json"]


# -- text ----------------------------------------------------------------

def _value_cols(v: Value | None, bits: bool = True) -> str:
    if v is None:
        return f"{'-':>10} {'':>10} {'':>4}"
    if v.value is None:
        return f"{'unknown':>10} {'':>10} {'':>4}"
    n = v.value
    bit = str(n.bit_length() - 1) if bits and n > 0 and n & (n - 1) == 0 else "-"
    hx = f"{n:#x}" if n >= 0 else f"-{-n:#x}"
    return f"{n:>10} {hx:>10} {bit:>4}"


def _short(v: Value | None) -> str:
    if v is None:
        return "-"
    return "unknown" if v.value is None else str(v.value)


def _change_line(ch: ConstantChange) -> str:
    if ch.action == "added":
        what = f"added = {_short(ch.after)}"
    elif ch.action == "removed":
        what = f"removed (was {_short(ch.before)})"
    elif ch.action == "renamed":
        what = f"renamed from {ch.old_name}"
    else:
        what = f"{_short(ch.before)} -> {_short(ch.after)}" + (
            " (implicit)" if ch.implicit else "")
    po = " [patch-only]" if ch.origin != "tree" else ""
    return f"{ch.patch}: {what}{po}"


def _family_header(fam: Family, consts: list[Constant]) -> list[str]:
    what = f"enum {fam.enum}" if fam.enum else f"{fam.prefix}*"
    files = sorted({c.file for c in consts if c.origin == "tree"})
    head = f"{fam.title}: {what}"
    out = [fit(head, WIDTH)]
    if files:
        out += wrap("in " + ", ".join(files), "  ")
    return out


def as_text(view: ConstantsView) -> str:
    """Per family a table of values, changes per patch, then hazards."""
    lines: list[str] = []
    if view.title:
        lines.append(fit(f"series: {view.title}", WIDTH))
    lines.append(fit(f"tree:   {view.tree_label}", WIDTH))
    if view.tree_reason:
        lines += wrap(view.tree_reason, "        ")
    h = view.history
    if h is not None and h.missing_files:
        lines += wrap("files the series needs that are not in the tree: "
                       + ", ".join(h.missing_files), "", "  ")
    if h is not None and h.patch_only:
        lines.append("read from the patch text (hunks that did not apply):")
        for n in h.patch_only:
            lines += wrap(f"{n.patch} {n.file}: {n.reason}", "  ", "    ")
    for fam in view.families:
        consts = [c for c in view.table.by_family(fam.key)]
        changes = [c for c in (h.changes if h else ()) if c.family == fam.key]
        removed = [c for c in changes if c.action in ("removed", "renamed")]
        lines.append("")
        lines += _family_header(fam, consts)
        if not consts and not removed:
            lines.append("  (none found)")
            continue
        conds = {c.condition for c in consts if c.origin == "tree"}
        common = conds.pop() if len(conds) == 1 else None
        if common:
            lines += wrap(f"if {common}", "  ")
        lines.append(fit(f"  {'name':<31} {'decimal':>10} {'hex':>10} {'bit':>4}", WIDTH))
        seen: set[str] = set()
        for c in consts:
            if c.name in seen:
                continue
            seen.add(c.name)
            row = f"  {c.name:<31} {_value_cols(c.value, fam.kind == 'bit')}"
            lines.append(fit(row, WIDTH))
            if c.value.value is None and c.value.reason:
                lines += wrap(c.value.reason, "      ")
            if c.condition and c.condition != common:
                lines += wrap(f"if {c.condition}", "      ")
            if c.origin != "tree" and c.after:
                lines += wrap(f"after {c.after} (from the patch text)", "      ")
            for ch in changes:
                if ch.name == c.name and ch.action != "removed":
                    lines += wrap(_change_line(ch), "      ")
        for ch in removed:
            name = ch.old_name or ch.name
            if name in seen:
                continue
            lines.append(fit(f"  {name:<31} {_value_cols(None)}", WIDTH))
            lines += wrap(_change_line(ch), "      ")
        sets = [f for f in view.flagsets if f.family == fam.key]
        if sets:
            lines.append(fit(f"  flag sets ({len(sets)}):", WIDTH))
            for fs in sets:
                cond = f" [if {fs.condition}]" if fs.condition else ""
                lines += wrap(f"{fs.name} ({fs.file}:{fs.line}){cond}: "
                               + " ".join(fs.members), "    ", "      ")
    titles = tuple(f"{f.title}:" for f in view.families)
    notes = [n for n in view.table.notes
             if n.startswith(titles) or not any(
                 n.startswith(f"{f.title}:") for f in view.profile.families)]
    if notes:
        lines.append("")
        for note in notes:
            lines += wrap(note, "note: ", "      ")
    lines.append("")
    if not view.hazards:
        lines.append("hazards: none")
    else:
        lines.append(f"hazards ({len(view.hazards)}):")
        for f in view.hazards:
            where = f"{f.file}:{f.line}" if f.file else ""
            head = " ".join(x for x in (f.severity.name, f.code, f.patch or "",
                                        where) if x)
            lines.append(fit(f"  {head}", WIDTH))
            lines += wrap(f.message, "    ")
            for d in f.detail:
                lead = len(d) - len(d.lstrip(" "))
                lines += wrap(d.strip(), "      " + " " * lead,
                               "        " + " " * lead)
    return "\n".join(lines)


# -- json ----------------------------------------------------------------

def _value_json(v: Value | None, bits: bool = True) -> dict[str, Any] | None:
    if v is None:
        return None
    n = v.value
    return {"value": n, "hex": f"{n:#x}" if n is not None and n >= 0 else None,
            "bit": (n.bit_length() - 1) if bits and n is not None and n > 0
            and n & (n - 1) == 0 else None,
            "expression": v.text, "reason": v.reason or None}


def _finding_json(f: Finding) -> dict[str, Any]:
    return schema.finding(f)


def as_json(view: ConstantsView) -> str:
    """The same as JSON (``families``, ``hazards``, ``steps``...)."""
    h = view.history
    fams = []
    for fam in view.families:
        consts = []
        seen: set[str] = set()
        names = [c.name for c in view.table.by_family(fam.key)]
        if h is not None:
            for s in h.steps:
                names += [c.name for c in s.table.by_family(fam.key)]
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            c = view.table.get(name)
            if c is None and h is not None:
                c = next((s.table.get(name) for s in h.steps
                          if s.table.get(name) is not None), None)
            if c is None:
                continue
            now = view.table.get(name)
            entry: dict[str, Any] = {
                "name": name, "family": fam.key, "kind": c.kind,
                "file": c.file, "line": c.line,
                "location": schema.location(
                    c.file, c.line, "tree" if c.origin == "tree" else "patch"),
                "enum": c.enum_name, "position": c.position, "after": c.after,
                "implicit": c.implicit, "condition": c.condition,
                "is_set": c.is_set, "origin": c.origin,
                "value": _value_json(now.value if now else None,
                                     fam.kind == "bit"),
            }
            if h is not None:
                entry["values"] = [
                    {"step": lbl, **(_value_json(v, fam.kind == "bit")
                                     or {"value": None, "absent": True})}
                    for lbl, v in h.values(name)]
                entry["changes"] = [{
                    "patch": ch.patch, "action": ch.action,
                    "old_name": ch.old_name,
                    "before": _value_json(ch.before, fam.kind == "bit"),
                    "after": _value_json(ch.after, fam.kind == "bit"),
                    "implicit": ch.implicit,
                    "origin": ch.origin} for ch in h.changes_of(name)]
            consts.append(entry)
        fams.append({
            "key": fam.key, "title": fam.title, "kind": fam.kind,
            "enum": fam.enum, "prefix": fam.prefix, "constants": consts,
            "flag_sets": [{"name": f.name, "members": list(f.members),
                           "file": f.file, "line": f.line,
                           "condition": f.condition,
                           "unresolved": list(f.unresolved)}
                          for f in view.flagsets if f.family == fam.key],
        })
    doc = {
        "schema": schema.CONSTANTS,
        "tree": {"label": view.tree_label, "reason": view.tree_reason},
        "series": view.title or None,
        "profile": view.profile.name,
        "steps": [s.label for s in h.steps] if h else ["base"],
        "families": fams,
        "hazards": [_finding_json(f) for f in view.hazards],
        "patch_only": [{"patch": n.patch, "file": n.file, "reason": n.reason}
                       for n in (h.patch_only if h else ())],
        "missing_files": list(h.missing_files) if h else [],
        "notes": list(view.table.notes),
    }
    return json.dumps(doc, indent=2)
