"""The versioned names of every JSON output, and the shapes they share.

Each command's JSON object starts with ``schema``: a name and a version
(``patchlens-series/1``); its JSON Schema is
``docs/schemas/<name>.schema.json`` (shipped with the sdist; the tests
validate every JSON output they make against it).  A change of meaning
bumps the version; an added key does not.

Shared shapes: a location is ``{file, line, kind}`` (``kind``: ``tree``
-- a line of the tree or of the tree after the series -- or ``patch``
-- a line of the patch text, where a hunk that did not apply would
land); a finding carries one as ``location``.
"""

from __future__ import annotations

from typing import Any

from patchlens.findings import (PATCH_LINE, TREE_LINE, ConstantRef, Fact,
                                Finding, Location, Number, Text, TypeSize)

__all__ = ["SERIES", "APPLY", "CONSTANTS", "REFS", "GRAPH", "CHECK",
           "ANSWER", "B4_CHECK", "location", "finding", "facts"]

SERIES = "patchlens-series/1"
APPLY = "patchlens-apply/1"
# 2: findings carry ``facts`` (the numbers, places and constants their
# words name, as fields).
CONSTANTS = "patchlens-constants/2"

REFS = "patchlens-refs/1"
GRAPH = "patchlens-graph/1"
CHECK = "patchlens-check/2"
# 2: rename's collisions and respin, diff's constants and roles are
# objects (they were strings and positional arrays).  3: diff's patches
# carry ``effects`` (what each does to constants, as records).
ANSWER = "patchlens-answer/3"
# b4 reads a bare list from a check command: no key to carry a name,
# but the shape has its schema file all the same.
B4_CHECK = "b4-check"


def location(file: str | None, line: int | None,
             kind: str | None = TREE_LINE) -> dict[str, Any] | None:
    """``{file, line, kind}``, or None when there is no file."""
    if not file:
        return None
    return {"file": file, "line": line,
            "kind": "patch" if kind == PATCH_LINE else "tree"}


def finding(f: Finding) -> dict[str, Any]:
    """One finding, the same shape in every command's JSON."""
    return {"code": f.code, "severity": f.severity.name,
            "message": f.message, "file": f.file, "line": f.line,
            "location": location(f.file, f.line, f.location_kind),
            "patch": f.patch, "subject": f.subject,
            "detail": list(f.detail), "location_kind": f.location_kind,
            "patch_only": f.patch_only, "facts": facts(f.facts)}


def _place(loc: Location) -> dict[str, Any]:
    return {"role": loc.role, "file": loc.file, "line": loc.line,
            "kind": "patch" if loc.kind == PATCH_LINE else "tree",
            "text": loc.text}


def facts(items: tuple[Fact, ...]) -> dict[str, Any]:
    """A finding's facts by type: ``constants`` ({role, name, family,
    value, bit, expr, location, hunk}: ``hunk`` the hunk that did not
    apply, for one read from the patch text), ``locations`` ({role, file, line,
    kind, text}), ``numbers`` (role -> int), ``sizes`` ({type, bytes,
    file, fields, padding}) and ``texts`` ({role, text}: patch labels,
    blob ids, quoted lines)."""
    out: dict[str, Any] = {"constants": [], "locations": [], "numbers": {},
                           "sizes": [], "texts": []}
    for x in items:
        if isinstance(x, ConstantRef):
            out["constants"].append({
                "role": x.role, "name": x.name, "family": x.family,
                "value": x.value, "bit": x.bit, "expr": x.expr,
                "location": _place(x.where) if x.where else None,
                "hunk": None if x.hunk is None else {
                    "patch": x.hunk.patch, "file": x.hunk.file,
                    "nearly_fits": x.hunk.nearly_fits,
                    "matched": x.hunk.matched, "total": x.hunk.total}})
        elif isinstance(x, Location):
            out["locations"].append(_place(x))
        elif isinstance(x, Number):
            out["numbers"][x.role] = x.value
        elif isinstance(x, TypeSize):
            out["sizes"].append({
                "type": x.type, "bytes": x.bytes, "file": x.file,
                "fields": [{"type": m.type, "count": m.count,
                            "bytes": m.bytes} for m in x.fields],
                "padding": x.padding})
        else:
            assert isinstance(x, Text)
            out["texts"].append({"role": x.role, "text": x.text})
    return out
