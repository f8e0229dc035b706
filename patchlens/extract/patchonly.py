"""Patch-only reading: a hunk that did not apply (its file is missing,
the tree moved on) or a fragment rebuilt from a quoted reply, laid onto
the tree's definitions from the patch text alone.  Removed names go,
added ones are inserted after the enumerator that precedes them in the
hunk; explicit values come from the ``+`` line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from patchlens.diff import Hunk, HunkLine
from patchlens.extract.definitions import Model, RawEnum, RawEnumerator, RawMacro
from patchlens.extract.profile import Profile

__all__ = ["PatchOnlyNote", "line_entry", "lay_hunk", "lay_preimage", "shows_enum_opening",
           "hunk_shifts", "hunk_enum_tag", "preimage_values", "family_enumerators",
           "removed_enumerators"]


@dataclass(frozen=True)
class PatchOnlyNote:
    """A hunk whose constants were read from the patch text alone."""
    patch: str
    file: str
    reason: str                   # "include/linux/x.h is not in the tree"



# Linear by construction (issue 16): the name and ``#define`` heads are
# possessive, and what follows them -- the expression, a trailing
# comment -- is cut with string methods.  The old one-regex line readers
# were cubic on a ``+`` line with a long run of blanks.
_NAME_HEAD = re.compile(r"^\s*+([A-Za-z_][A-Za-z0-9_]*+)")
_DEFINE_HEAD = re.compile(r"^\s*+#\s*+define\s++([A-Za-z_][A-Za-z0-9_]*+)(?!\()(?=\s)")
_ENUM_OPEN = re.compile(r"\benum\s*+([A-Za-z_][A-Za-z0-9_]*+)?\s*+\{")
_C_WORDS = frozenset({"enum", "struct", "union", "return", "if", "else",
                      "static", "int", "void", "unsigned", "long", "const"})


def _strip_comments(text: str) -> str:
    """``text`` without its ``//`` comment and ``/* */`` comments (an
    unterminated one runs to the end of the line); linear."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("/", i)
        if j < 0:
            out.append(text[i:])
            break
        if text.startswith("//", j):
            out.append(text[i:j])
            break
        if text.startswith("/*", j):
            out.append(text[i:j])
            k = text.find("*/", j + 2)
            if k < 0:
                break
            out.append(" ")
            i = k + 2
            continue
        out.append(text[i:j + 1])
        i = j + 1
    return "".join(out)


def _enumerator(text: str) -> tuple[str, str | None] | None:
    """(name, expression after ``=`` or None) of an enumerator line."""
    code = _strip_comments(text)
    m = _NAME_HEAD.match(code)
    if m is None:
        return None
    rest = code[m.end():].strip()
    if rest in ("", ","):
        return m.group(1), None
    if rest.startswith("="):
        return m.group(1), rest[1:].strip()
    return None


def _define(text: str) -> tuple[str, str] | None:
    """(name, body without a trailing comment) of an object-like
    ``#define`` line."""
    m = _DEFINE_HEAD.match(text)
    if m is None:
        return None
    body = text[m.end():].strip()
    if body.endswith("*/"):
        i = body.find("/*")
        if 0 <= i <= len(body) - 4:
            body = body[:i].rstrip()
    return m.group(1), body


def _line_entry(text: str) -> tuple[str, str, str | None] | None:
    """("enumerator"|"macro", name, expr) for a hunk line, or None."""
    d = _define(text)
    if d:
        return "macro", d[0], d[1]
    stripped = text.strip()
    if not stripped or stripped.startswith(("/*", "*", "//", "#", "}")):
        return None
    e = _enumerator(text)
    if e and e[0] not in _C_WORDS and (stripped.endswith(",") or
                                       e[1] is not None
                                       or stripped == e[0]):
        expr = e[1]
        if expr is not None:
            expr = expr.rstrip(",").strip()
            if "(" in e[0] or ";" in expr:
                return None
        return "enumerator", e[0], expr
    return None


line_entry = _line_entry


def _norm(expr: str | None) -> str | None:
    return None if expr is None else "".join(expr.split())


def _hunk_enum_tag(hunk: Hunk) -> str | None:
    """The enum a hunk edits: from a line in it, else its @@ section."""
    for l in hunk.lines:
        m = _ENUM_OPEN.search(l.text)
        if m:
            return m.group(1) or ""
    m = _ENUM_OPEN.search(hunk.section or "")
    if m:
        return m.group(1) or ""
    return None


