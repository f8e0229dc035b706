"""Writes docs/schemas/*.schema.json (run from the top of the repository:
``python docs/schemas/generate.py``); tests/json_schemas.py validates
every JSON output the tests make against these files."""
import json, pathlib
D = pathlib.Path("docs/schemas")
URL = "https://patchlens.invalid/schemas/"
S = {"type": "string"}; I = {"type": "integer"}; B = {"type": "boolean"}
NS = {"type": ["string", "null"]}; NI = {"type": ["integer", "null"]}
ARR = lambda x: {"type": "array", "items": x}
LOC = {"type": ["object", "null"], "required": ["file", "line", "kind"],
       "additionalProperties": False,
       "properties": {"file": S, "line": NI, "kind": {"enum": ["tree", "patch"]}}}
SEV = {"enum": ["ERROR", "WARNING", "CHECK"]}
FINDING = {"type": "object",
           "required": ["code", "severity", "message", "file", "line", "location",
                        "patch", "subject", "detail", "location_kind", "patch_only",
                        "facts"],
           "properties": {"code": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                          "severity": SEV, "message": S, "file": NS, "line": NI,
                          "location": LOC, "patch": {"type": ["string", "null"], "pattern": "^[0-9]+/[0-9]+$"},
                          "subject": NS, "detail": ARR(S),
                          "location_kind": {"enum": ["tree", "patch", None]},
                          "patch_only": B, "facts": {"$ref": "#/$defs/facts"}}}
# A finding's facts: every number, place and constant its words name
# (patchlens-report/2, patchlens-check/2, patchlens-constants/2).
PLACE = {"type": "object", "required": ["role", "file", "line", "kind", "text"],
         "additionalProperties": False,
         "properties": {"role": S, "file": S, "line": NI,
                        "kind": {"enum": ["tree", "patch"]}, "text": NS}}
FACTS = {"type": "object", "additionalProperties": False,
         "required": ["constants", "locations", "numbers", "sizes", "texts"],
         "properties": {
             "constants": ARR({"type": "object", "additionalProperties": False,
                               "required": ["role", "name", "family", "value", "bit",
                                            "expr", "location", "hunk"],
                               "properties": {"role": S, "name": S, "family": NS,
                                              "value": NI, "bit": NI, "expr": NS,
                                              "location": {"oneOf": [PLACE, {"type": "null"}]},
                                              "hunk": {"oneOf": [{"type": "null"}, {
                                                  "type": "object", "additionalProperties": False,
                                                  "required": ["patch", "file", "nearly_fits",
                                                               "matched", "total"],
                                                  "properties": {"patch": S, "file": S,
                                                                 "nearly_fits": NI,
                                                                 "matched": NI, "total": NI}}]}}}),
             "locations": ARR(PLACE),
             "numbers": {"type": "object", "additionalProperties": I},
             "sizes": ARR({"type": "object", "additionalProperties": False,
                           "required": ["type", "bytes", "file", "fields", "padding"],
                           "properties": {"type": S, "bytes": I, "file": NS,
                                          "padding": I,
                                          "fields": ARR({"type": "object",
                                                         "additionalProperties": False,
                                                         "required": ["type", "count", "bytes"],
                                                         "properties": {"type": S, "count": I,
                                                                        "bytes": I}})}}),
             "texts": ARR({"type": "object", "additionalProperties": False,
                           "required": ["role", "text"],
                           "properties": {"role": S, "text": S}})}}
DEFS = {"location": LOC, "finding": FINDING, "facts": FACTS}

def obj(req, props, extra=True):
    return {"type": "object", "required": req, "properties": props,
            "additionalProperties": extra}

def write(name, const, body, title):
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "$id": URL + name + ".schema.json", "title": title, **body}
    if const:
        doc["properties"]["schema"] = {"const": const}
        doc["required"] = ["schema", *doc["required"]]
    doc["$defs"] = DEFS
    (D / f"{name}.schema.json").write_text(json.dumps(doc, indent=2) + "\n")

F = {"$ref": "#/$defs/finding"}
write("patchlens-check", "patchlens-check/2",
      obj(["findings", "patch_only"], {"findings": ARR(F), "patch_only": NS}, False),
      "patchlens check --format json")
