"""No fact only in prose: every number, ``file:line`` and patch label
that a finding's words (message, detail) say is also a field of its
JSON object (``facts``, or the finding's own keys).

A finding passes when, in each of its lines: every ``file:line`` is a
``{file, line}`` pair somewhere in the object; every patch label
``n/m`` is a string field; and, once the object's string fields that
the line quotes are taken out (paths, names, expressions, quoted code),
every number left is a number field (``0x20000`` as its value, ``+24``
as 24).  :data:`ALLOWED` lists the words that carry a digit but no
fact."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["ALLOWED", "QUOTES", "missing_facts", "records",
           "numbers_in_strings", "assert_facts_are_fields", "check_text"]

# Words with a digit that name no fact of the finding: the narrowest
# build's word size, the LP64 data model, git's 3-way merge.
ALLOWED = ("32-bit", "64-bit", "3-way")

_PLACE = re.compile(r"([\w./+-]*[A-Za-z_][\w./+-]*\.[A-Za-z]\w*):(\d+)")
_LABEL = re.compile(r"(?<![\w/])\d+/\d+(?![\w/])")
_NUMBER = re.compile(r"(?<![\w.])([-+]?)(0x[0-9a-fA-F]+|\d+)(?![\w])")


def _walk(obj: Any, skip: frozenset[str]) -> Iterator[tuple[str, Any]]:
    """(key, value) of every scalar below ``obj`` and every dict."""
    if isinstance(obj, dict):
        yield "", obj
        for k, v in obj.items():
            if k in skip:
                continue
            if isinstance(v, (dict, list)):
                yield from _walk(v, frozenset())
            else:
                yield k, v
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)):
                yield from _walk(v, frozenset())
            else:
                yield "", v


def missing_facts(obj: dict[str, Any], prose: list[str],
                  skip: frozenset[str]) -> list[str]:
    """What ``prose`` says that no field of ``obj`` holds (the keys in
    ``skip`` are the prose itself)."""
    places: set[tuple[str, int]] = set()
    strings: set[str] = set()
    numbers: set[int] = set()
    for key, v in _walk(obj, skip):
        if isinstance(v, dict):
            if isinstance(v.get("file"), str) and isinstance(v.get("line"), int):
                places.add((v["file"], v["line"]))
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int):
            numbers.add(v)
        elif isinstance(v, str) and v:
            strings.add(v)
    # A string field the words quote is taken out whole (a blob id may
    # be all digits: 7 or more is no count).
    quoted = sorted((s for s in strings if len(s) > 1
                     and (not s.isdigit() or len(s) >= 7)),
                    key=len, reverse=True)
    out: list[str] = []
    for line in prose:
        for m in _PLACE.finditer(line):
            if (m.group(1), int(m.group(2))) not in places:
                out.append(f"{m.group(0)} (in {line!r})")
        line = _PLACE.sub(" ", line)
        for s in quoted:
            line = line.replace(s, " ")
        for m in _LABEL.finditer(line):
            out.append(f"patch {m.group(0)} (in {line!r})")
        line = _LABEL.sub(" ", line)
        for word in ALLOWED:
            line = line.replace(word, " ")
        for m in _NUMBER.finditer(line):
            text = m.group(2)
            n = int(text, 16) if text.startswith("0x") else int(text)
            if n not in numbers and -n not in numbers \
                    and (m.group(1) != "-" or -n not in numbers):
                out.append(f"{m.group(0)} (in {line!r})")
    return out


def records(data: Any) -> Iterator[tuple[str, dict[str, Any], list[str],
                                          frozenset[str]]]:
    """Every object of a command's JSON whose words are prose: (what,
    object, its prose lines, the keys that hold them)."""
    if isinstance(data, dict):
        if isinstance(data.get("code"), str) and "message" in data \
                and "facts" in data:
            yield (data["code"], data, [data["message"], *data["detail"]],
                   frozenset({"message", "detail"}))
            return
        if data.get("kind") in ("exists", "used", "prefix") \
                and isinstance(data.get("text"), str) and "blocks" in data:
            yield ("collision", data, [data["text"]], frozenset({"text"}))
            return
        if "question" in data and "command" in data \
                and isinstance(data.get("counts"), dict):
            yield ("asked", data, [data["text"]],
                   frozenset({"text", "command"}))
            return
        if data.get("question") == "diff":
            yield ("diff", data, list(data["notes"]),
                   frozenset({"notes", "patches", "constants", "roles"}))
            for p in data["patches"]:
                yield ("diff-patch", p, list(p["changes"]),
                       frozenset({"changes"}))
            return
        for v in data.values():
            yield from records(v)
    elif isinstance(data, list):
        for v in data:
            yield from records(v)


# A string that is a number, or a count or bit in words: a table cell
# ("15", "bit 19", "1 define, 2 match") where a number belongs.
_NUMERIC = re.compile(r"[-+]?\d+|bit \d+|\d+ [a-z]+(?:, \d+ [a-z]+)*")


# Keys whose strings quote words as written (code, a definition, a
# commit message's claim, a subject line): not cells of a table.
QUOTES = frozenset({"text", "expr", "expression", "quoted", "title",
                    # what a filter's default does, in C ("0", "-EINVAL")
                    "default", "default_text", "otherwise",
                    # git object ids: hex, at times all digits
                    "old_id", "new_id", "preimage", "commit"})


def numbers_in_strings(data: Any, where: str = "") -> list[str]:
    """Every string value of a JSON document that is a number in words
    (its path in the document); quotes (:data:`QUOTES`) aside."""
    out: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k in QUOTES and isinstance(v, str):
                continue
            out += numbers_in_strings(v, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += numbers_in_strings(v, f"{where}[{i}]")
    elif isinstance(data, str) and _NUMERIC.fullmatch(data):
        out.append(f"{where} = {data!r}")
    return out


def assert_facts_are_fields(data: Any) -> int:
    """Every prose record of ``data`` names only facts it has as
    fields, and no string is a number: else AssertionError listing
    each miss.  Returns how many prose records were checked."""
    n = 0
    problems = numbers_in_strings(data)
    for what, obj, prose, skip in records(data):
        n += 1
        problems += [f"{what}: {m}" for m in missing_facts(obj, prose, skip)]
    assert not problems, "a fact only in prose:\n" + "\n".join(problems)
    return n


def check_text(text: str) -> None:
    """:func:`assert_facts_are_fields` on ``text`` when it is a JSON
    document (tests/conftest.py runs it on every output of a test)."""
    if not text.lstrip().startswith(("{", "[")):
        return
    try:
        data = json.loads(text)
    except ValueError:
        return
    assert_facts_are_fields(data)