hunk_enum_tag = _hunk_enum_tag


def family_enumerators(hunk: Hunk, profile: Profile) -> frozenset[str]:
    """The enumerator names on any line of a hunk that edits a family's
    enum (by its tag, on a line of the hunk or in its @@ section): the
    family's members the patch shows, context included."""
    tag = _hunk_enum_tag(hunk)
    if not tag or not any(f.enum == tag for f in profile.families):
        return frozenset()
    out = set()
    for hl in hunk.lines:
        entry = _line_entry(hl.text)
        if entry is not None and entry[0] == "enumerator":
            out.add(entry[1])
    return frozenset(out)


def _file_of(model: Model, name: str) -> str | None:
    """The file of the model's (first) definition of ``name``."""
    hit = model.find_enumerator(name)
    if hit is not None:
        e = model.enums[hit[0]]
        return e.items[hit[1]].file or e.file
    return next((m.file for m in model.macros if m.name == name), None)


def _from_tree(model: Model, name: str) -> bool:
    """The model's definition of ``name`` is the tree's own line."""
    hit = model.find_enumerator(name)
    if hit is not None:
        return model.enums[hit[0]].items[hit[1]].origin == "tree"
    return any(m.origin == "tree" for m in model.macros if m.name == name)


def _relevant(name: str, profile: Profile, model: Model, tag: str | None) -> bool:
    if any(f.has_name(name) or name in f.masks for f in profile.families):
        return True
    if tag and any(f.enum == tag for f in profile.families):
        return True
    return model.find_enumerator(name) is not None


def lay_hunk(model: Model, path: str, hunk: Hunk, profile: Profile,
                     origin: str, near: int | None = None,
                     keep: frozenset[str] = frozenset(),
                     context_defines: bool = False,
                     removed: frozenset[str] = frozenset()) -> bool:
    """Lay a hunk that did not apply onto the model: removed names go,
    added names are inserted after the enumerator that precedes them in
    the hunk (when the tree has it), explicit values come from the '+'
    line.  Returns whether the hunk touched a family constant.

    An added name's line is where it would land in the tree: after the
    enumerator it follows, else at ``near`` (the line where the hunk
    nearly fits) plus its place in the hunk, else the patch's own line
    (its file is not in the tree).

    ``keep``: files whose content is a patch's own post-image (the
    series wrote them): a removed line of this hunk, in another file,
    does not remove their definitions (a move: the new copy stays when
    the hunk dropping the old one fails).

    ``context_defines``: the file is not in the tree, so the patch text
    is all there is: a context line giving a family name an explicit
    value defines it (the patch shows it before and after itself), as
    ``lay_preimage`` reads it before the patch.

    ``removed``: the names the patch's hunks that did not apply remove.
    A ``+`` line of a name the tree already defines in this very file,
    which the patch removes nowhere, is a second definition (the tree
    moved on and has the name, maybe at another value): the tree's stays,
    the value does not "change"."""
    tag = _hunk_enum_tag(hunk)
    if tag and not any(e.tag == tag for e in model.enums) \
            and _new_enum_from_hunk(model, path, hunk, tag, profile, origin):
        return True
    touched = False
    # Lines the hunk removes and adds back unchanged, relative to what the
    # tree already has, are no change (the tree has moved on to the
    # patch's result, or the hunk only moved a comment).
    readded: dict[str, str | None] = {}
    for hl in hunk.lines:
        entry = _line_entry(hl.text) if hl.kind == "+" else None
        if entry is not None:
            readded[entry[1]] = entry[2]
    same = {n for n, e in readded.items()
            if model.expr_of(n) == (True, e) or (
                model.expr_of(n)[0] and _norm(model.expr_of(n)[1]) == _norm(e))}
    prev_name: str | None = None     # last enumerator seen on the new side
    prev_no: int | None = None       # its post-image line in the hunk
    pending_front: list[RawEnumerator] = []
    for hl in hunk.lines:
        entry = _line_entry(hl.text)
        if entry is None:
            continue
        kind, name, expr = entry
        if kind == "enumerator" and tag is None:
            continue        # not inside an enum: an initializer, a call
        if name in same:
            if kind == "enumerator" and hl.kind != "-":
                prev_name, prev_no = name, hl.new_no
            continue
        if hl.kind == "-":
            if _relevant(name, profile, model, tag) and \
                    _file_of(model, name) not in keep - {path}:
                model.remove(name)
                touched = True
            continue
        if hl.kind == " " and context_defines and expr is not None \
                and not model.expr_of(name)[0] \
                and any(f.has_name(name) or name in f.masks
                        for f in profile.families):
            # Shown by the patch, kept by it: defined (explicit value).
            line = hl.new_no or hunk.new_start
            if kind == "macro":
                model.macros.append(RawMacro(name, expr, path, line, None,
                                              origin))
                continue
            at = model.find_enumerator(prev_name) \
                if prev_name is not None else None
            item = RawEnumerator(name, expr, line, None, origin, file=path)
            if at is not None:
                e = model.enums[at[0]]
                model.enums[at[0]] = replace(
                    e, items=e.items[:at[1] + 1] + (item,)
                    + e.items[at[1] + 1:])
            else:
                _orphan(model, tag, path, item, prev_name)
            prev_name, prev_no = name, hl.new_no
            continue
        if hl.kind == " ":
            if kind == "enumerator":
                prev_name, prev_no = name, hl.new_no
                if pending_front:
                    _insert_before(model, name, pending_front)
                    pending_front = []
            continue
        if not _relevant(name, profile, model, tag):
            if kind == "enumerator":
                prev_name, prev_no = name, hl.new_no
            continue
        if name not in removed and _file_of(model, name) == path \
                and _from_tree(model, name):
            if kind == "enumerator":
                prev_name, prev_no = name, hl.new_no
            continue
        touched = True
        line = _landing(model, path, prev_name, prev_no, hl.new_no, hunk,
                        near)
        if kind == "macro":
            model.remove(name)
            model.macros.append(RawMacro(name, expr or "", path, line, None,
                                          origin))
            continue
        item = RawEnumerator(name, expr, line, None, origin, file=path)
        model.remove(name)
        at = model.find_enumerator(prev_name) if prev_name is not None else None
        if at is not None:
            ei, ii = at
            e = model.enums[ei]
            model.enums[ei] = replace(e, items=e.items[:ii + 1] + (item,)
                                      + e.items[ii + 1:])
        elif prev_name is None:
            pending_front.append(item)
            continue
        else:
            _orphan(model, tag, path, item, prev_name)
        prev_name, prev_no = name, hl.new_no
    if pending_front:
        for item in pending_front:
            _orphan(model, tag, path, item, None)
    return touched