write("patchlens-report", "patchlens-report/2",
      obj(["series", "application", "constants", "findings", "impacts",
           "references", "comments", "moves", "patch_only"],
          {"series": obj(["title", "author", "date", "revision", "revision_reason",
                          "total", "present", "missing", "replies", "base_commit",
                          "tree", "tree_reason", "source", "warnings"],
                         {"title": S, "revision": I, "total": I, "present": ARR(I),
                          "missing": ARR(I), "replies": I, "base_commit": NS,
                          "tree": S, "tree_reason": S, "warnings": ARR(S)}),
           "application": obj(["hunks", "clean", "offset", "fuzz", "preimage",
                               "failed", "conflict", "already", "patches"],
                              {k: I for k in ("hunks", "clean", "offset", "fuzz",
                                              "preimage", "failed", "conflict",
                                              "already")}
                              | {"patches": ARR(obj(["label", "title", "hunks"],
                                                    {"label": S, "title": S, "hunks": I,
                                                     "notes": ARR(S)}))}),
           "constants": ARR(obj(["family", "name", "kind", "before", "after", "patch",
                                 "marks"],
                                {"family": S, "name": S, "before": NI, "after": NI,
                                 "patch": NS, "marks": ARR(S), "line": NI})),
           "findings": ARR(F), "impacts": ARR({"type": "object"}),
           "references": ARR({"type": "object"}),
           "comments": ARR(obj(["author", "patch", "file", "line", "quoted", "text"],
                               {"author": S, "quoted": ARR(S), "text": S, "line": NI,
                                "asked": ARR(obj(["question", "subject", "text", "command",
                                                  "counts", "facts"],
                                                 {"text": S, "command": S,
                                                  "counts": {"type": "object",
                                                             "additionalProperties": I},
                                                  "facts": {"$ref": "#/$defs/facts"}}))})),
           "moves": ARR({"type": "object"}), "patch_only": NS}),
      "patchlens report --format json")
VAL = obj(["value", "bit", "absent"], {"value": NI, "bit": NI, "absent": B}, False)
COLL = obj(["kind", "name", "value", "bit", "file", "line", "location",
            "with_series", "prefix", "blocks", "text"],
           {"kind": {"enum": ["exists", "used", "prefix"]}, "name": S,
            "value": NI, "bit": NI, "file": NS, "line": NI,
            "location": {"$ref": "#/$defs/location"}, "with_series": B,
            "prefix": NS, "family": NS, "blocks": B, "text": S})
RESPIN = obj(["patch", "title", "lines"], {"patch": S, "title": S, "lines": I}, False)
ROLES = {"type": "object", "additionalProperties": I}
EFFECT = obj(["when", "action", "name", "old", "new"],
             {"when": {"enum": ["now", "no longer", None]},
              "action": {"enum": ["adds", "removes", "changes"]}, "name": S,
              "old": VAL, "new": VAL}, False)
write("patchlens-answer", "patchlens-answer/3",
      {"type": "object", "required": ["question"],
       "properties": {"question": {"enum": ["rename", "invert", "accept", "diff",
                                            "findings"]}},
       "allOf": [
           {"if": {"properties": {"question": {"const": "rename"}}},
            "then": {"required": ["old", "new", "family", "old_value", "sites",
                                  "mentions", "collisions", "respin"],
                     "properties": {"old_value": NI, "sites": ARR({"type": "object"}),
                                    "collisions": ARR(COLL),
                                    "respin": ARR(RESPIN)}}},
           {"if": {"properties": {"question": {"const": "accept"}}},
            "then": {"required": ["token", "value", "filters", "selections"],
                     "properties": {"value": NI}}},
           {"if": {"properties": {"question": {"const": "invert"}}},
            "then": {"required": ["flag", "new_name", "per_subsystem"]}},
           {"if": {"properties": {"question": {"const": "diff"}}},
            "then": {"required": ["old", "new", "constants", "patches", "roles"],
                     "properties": {
                         "constants": ARR(obj(["name", "old", "new"],
                                              {"name": S, "old": VAL, "new": VAL}, False)),
                         "roles": ARR(obj(["name", "old", "new"],
                                          {"name": S, "old": ROLES, "new": ROLES}, False)),
                         "patches": ARR(obj(["old", "new", "title", "changes", "effects"],
                                            {"old": NS, "new": NS, "title": S,
                                             "changes": ARR(S), "effects": ARR(EFFECT)},
                                            False))}}}]},
      "patchlens impact rename|invert|accept and diff --format json")
write("patchlens-series", "patchlens-series/1",
      obj(["title", "revision", "total", "patches", "missing"],
          {"title": S, "revision": I, "total": I, "patches": ARR({"type": "object"}),
           "missing": ARR(I)}),
      "patchlens series --format json")
HUNK = obj(["number", "status", "offset", "fuzz", "old_start", "old_len", "new_start"],
           {"number": I, "status": S, "offset": NI, "fuzz": NI, "old_start": NI,
            "old_len": NI, "new_start": NI})
