"""Bit families: two names on one bit, a bit outside the declared masks
or beyond the width of its storage, and an enumerator used as a bit
number (``BIT(DOMAIN_BUS_*)``) reaching the width of the mask it feeds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from patchlens.checks.treewide import TreeHits, has_literal
from patchlens.extract.definitions import Constant, ConstantTable
from patchlens.extract.facts import Facts
from patchlens.extract.history import Step
from patchlens.extract.patchonly import line_entry
from patchlens.c.evaluate import bit_number, evaluate
from patchlens.c.widths import (
    BIT_MACROS, SHIFTING_BIT_MACROS, STORAGE_TYPES, storage_bits)
from patchlens.extract.profile import Family
from patchlens.checks.cite import constant_ref
from patchlens.findings import (PATCH_LINE, TREE_LINE, Evidence,
                                Finding, Location, Number, Severity, declare)
from patchlens.mail.model import Series
from patchlens.tree.source import TreeSource

__all__ = ["BIT_COLLISION", "BIT_OUTSIDE_MASK", "BIT_WIDTH",
           "BIT_INDEX_WIDTH", "collisions", "outside_masks", "too_wide",
           "bit_index_widths", "bit_index_uses", "BitIndexUse",
           "show_value", "exclusive", "hunk_layout", "LayoutJudge",
           "collision_effects"]

BIT_COLLISION = declare(
    "bit-collision", Severity.ERROR, Evidence.BOTH,
    "two constants of a bit family share a bit",
    "A new flag on a bit an existing flag already uses: every instance "
    "that sets the old flag now also advertises the new meaning. Two "
    "definitions under exclusive #if branches are not a collision.")
BIT_OUTSIDE_MASK = declare(
    "bit-outside-mask", Severity.WARNING, Evidence.BOTH,
    "a flag lies outside the family's declared masks",
    "The profile names the masks that together cover the family "
    "(MSI_GENERIC_FLAGS_MASK | MSI_DOMAIN_FLAGS_MASK); a bit outside "
    "their union is filtered away by code that applies them.")
BIT_WIDTH = declare(
    "bit-width", Severity.ERROR, Evidence.PATCH,
    "a flag lies beyond the width of the word that stores it",
    "The family's storage type (the profile's storage) on the narrowest "
    "build: unsigned long is 32 bits on 32-bit builds.")
BIT_INDEX_WIDTH = declare(
    "bit-index-width", Severity.ERROR, Evidence.BOTH,
    "an enumerator used as a bit number reaches the width of its mask",
    "BIT(NAME) where NAME's value is at least the width of the mask it "
    "feeds (the struct field it is assigned to, else unsigned long on "
    "32-bit builds).")

# A struct field declared with a flags-word type (``u32 bus_select_mask;``).
_FIELD_TYPE = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(STORAGE_TYPES, key=len, reverse=True))
    + r")\s+(\w+)\s*;")


def show_value(v: int | None) -> str:
    """"bit 21 (0x200000)", "15 (0xf)" or "unknown"."""
    if v is None:
        return "unknown"
    b = bit_number(v)
    return f"bit {b} ({v:#x})" if b is not None else f"{v} ({v:#x})"


def exclusive(a: str | None, b: str | None) -> bool:
    """Whether two #if conditions cannot both hold (X and !X)."""
    if a is None or b is None or a == b:
        return False
    return a == f"!{b}" or b == f"!{a}" or a == f"!({b})" or b == f"!({a})"


# A family entry on a hunk line: ``NAME = expr,`` or ``#define NAME expr``.
# (The hunk-line reader is patchonly.line_entry: linear, issue 16.)

# Does a patch-only constant's hunk show the layout the tree has?  True:
# its context and removed lines name family constants the tree defines
# with the same values; False: they name one the tree lacks or defines
# otherwise (the series was written against another base); None: the
# hunk shows no family constant beside it.
LayoutJudge = Callable[[Constant], "bool | None"]


def _norm(text: str | None) -> str:
    return "".join((text or "").split())