def _landing(model: Model, path: str, prev_name: str | None,
             prev_no: int | None, new_no: int | None, hunk: Hunk,
             near: int | None) -> int:
    """Where an added line would land in the tree's file: as far after
    the enumerator it follows as it is in the hunk, else at the hunk's
    "nearly fits" line plus its place in the hunk, else the patch's own
    post-image line."""
    at = model.find_enumerator(prev_name) if prev_name is not None else None
    if at is not None and new_no is not None:
        e = model.enums[at[0]]
        item = e.items[at[1]]
        if (item.file or e.file) == path and item.line:
            step = new_no - prev_no if prev_no is not None else 1
            return item.line + max(step, 1)
    if near is not None and new_no is not None:
        return near + max(new_no - hunk.new_start, 0)
    return new_no or hunk.new_start


def _new_enum_from_hunk(model: Model, path: str, hunk: Hunk, tag: str,
                        profile: Profile, origin: str,
                        side: str = "new") -> bool:
    """The hunk shows an enum's opening line and the tree lacks the enum:
    its post-image enumerators (``side`` "old": its pre-image ones),
    context included, are the whole start of the enum, so implicit
    values are known."""
    if not any(f.enum == tag for f in profile.families):
        return False
    items: list[RawEnumerator] = []
    inside = False
    opening: int | None = None
    skip = "+" if side == "old" else "-"
    for hl in hunk.lines:
        if hl.kind == skip:
            continue
        if not inside:
            m = _ENUM_OPEN.search(hl.text)
            inside = bool(m and (m.group(1) or "") == tag)
            opening = (hl.old_no if side == "old" else hl.new_no) or None
            continue
        if hl.text.strip().startswith("}"):
            break
        entry = _line_entry(hl.text)
        if entry is None or entry[0] != "enumerator":
            continue
        line = (hl.old_no or hunk.old_start) if side == "old" else \
            (hl.new_no or hunk.new_start)
        items.append(RawEnumerator(entry[1], entry[2], line, None, origin,
                                   file=path))
    if not inside or not items:
        return False
    start = opening or (hunk.old_start if side == "old" else hunk.new_start)
    model.enums.append(RawEnum(tag, path, start, tuple(items)))
    return True


