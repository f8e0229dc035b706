"""JSON output, versioned: ``schema: "patchlens-report/1"``.

The report's shape is documented in ``docs/json-schema.md``; answers
to the impact questions carry ``schema: "patchlens-answer/3"`` and a
``question`` key.  Severities are their names (``"ERROR"``), tuples
are arrays, every key is always present (null when unknown).
"""

from __future__ import annotations

import dataclasses
import json as _json
from enum import Enum
from typing import Any

from patchlens.findings import Finding
from patchlens.impact.model import (
    AcceptAnswer, Answer, CheckAnswer, InvertAnswer, RenameAnswer, Report,
    SeriesDiff,
)
from patchlens.render import schema

__all__ = ["render", "to_data", "ANSWER_SCHEMA"]

ANSWER_SCHEMA = schema.ANSWER

_QUESTIONS = {RenameAnswer: "rename", InvertAnswer: "invert",
              AcceptAnswer: "accept", SeriesDiff: "diff"}


def to_data(obj: Any) -> Any:
    """Dataclasses, enums and tuples as plain JSON values (a field
    with ``metadata={"json": False}`` is words for the text only)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name))
                for f in dataclasses.fields(obj)
                if f.metadata.get("json", True)}
    if isinstance(obj, Enum):
        return obj.name if isinstance(obj.value, int) else obj.value
    if isinstance(obj, (list, tuple)):
        return [to_data(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


def _collision(c: Any) -> dict[str, Any]:
    """A :class:`~patchlens.impact.model.Collision` with numbers as
    numbers (``"bit 19"`` -> value 524288, bit 19) and its location."""
    out: dict[str, Any] = {**to_data(c), "blocks": c.blocks, "text": c.text}
    v = _value(str(c.value)) if c.value is not None else \
        {"value": None, "bit": None}
    out["value"], out["bit"] = v["value"], v["bit"]
    out["location"] = schema.location(c.file, c.line)
    return out


def _value(text: str) -> dict[str, Any]:
    """``"bit 19"``, ``"8"``, ``"?"``/``"unknown"``, ``"-"`` (absent) as
    ``{value, bit, absent}``: numbers as numbers."""
    if text.startswith("bit ") and text[4:].isdigit():
        bit = int(text[4:])
        return {"value": 1 << bit, "bit": bit, "absent": False}
    if text.lstrip("-").isdigit():
        return {"value": int(text), "bit": None, "absent": False}
    return {"value": None, "bit": None, "absent": text == "-"}


def _roles(text: str) -> dict[str, int]:
    """``"1 define, 2 match"`` as ``{"define": 1, "match": 2}`` (``"-"``:
    none)."""
    out: dict[str, int] = {}
    for part in text.split(","):
        count, _, role = part.strip().partition(" ")
        if count.isdigit() and role:
            out[role] = int(count)
    return out


def _filter_records(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A filter's accepted set as records: ``{"token", "condition"}``."""
    for f in filters:
        f["accepted"] = [{"token": t, "condition": c}
                         for t, c in f.get("accepted", [])]
    return filters


def _report(report: Report) -> dict[str, Any]:
    data = to_data(report)
    for imp in data["impacts"]:
        _filter_records(imp["filters"])
    app = report.application
    data["application"] = {
        "hunks": app.total("hunks"), "clean": app.total("clean"),
        "offset": app.total("offset"), "fuzz": app.total("fuzz"),
        "preimage": app.total("preimage"), "failed": app.total("failed"),
        "conflict": app.total("conflict"), "already": app.total("already"),
        "patches": data["application"]["patches"],
    }
    for imp, out in zip(report.impacts, data["impacts"]):
        for use, o in zip(imp.uses, out["uses"]):
            o["counts"] = dict(use.counts)
    data["findings"] = [schema.finding(f) for f in report.findings]
    for note, out_note in zip(report.comments, data["comments"]):
        for a, o in zip(note.asked, out_note["asked"]):
            o["facts"] = schema.facts(a.facts)
    ordered = {"schema": report.schema}
    ordered.update((k, v) for k, v in data.items() if k != "schema")
    return ordered


def render(answer: Answer | tuple[Finding, ...]) -> str:
    if isinstance(answer, Report):
        data = _report(answer)
    elif isinstance(answer, CheckAnswer):
        data = {"schema": schema.CHECK,
                "findings": [schema.finding(f) for f in answer.findings],
                "patch_only": answer.patch_only}
    else:
        data = {"schema": ANSWER_SCHEMA,
                "question": _QUESTIONS.get(type(answer), "findings")}
        if isinstance(answer, InvertAnswer):
            data["per_subsystem"] = [
                dict(zip(("subsystem", "set", "unset", "checks", "flagsets"),
                         row)) for row in answer.per_subsystem()]
        body = to_data(answer)
        if isinstance(answer, RenameAnswer):
            # The collisions as records (kind, name, value, bit, file,
            # line, location, with_series, prefix, family, blocks,
            # text), not sentences.
            body["collisions"] = [_collision(c) for c in answer.conflicts]
            del body["conflicts"]
            body["respin"] = [{"patch": label, "title": title,
                               "lines": lines}
                              for label, title, lines in answer.respin]
        if isinstance(answer, SeriesDiff):
            body["constants"] = [{"name": n, "old": _value(a), "new": _value(b)}
                                 for n, a, b in answer.constants]
            body["roles"] = [{"name": n, "old": _roles(a), "new": _roles(b)}
                             for n, a, b in answer.roles]
            for p, out in zip(answer.patches, body["patches"]):
                # patchlens-answer/3: what a patch does to constants, as
                # records beside the phrases.
                out["effects"] = [{"when": e.when or None,
                                   "action": e.action, "name": e.name,
                                   "old": _value(e.old), "new": _value(e.new)}
                                  for e in p.effects]
        if isinstance(answer, AcceptAnswer):
            _filter_records(body["filters"])
            _filter_records(body["selections"])
            body["unlisted"] = dict(answer.unlisted)
        if isinstance(answer, tuple):
            data["findings"] = [schema.finding(f) for f in answer]
        else:
            data.update(body)
    return _json.dumps(data, indent=2, ensure_ascii=True) + "\n"