def hunk_layout(series: Series, label: str, fam: Family,
                before: ConstantTable) -> LayoutJudge:
    """A judge of the hunks of patch ``label`` that define a constant,
    against ``before`` (the tree's constants before that patch; names
    only patch text defines do not count as the tree's)."""
    patch = next((p for p in series.patches if p.label == label), None)

    def judge(c: Constant) -> bool | None:
        if patch is None:
            return None
        rx = re.compile(rf"\b{re.escape(c.name)}\b")
        seen = False
        for fp in patch.files:
            if fp.path != c.file:
                continue
            for h in fp.hunks:
                if not any(l.kind == "+" and rx.search(l.text)
                           for l in h.lines):
                    continue
                for l in h.lines:
                    entry = line_entry(l.text) if l.kind != "+" else None
                    if entry is None:
                        continue
                    _, name, expr = entry
                    if not (fam.has_name(name) or name in fam.masks):
                        continue
                    t = before.get(name)
                    if t is None or t.origin != "tree":
                        return False
                    if expr:
                        v = evaluate(expr).value
                        if v is not None and t.value.value is not None:
                            if v != t.value.value:
                                return False
                        elif _norm(expr) != _norm(t.value.text):
                            return False
                    seen = True
        return True if seen else None
    return judge


def _kind(c: Constant) -> str:
    return TREE_LINE if c.origin == "tree" else PATCH_LINE


def _where(c: Constant) -> str:
    """A definition's place, saying what kind of line it is."""
    return f"at {c.where} [tree]" if c.origin == "tree" else \
        f"would land at {c.where} [{c.origin}]"


def collisions(fam: Family, consts: Sequence[Constant], patch: str | None,
               new_names: frozenset[str] = frozenset(), *,
               before: ConstantTable | None = None,
               layout: LayoutJudge | None = None) -> list[Finding]:
    """Two names of a bit family on one bit.  For a definition read from
    patch text (its hunk did not apply), with ``before`` (the tree's
    constants before the patch) and ``layout`` (its hunk judged against
    them): a name the tree already defines is not defined by the patch
    (no collision with itself or its upstream neighbours); a hunk whose
    context shows another layout than the tree's claims no collision
    against the tree; one whose context says nothing is marked
    patch-only (at most a WARNING).  Two definitions the patch text
    alone puts on one bit are proven by it."""
    by_value: dict[int, list[Constant]] = defaultdict(list)
    for c in consts:
        if c.is_set or c.value.value is None or c.value.value <= 0:
            continue
        by_value[c.value.value].append(c)
    out = []
    for v, cs in sorted(by_value.items()):
        names = list(dict.fromkeys(c.name for c in cs))
        if len(names) < 2:
            continue
        firsts = [next(c for c in cs if c.name == n) for n in names]
        if len(firsts) == 2 and exclusive(firsts[0].condition, firsts[1].condition):
            continue
        # Point at the newest definition: a patch-only one, else the last.
        at = next((c for c in firsts if c.name in new_names),
                  next((c for c in firsts if c.origin != "tree"), firsts[-1]))
        patch_only = proven = False
        if at.origin != "tree" and patch is not None \
                and not at.origin.startswith(f"patch-only: {patch}: "):
            continue            # judged at the patch that laid it
        if at.origin != "tree":
            had = before.get(at.name) if before is not None else None
            if had is not None and had.origin == "tree":
                continue        # the tree defines that name already
            verdict = layout(at) if layout is not None else None
            in_tree = [c for c in firsts if c.origin == "tree"]
            if in_tree and verdict is False:
                firsts = [c for c in firsts if c.origin != "tree"]
                if len(firsts) < 2:
                    continue
            in_tree = [c for c in firsts if c.origin == "tree"]
            patch_only = not in_tree or verdict is None
            proven = not in_tree
        others = [c.name for c in firsts if c.name != at.name]
        out.append(BIT_COLLISION.finding(
            f"{at.name} is {show_value(v)}, already used by "
            f"{', '.join(others)} ({fam.title} family)",
            file=at.file, line=at.line, patch=patch, subject=at.name,
            detail=tuple(f"{c.name} = {c.value.text or show_value(c.value.value)} "
                         f"{_where(c)}" for c in firsts),
            patch_only=patch_only, proven_by_patch=proven,
            location_kind=_kind(at),
            facts=tuple(constant_ref(c, "subject" if c is at else "partner",
                                     bits=True) for c in firsts)))
    return out


def outside_masks(fam: Family, consts: Sequence[Constant], table: ConstantTable,
                  patch: str | None) -> list[Finding]:
    masks = [table.get(m) for m in fam.masks]
    known = [m for m in masks if m is not None and m.value.value is not None]
    if not fam.masks or len(known) != len(fam.masks):
        return []
    union = 0
    for m in known:
        union |= m.value.value or 0
    out = []
    for c in consts:
        v = c.value.value
        if c.is_set or v is None or v <= 0 or v & ~union == 0:
            continue
        out.append(BIT_OUTSIDE_MASK.finding(
            f"{c.name} is {show_value(v)}, outside "
            f"{' | '.join(fam.masks)} ({union:#x})",
            file=c.file, line=c.line, patch=patch, subject=c.name,
            patch_only=c.origin != "tree" and all(
                m.origin != "tree" for m in known),
            location_kind=_kind(c),
            detail=tuple(f"{m.name} = {m.value.text} = {m.value.value or 0:#x}"
                         for m in known),
            facts=(constant_ref(c, bits=True),
                   *(constant_ref(m, "mask") for m in known),
                   Number("mask_union", union))))
    return out