def _insert_before(model: Model, anchor: str, items: list[RawEnumerator]) -> None:
    hit = model.find_enumerator(anchor)
    if hit is None:
        for item in items:
            _orphan(model, None, "", item, None)
        return
    ei, ii = hit
    e = model.enums[ei]
    model.enums[ei] = replace(e, items=e.items[:ii] + tuple(items) + e.items[ii:])


def _orphan(model: Model, tag: str | None, path: str, item: RawEnumerator,
            prev: str | None) -> None:
    """An enumerator whose place in its enum is unknown: implicit values
    cannot be derived, explicit ones still evaluate."""
    why = (f"follows {prev}, which is not in the tree" if prev
           else "its place in the enum is unknown")
    if item.expr is None:
        item = replace(item, reason=f"implicit value unknown: {why}")
    item = replace(item, after=prev)
    # An enum of its own: explicit values still evaluate.
    model.enums.append(RawEnum(tag or "", path, item.line, (item,)))



# -- the patch's own pre-image ----------------------------------------------

def shows_enum_opening(hunk: Hunk) -> bool:
    """The hunk's pre-image (context or ``-`` lines) holds an enum's
    opening line: the pre-image alone proves the enum's start."""
    return any(hl.kind != "+" and _ENUM_OPEN.search(hl.text)
               for hl in hunk.lines)


def lay_preimage(model: Model, path: str, hunk: Hunk, profile: Profile,
                 origin: str, keep: frozenset[str] = frozenset(),
                 explicit: bool = False) -> bool:
    """Lay a hunk's *pre-image* onto the model of the state before its
    patch: an enum of a family the model lacks, whose opening line the
    hunk shows, existed before the patch as the context and ``-`` lines
    say (the patch proves it: it was written against that text).  Only
    what the model lacks is added -- a copy the series itself wrote in
    another file (``keep``: files it created) does not count, so the old
    place of a moved enum is known; returns whether anything was added."""
    tag = _hunk_enum_tag(hunk)
    if tag is not None and shows_enum_opening(hunk) \
            and not any(e.tag == tag and (e.file == path or e.file not in keep)
                        for e in model.enums) \
            and _new_enum_from_hunk(model, path, hunk, tag, profile, origin,
                                    side="old"):
        return True
    # Explicit values on the pre-image side (a renumbering patch's "-"
    # lines, context) of family names the model lacks: proven too, where
    # the tree has no such file (``explicit``).
    laid = False
    if not explicit:
        return False
    # A removed enumerator of a family enum whose opening the hunk does
    # not show existed before the patch all the same: its value is
    # unknown, its removal is not.
    for hl, name, enum in removed_enumerators(hunk, profile):
        if model.expr_of(name)[0] or model.find_enumerator(name) is not None:
            continue
        line = hl.old_no or hunk.old_start
        prev = _previous_enumerator(hunk, hl)
        why = (f"follows {prev}, whose value the hunk does not show" if prev
               else "the hunk does not show the start of its enum")
        model.enums.append(RawEnum(enum, path, line, (RawEnumerator(
            name, None, line, None, origin,
            reason=f"implicit value unknown: {why}", file=path,
            after=prev),)))
        laid = True
    for hl, kind, name, expr in preimage_values(hunk, profile):
        if model.expr_of(name)[0]:
            continue
        line = hl.old_no or hunk.old_start
        if kind == "macro":
            model.macros.append(RawMacro(name, expr, path, line, None, origin))
        else:
            model.enums.append(RawEnum(tag or "", path, line, (RawEnumerator(
                name, expr, line, None, origin, file=path),)))
        laid = True
    return laid