write("patchlens-apply", "patchlens-apply/1",
      obj(["series", "tree", "rules", "patches", "summary"],
          {"series": obj(["title", "revision", "total", "missing", "base_commit"],
                         {"revision": I, "total": I, "missing": ARR(I), "base_commit": NS}),
           "tree": obj(["kind", "label", "root", "revision", "commit", "reason"],
                       {"kind": S, "label": S, "root": NS, "revision": NS,
                        "commit": NS, "reason": S}),
           "rules": S,
           "patches": ARR(obj(["index", "label", "title", "files"],
                              {"index": I, "label": S,
                               "files": ARR(obj(["path", "status", "applied", "hunks"],
                                                {"path": S, "applied": B,
                                                 "hunks": ARR(HUNK)}))})),
           "summary": {"type": "object", "additionalProperties": I}}),
      "patchlens apply --format json")
VALUE = {"type": ["object", "null"],
         "required": ["value", "hex", "bit", "expression", "reason"],
         "properties": {"value": NI, "hex": NS, "bit": NI}}
write("patchlens-constants", "patchlens-constants/2",
      obj(["tree", "series", "profile", "steps", "families", "hazards", "patch_only",
           "missing_files", "notes"],
          {"tree": obj(["label", "reason"], {"label": S, "reason": S}),
           "series": NS, "profile": S, "steps": ARR(S),
           "families": ARR(obj(["key", "title", "kind", "constants", "flag_sets"],
                               {"key": S, "title": S,
                                "constants": ARR(obj(["name", "family", "kind", "file",
                                                      "line", "location", "value"],
                                                     {"name": S, "family": S,
                                                      "file": NS, "line": NI,
                                                      "location": {"$ref": "#/$defs/location"},
                                                      "value": VALUE})),
                                "flag_sets": ARR({"type": "object"})})),
           "hazards": ARR(F), "patch_only": ARR({"type": "object"}),
           "missing_files": ARR(S), "notes": ARR(S)}),
      "patchlens constants --format json")
SITE = obj(["name", "role", "file", "line"], {"name": S, "role": S, "file": S, "line": I})
write("patchlens-refs", "patchlens-refs/1",
      obj(["tree", "names", "sites", "mentions", "structs", "filters", "flagsets"],
          {"tree": S, "names": {"type": "object", "additionalProperties": S},
           "sites": ARR(SITE), "mentions": ARR({"type": "object"}),
           "structs": ARR({"type": "object"}), "filters": ARR({"type": "object"}),
           "flagsets": {"type": "object"},
           "series": obj(["changed", "sites"], {"changed": ARR(S), "sites": ARR(SITE)})}),
      "patchlens refs --format json")
write("patchlens-graph", "patchlens-graph/1",
      obj(["directed", "multigraph", "nodes", "edges"],
          {"directed": B, "multigraph": B,
           "nodes": ARR(obj(["id", "kind"], {"id": S, "kind": S})),
           "edges": ARR(obj(["source", "target", "rel"],
                            {"source": S, "target": S, "rel": S}))}),
      "patchlens graph --format json (networkx node-link data)")
write("patchlens-scan", "patchlens-scan/1",
      obj(["archives", "series", "warnings"],
          {"archives": ARR(obj(["archive", "heads", "walked", "messages", "cached",
                                "hits", "parsed", "threads", "seconds"],
                               {"archive": S, "heads": ARR(S), "walked": I,
                                "messages": I, "cached": B, "hits": I, "parsed": I,
                                "threads": I, "seconds": {"type": "number"}})),
           "series": ARR(obj(["archive", "thread", "msgid", "subject", "revision",
                              "total", "present", "missing", "constants", "top",
                              "findings", "patch_only"],
                             {"revision": I, "total": NI, "present": ARR(I),
                              "missing": ARR(I),
                              "constants": ARR(obj(["name", "kind", "before", "after"],
                                                   {"name": S, "kind": S})),
                              "top": {"type": ["object", "null"]}})),
           "warnings": ARR(S)}),
      "patchlens scan --format json")
b4 = {"$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": URL + "b4-check.schema.json",
      "title": "patchlens check --format b4-check: what b4 review reads",
      "type": "array",
      "items": obj(["tool", "status", "summary", "details"],
                   {"tool": {"const": "patchlens"},
                    "status": {"enum": ["pass", "warn", "fail"]},
                    "summary": {"type": "string", "pattern": "^[^\\n]*$"},
                    "url": NS, "details": S}, False)}
(D / "b4-check.schema.json").write_text(json.dumps(b4, indent=2) + "\n")