def too_wide(fam: Family, consts: Sequence[Constant], patch: str | None
             ) -> list[Finding]:
    w = storage_bits(fam.storage)
    if w is None:
        return []
    width, what = w
    out = []
    for c in consts:
        v = c.value.value
        if c.is_set or v is None or v <= 0 or v.bit_length() <= width:
            continue
        out.append(BIT_WIDTH.finding(
            f"{c.name} is {show_value(v)}, beyond the {width} bits of {what}",
            file=c.file, line=c.line, patch=patch, subject=c.name,
            patch_only=c.origin != "tree", location_kind=_kind(c),
            facts=(constant_ref(c, bits=True),
                   Number("storage_bits", width))))
    return out


# -- enumerators used as bit numbers ------------------------------------

@dataclass(frozen=True)
class BitIndexUse:
    """``BIT(NAME)`` in a file: the macro it defines, the field it feeds."""
    name: str
    file: str
    line: int
    text: str
    width: int
    why: str


# A bit macro shifting by a name, or a literal shift of 1.
_BIT_USE = re.compile(r"\b(" + "|".join(SHIFTING_BIT_MACROS)
                      + r")\s*\(\s*([A-Za-z_]\w*)\s*\)"
                      r"|\(\s*1(U?L{0,2})\s*<<\s*([A-Za-z_]\w*)\s*\)")


def _bit_width(macro: str | None, suffix: str | None) -> tuple[int, str]:
    """Bits of the word a bit macro (or ``1UL << n``) makes, on the
    narrowest build."""
    bit = BIT_MACROS.get(macro or "BIT")
    if bit is None or macro is None and (suffix or "").upper().count("L") == 2:
        bit = BIT_MACROS["BIT_ULL"]
    width = bit.bits(narrowest=True)
    if width == 64 and bit.word == "unsigned long long":
        return width, "BIT_ULL"
    if width == 64:
        return width, bit.name
    if bit.word == "unsigned long":
        return width, "BIT() is unsigned long: 32 bits on 32-bit builds"
    return width, f"{bit.name}() is {bit.word}"


def bit_index_uses(source: TreeSource, files: Iterable[str],
                   names: frozenset[str] | set[str],
                   header_text: str) -> list[BitIndexUse]:
    """Where family values are used as bit numbers, and the width of what
    they feed: ``#define MATCH_PCI_MSI BIT(DOMAIN_BUS_PCI_MSI)`` feeding
    ``.bus_select_mask`` (``u32`` in ``struct msi_parent_ops``)."""
    field_types = {m.group(2): m.group(1) for m in _FIELD_TYPE.finditer(header_text)}
    out: list[BitIndexUse] = []
    for path in files:
        data = source.read(path)
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        lines = text.split("\n")
        for no, line in enumerate(lines, start=1):
            for m in _BIT_USE.finditer(line):
                name = m.group(2) or m.group(4)
                if name not in names:
                    continue
                width, why = _bit_width(m.group(1), m.group(3))
                d = re.match(r"^\s*+#\s*+define\s++(\w+)", line)
                if d:
                    fed = _fed_field(source, path, text, d.group(1), field_types)
                    if fed is not None:
                        ftype = field_types[fed]
                        fw = storage_bits(ftype)
                        if fw and fw[0] < width:
                            width, why = fw[0], f"feeds .{fed} ({ftype})"
                        elif fw:
                            why += f"; feeds .{fed} ({ftype})"
                out.append(BitIndexUse(name, path, no, line.strip(), width, why))
    return out


def _fed_field(source: TreeSource, path: str, text: str, macro: str,
               field_types: dict[str, str]) -> str | None:
    """The struct field a mask macro is assigned to (``.bus_select_mask =
    MATCH_PCI_MSI | ...``): in its own file, else in the files beside it
    (the parents using a library header live in the same directory)."""
    rx = re.compile(r"\.(\w+)\s*=[^;,]*\b" + re.escape(macro) + r"\b")
    m = rx.search(text)
    if m and m.group(1) in field_types:
        return m.group(1)
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    needle = macro.encode()
    for other in source.files(folder, (".c", ".h")):
        if other == path or other.count("/") != path.count("/"):
            continue
        data = source.read(other)
        if data is None or needle not in data:
            continue
        m = rx.search(data.decode("utf-8", "replace"))
        if m and m.group(1) in field_types:
            return m.group(1)
    return None