def removed_enumerators(hunk: Hunk, profile: Profile
                        ) -> list[tuple[HunkLine, str, str]]:
    """(line, name, enum tag) for the implicit-valued enumerators a hunk
    removes from a family's enum: the enum named by the hunk (a line of
    it or its @@ section), else -- the hunk inside an enum whose head
    neither shows -- a name spelt as an enum family's members are
    (profile ``spelling``: ``DOMAIN_BUS_``)."""
    tag = _hunk_enum_tag(hunk)
    by_tag = tag is not None and any(f.enum == tag for f in profile.families)
    out = []
    for hl in hunk.lines:
        if hl.kind != "-":
            continue
        entry = _line_entry(hl.text)
        if entry is None or entry[0] != "enumerator" or entry[2] is not None:
            continue
        if by_tag and tag is not None:
            out.append((hl, entry[1], tag))
            continue
        fam = next((f for f in profile.families
                    if f.enum and f.spelt_like(entry[1])), None)
        if fam is not None and fam.enum is not None and tag is None \
                and _among_members(hunk, hl, fam.spelt_like):
            out.append((hl, entry[1], fam.enum))
    return out


def _among_members(hunk: Hunk, line: HunkLine,
                   spelt: Callable[[str], bool]) -> bool:
    """The pre-image lines around ``line`` (the nearest enumerator-shaped
    line before and after it) are enumerators spelt as the family's: the
    line is inside that enum, not in a list of its values."""
    pre = [hl for hl in hunk.lines if hl.kind != "+"]
    i = next(k for k, hl in enumerate(pre) if hl is line)

    def near(lines: list[HunkLine]) -> bool:
        for hl in lines:
            if hl.kind == "-" or not hl.text.strip() \
                    or hl.text.strip().startswith(("/*", "*", "//")):
                continue
            entry = _line_entry(hl.text)
            return entry is not None and entry[0] == "enumerator" \
                and spelt(entry[1])
        return False
    return near(pre[i + 1:]) and near(list(reversed(pre[:i])))


def _previous_enumerator(hunk: Hunk, line: HunkLine) -> str | None:
    """The enumerator on the pre-image side just before ``line``."""
    prev = None
    for hl in hunk.lines:
        if hl is line:
            return prev
        entry = _line_entry(hl.text) if hl.kind != "+" else None
        if entry is not None and entry[0] == "enumerator":
            prev = entry[1]
        elif _ENUM_OPEN.search(hl.text):
            prev = None
    return prev


def preimage_values(hunk: Hunk, profile: Profile
                    ) -> list[tuple[HunkLine, str, str, str]]:
    """(line, "macro" or "enumerator", name, expression) for the family
    names a hunk's pre-image (context and ``-`` lines) gives an explicit
    value: ``MSI_FLAG_X = (1 << 4),``, ``#define MSI_FLAG_Y BIT(5)``."""
    tag = _hunk_enum_tag(hunk)
    out = []
    for hl in hunk.lines:
        if hl.kind == "+":
            continue
        entry = _line_entry(hl.text)
        if entry is None:
            continue
        kind, name, expr = entry
        if expr is None or kind == "enumerator" and tag is None:
            continue
        if any(f.has_name(name) for f in profile.families):
            out.append((hl, kind, name, expr))
    return out


def hunk_shifts(hunk: Hunk) -> tuple[tuple[str, int, int], ...]:
    """``(name, delta, line)`` for the implicit-valued enumerators a hunk
    keeps (context lines) whose value the hunk itself moves: ``delta``
    enumerators are inserted (positive) or removed (negative) before
    them since the last explicit value.  The patch alone proves these,
    even when the enum's start -- hence the values -- is unknown.  An
    explicit value the hunk adds or removes makes the delta unknown
    until the next explicit value both sides share."""
    tag = _hunk_enum_tag(hunk)
    if tag is None:
        return ()
    opened = shows_enum_opening(hunk) or any(
        _ENUM_OPEN.search(hl.text) for hl in hunk.lines)
    inside = not opened          # the @@ section names the enum: inside
    delta: int | None = 0
    out: list[tuple[str, int, int]] = []
    for hl in hunk.lines:
        if not inside:
            inside = bool(_ENUM_OPEN.search(hl.text))
            continue
        if hl.text.strip().startswith("}"):
            if hl.kind == " ":
                break
            continue
        entry = _line_entry(hl.text)
        if entry is None or entry[0] != "enumerator":
            continue
        _, name, expr = entry
        if hl.kind == " ":
            if expr is not None:
                delta = 0
            elif delta:
                out.append((name, delta, hl.new_no or hunk.new_start))
        elif expr is not None:
            delta = None
        elif delta is not None:
            delta += 1 if hl.kind == "+" else -1
    return tuple(out)
