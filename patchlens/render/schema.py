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

from patchlens.findings import PATCH_LINE, TREE_LINE, Finding

__all__ = ["SERIES", "APPLY", "CONSTANTS", "REFS", "GRAPH", "CHECK",
           "ANSWER", "B4_CHECK", "location", "finding"]

SERIES = "patchlens-series/1"
APPLY = "patchlens-apply/1"
CONSTANTS = "patchlens-constants/1"
REFS = "patchlens-refs/1"
GRAPH = "patchlens-graph/1"
CHECK = "patchlens-check/1"
# 2: rename's collisions and respin, diff's constants and roles are
# objects (they were strings and positional arrays).
ANSWER = "patchlens-answer/2"
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
            "patch_only": f.patch_only}