def bit_index_widths(steps: Sequence[Step], hits: TreeHits,
                     final_tree: TreeSource) -> list[Finding]:
    """Enumerators used as bit numbers whose value reaches the mask's
    width, at the base or first at a patch."""
    final = steps[-1].table
    header = "".join((final_tree.read(p) or b"").decode("utf-8", "replace")
                     for p in final.files)
    bit_hits = [p for p in hits.files
                if has_literal(final_tree, p, hits.bit_literals)]
    out: list[Finding] = []
    for f in hits.value_families:
        uses = bit_index_uses(final_tree, bit_hits, hits.names_by_family[f.key],
                              header)
        for i, step in enumerate(steps):
            for u in uses:
                c = step.table.get(u.name)
                if c is None or c.value.value is None or c.value.value < u.width:
                    continue
                if i > 0:
                    before = steps[i - 1].table.get(u.name)
                    prev = before.value.value if before is not None else None
                    if prev is not None and prev >= u.width:
                        continue
                out.append(BIT_INDEX_WIDTH.finding(
                    f"{u.name} is {c.value.value}, used as a bit number at "
                    f"{u.file}:{u.line}; the mask is {u.width} bits ({u.why})",
                    file=u.file, line=u.line,
                    patch=None if i == 0 else step.label,
                    subject=u.name, detail=(u.text,),
                    facts=(constant_ref(c), Number("mask_bits", u.width),
                           Location(u.file, u.line, TREE_LINE, "bit-use",
                                    u.text))))
    return out


# -- what a collision does to the instances that set the old bit ---------

_VERBS = {"sets": ("sets", "sets"), "supports": ("advertises", "advertises"),
          "requires": ("requires", "requires")}
_MAX_INSTANCES = 32


def collision_effects(findings: Sequence[Finding], facts: Facts
                      ) -> tuple[Finding, ...]:
    """``findings`` with each bit-collision given a detail line per struct
    instance whose field already sets, advertises or requires the old
    bit (by name, flag-set macro or mask): it now also carries the new
    flag's meaning."""
    out: list[Finding] = []
    for f in findings:
        if f.code != BIT_COLLISION.code or f.subject is None:
            out.append(f)
            continue
        lines, places = _effects(facts, f.subject, f.patch)
        out.append(replace(f, detail=f.detail + lines,
                           facts=f.facts + places) if lines else f)
    return tuple(out)


def _effects(facts: Facts, new: str, patch: str | None
             ) -> tuple[tuple[str, ...], tuple[Location | Number, ...]]:
    """The detail lines, and the instances as facts (``instance``
    locations, their text ``inst.field``; the count left out)."""
    k = facts.labels.index(patch) + 1 if patch in facts.labels else -1
    c = facts.states[k].get(new) if facts.states else None
    if c is None or c.value is None or c.value <= 0:
        return (), ()
    olds = [n for n, o in facts.states[k].items()
            if n != new and o.family == c.family and o.value == c.value]
    lines: list[str] = []
    places: list[Location | Number] = []
    for old in olds:
        for inst in facts.base_instances:
            for fname in inst.fields:
                meaning = facts.field_meaning.get((inst.struct, fname))
                if meaning not in _VERBS or old not in facts.base:
                    continue
                how = facts.carries(inst, fname, old, 0)
                if how is None:
                    continue
                via = inst.macro_for(fname, old) or how
                verb = _VERBS[meaning][0]
                # The field's own line: "x.required_flags (f.c:491)",
                # not the struct's opening line.
                at = inst.lines.get(fname, inst.line)
                lines.append(
                    f"{inst.name}.{fname} ({inst.file}:{at}) {verb} "
                    f"{old}" + (f" through {via}" if via else "")
                    + f": it now also {verb} {new}")
                places.append(Location(inst.file, at, TREE_LINE,
                                       "instance", f"{inst.name}.{fname}"))
    if len(lines) > _MAX_INSTANCES:
        rest = len(lines) - _MAX_INSTANCES
        lines = lines[:_MAX_INSTANCES] + [f"... and {rest} more"]
        places = places[:_MAX_INSTANCES] + [Number("instances_not_shown",
                                                   rest)]
    return tuple(lines), tuple(places)
