"""Hazards of constant families, each a :class:`~patchlens.findings.Finding`.

Per table (one tree state): two names on one bit (``bit-collision``), a
bit outside the declared masks (``bit-outside-mask``), a bit beyond the
width of its storage (``bit-width``), a name defined twice
(``duplicate-name``).

Along a series: existing enumerators whose implicit value shifts
(``enum-shift``), an enumerator used as a bit index (``BIT(DOMAIN_BUS_*)``)
reaching the width of the mask it feeds (``bit-index-width``), a removed
or renamed constant still referenced (``stale-reference``), and arrays
dimensioned by a constant whose value changes (``array-growth``, with
the byte delta derived from the tree's own struct definitions).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from patchlens.extract.evaluate import bit_number
from patchlens.extract.prefilter import CODE, search
from patchlens.extract.profile import Family, Profile
from patchlens.extract.sizes import StructIndex, find_array_members
from patchlens.findings import Finding, Severity
from patchlens.tree.source import TreeSource

__all__ = ["table_hazards", "history_hazards", "storage_width",
           "bit_index_uses", "BitIndexUse"]

# Width in bits of the word a flag is stored in, on the narrowest build
# the kernel supports: unsigned long is 32 bits on 32-bit builds.
_WIDTH = {"unsigned long": (32, "unsigned long on 32-bit builds"),
          "u32": (32, "u32"), "unsigned int": (32, "unsigned int"),
          "int": (31, "int (sign bit)"), "u16": (16, "u16"), "u8": (8, "u8"),
          "u64": (64, "u64"), "unsigned long long": (64, "unsigned long long")}
_FIELD_TYPE = re.compile(r"\b(u8|u16|u32|u64|unsigned long long|unsigned long|"
                         r"unsigned int|int)\s+(\w+)\s*;")


def storage_width(storage: str | None) -> tuple[int, str] | None:
    return _WIDTH.get(storage or "")


def _fmt(v: int | None) -> str:
    if v is None:
        return "unknown"
    b = bit_number(v)
    return f"bit {b} ({v:#x})" if b is not None else f"{v} ({v:#x})"


def _exclusive(a: str | None, b: str | None) -> bool:
    """Whether two #if conditions cannot both hold (X and !X)."""
    if a is None or b is None or a == b:
        return False
    return a == f"!{b}" or b == f"!{a}" or a == f"!({b})" or b == f"!({a})"


def table_hazards(table, profile: Profile, patch: str | None = None,  # type: ignore[no-untyped-def]
                  new_names: frozenset[str] = frozenset()) -> list[Finding]:
    """Hazards visible in one :class:`ConstantTable`; ``new_names`` (the
    names a patch added) are the ones a collision is reported against."""
    out: list[Finding] = []
    for fam in profile.families:
        consts = table.by_family(fam.key)
        if fam.kind == "bit":
            out += _collisions(fam, consts, patch, new_names)
            out += _outside_masks(fam, consts, table, patch)
            out += _too_wide(fam, consts, patch)
        out += _duplicates(fam, consts, patch)
    return out


def _collisions(fam: Family, consts, patch, new_names=frozenset()):  # type: ignore[no-untyped-def]
    by_value: dict[int, list] = defaultdict(list)
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
        if len(firsts) == 2 and _exclusive(firsts[0].condition, firsts[1].condition):
            continue
        # Point at the newest definition: a patch-only one, else the last.
        at = next((c for c in firsts if c.name in new_names),
                  next((c for c in firsts if c.origin != "tree"), firsts[-1]))
        others = [n for n in names if n != at.name]
        out.append(Finding(
            code="bit-collision", severity=Severity.ERROR,
            message=f"{at.name} is {_fmt(v)}, already used by "
                    f"{', '.join(others)} ({fam.title} family)",
            file=at.file, line=at.line, patch=patch, subject=at.name,
            detail=tuple(f"{c.name} = {c.value.text or _fmt(c.value.value)} "
                         f"at {c.where}" + (f" [{c.origin}]" if c.origin != "tree" else "")
                         for c in firsts)))
    return out


def _outside_masks(fam: Family, consts, table, patch):  # type: ignore[no-untyped-def]
    masks = [table.get(m) for m in fam.masks]
    known = [m for m in masks if m is not None and m.value.value is not None]
    if not fam.masks or len(known) != len(fam.masks):
        return []
    union = 0
    for m in known:
        union |= m.value.value
    out = []
    for c in consts:
        v = c.value.value
        if c.is_set or v is None or v <= 0 or v & ~union == 0:
            continue
        out.append(Finding(
            code="bit-outside-mask", severity=Severity.WARNING,
            message=f"{c.name} is {_fmt(v)}, outside "
                    f"{' | '.join(fam.masks)} ({union:#x})",
            file=c.file, line=c.line, patch=patch, subject=c.name,
            detail=tuple(f"{m.name} = {m.value.text} = {m.value.value:#x}"
                         for m in known)))
    return out


def _too_wide(fam: Family, consts, patch):  # type: ignore[no-untyped-def]
    w = storage_width(fam.storage)
    if w is None:
        return []
    width, what = w
    out = []
    for c in consts:
        v = c.value.value
        if c.is_set or v is None or v <= 0 or v.bit_length() <= width:
            continue
        out.append(Finding(
            code="bit-width", severity=Severity.ERROR,
            message=f"{c.name} is {_fmt(v)}, beyond the {width} bits of "
                    f"{what}",
            file=c.file, line=c.line, patch=patch, subject=c.name))
    return out


def _duplicates(fam: Family, consts, patch):  # type: ignore[no-untyped-def]
    by_name: dict[str, list] = defaultdict(list)
    for c in consts:
        by_name[c.name].append(c)
    out = []
    for name, cs in by_name.items():
        if len(cs) < 2:
            continue
        if all(_exclusive(a.condition, b.condition)
               for i, a in enumerate(cs) for b in cs[i + 1:]):
            continue
        if all(c.condition is not None and c.condition != cs[0].condition
               for c in cs[1:]) and cs[0].condition is not None:
            continue    # different #if branches: alternatives
        at = cs[-1]
        out.append(Finding(
            code="duplicate-name", severity=Severity.WARNING,
            message=f"{name} is defined {len(cs)} times",
            file=at.file, line=at.line, patch=patch, subject=name,
            detail=tuple(f"{c.where}: {c.value.text or _fmt(c.value.value)}"
                         for c in cs)))
    return out


# -- along a series ----------------------------------------------------------

def _key(f: Finding) -> tuple:
    words = tuple(sorted(set(re.findall(r"[A-Z][A-Z0-9_]{3,}", f.message))))
    return f.code, f.subject, words


class BitIndexUse:
    """``BIT(NAME)`` in a file: the macro it defines, the field it feeds."""

    def __init__(self, name: str, file: str, line: int, text: str, width: int,
                 why: str) -> None:
        self.name, self.file, self.line, self.text = name, file, line, text
        self.width, self.why = width, why


_BIT_USE = re.compile(r"\b(BIT_ULL|BIT|_BITUL|_BITULL)\s*\(\s*([A-Za-z_]\w*)\s*\)"
                      r"|\(\s*1(U?L{0,2})\s*<<\s*([A-Za-z_]\w*)\s*\)")


def bit_index_uses(source: TreeSource, files: Iterable[str], names: set[str],
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
                wide = (m.group(1) in ("BIT_ULL", "_BITULL")
                        or (m.group(3) or "").upper().count("L") == 2)
                width, why = (64, "BIT_ULL") if wide else (
                    32, "BIT() is unsigned long: 32 bits on 32-bit builds")
                d = re.match(r"\s*#\s*define\s+(\w+)", line)
                if d:
                    fed = _fed_field(source, path, text, d.group(1), field_types)
                    if fed is not None:
                        ftype = field_types[fed]
                        fw = storage_width(ftype)
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


def _claims(text: str) -> list[str]:
    """Byte counts a commit message claims ("Trade the 8bytes ...")."""
    return [m.group(0) for m in re.finditer(r"\b\d+\s*-?\s*bytes?\b", text)]


def history_hazards(steps: Sequence, changes: Sequence, profile: Profile,  # type: ignore[type-arg]
                    applied, series) -> tuple[Finding, ...]:  # type: ignore[no-untyped-def]
    """New hazards at each step, attributed to the patch that made them."""
    out: list[Finding] = []
    seen = {_key(f) for f in table_hazards(steps[0].table, profile)}
    for prev, step in zip(steps, steps[1:]):
        new = frozenset(step.table.by_name) - frozenset(prev.table.by_name)
        for f in table_hazards(step.table, profile, patch=step.label,
                               new_names=new):
            k = _key(f)
            if k not in seen:
                seen.add(k)
                out.append(f)
    final = steps[-1].table
    for ch in changes:
        if ch.action == "changed" and ch.implicit and ch.before is not None \
                and ch.after is not None:
            enum = _counted_enum(final, ch.name)
            if enum is None:
                severity, message = Severity.WARNING, (
                    f"{ch.name} shifts {ch.before.value} -> {ch.after.value}: "
                    "an enumerator was inserted or removed before it")
            else:               # a count is meant to move; what it sizes is the news
                severity, message = Severity.CHECK, (
                    f"{ch.name}, the count of enum {enum}, goes "
                    f"{ch.before.value} -> {ch.after.value}: what it sizes or "
                    "bounds grows with it (see array-growth)")
            out.append(Finding(code="enum-shift", severity=severity, message=message,
                               file=ch.file, line=ch.line, patch=ch.patch,
                               subject=ch.name))
    out += _tree_hazards(steps, changes, profile, applied, series)
    return tuple(out)


# How C names an enum's last enumerator when it counts the others:
# MSI_MAX_DEVICE_IRQDOMAINS, NR_IRQS, FOO_COUNT, __BAR_LAST.
_COUNT_WORD = re.compile(r"(?:^|_)(?:MAX|NR|NUM|COUNT|LAST|END)(?:_|$)")


def _counted_enum(table, name: str) -> str | None:  # type: ignore[no-untyped-def]
    """The enum ``name`` counts (its last enumerator, named as a count),
    or None."""
    c = table.get(name)
    if c is None or c.kind != "enumerator" or c.enum_name is None \
            or c.position is None or not _COUNT_WORD.search(name):
        return None
    last = max((o.position for o in table.constants
                if o.enum_name == c.enum_name and o.file == c.file
                and o.position is not None), default=None)
    return (c.enum_name or "(anonymous)") if c.position == last else None


def _tree_hazards(steps, changes, profile, applied, series) -> list[Finding]:  # type: ignore[no-untyped-def]
    """Hazards that need a literal search of the whole tree (one pass)."""
    final_tree = applied.final
    value_fams = [f for f in profile.families if f.kind == "value"]
    final = steps[-1].table
    names_by_fam = {f.key: {c.name for s in steps for c in s.table.by_family(f.key)}
                    for f in value_fams}
    bit_lits = []
    for f in value_fams:
        names = sorted(names_by_fam[f.key])
        if names:
            pre = _common_prefix(names)
            bit_lits += [f"BIT({pre}", f"BIT_ULL({pre}", "<< " + pre]
    gone = [c for c in changes if c.action in ("removed", "renamed")]
    gone_names = sorted({c.old_name or c.name for c in gone})
    grown = [c for c in changes if c.action == "changed"
             and c.before is not None and c.after is not None
             and c.before.value is not None and c.after.value is not None]
    array_lits = [f"[{c.name}]" for c in grown]
    # The flag-set scan (constants.scan_flag_sets) asks for these; one
    # grep answers both.
    lits = bit_lits + array_lits + gone_names + list(profile.flag_set_literals)
    if not lits or final_tree.info.kind == "none":
        hits: tuple[str, ...] = ()
    else:
        # Each pattern names a family constant (or is a flag literal):
        # the files holding one are among those of the run's search for
        # the family names, which the reference scan asks for next.
        from patchlens.extract.constants import local_names
        # The names the reference scan asks for next (the constants, the
        # flag sets of the base and the final tree), so that one search
        # answers both, in this run and from the cache in the next.
        names = {c.name for s in steps for c in s.table.constants} | set(gone_names) \
            | {fs.name for s in (steps[0], steps[-1]) for fs in s.table.flagsets}
        names -= local_names(s.table for s in steps)
        found = search(final_tree, profile.candidate_literals(names), follow=True)
        hits = tuple(sorted(p for p in found if p.endswith(CODE)
                            and _has(final_tree, p, lits)))
    out: list[Finding] = []
    header = "".join((final_tree.read(p) or b"").decode("utf-8", "replace")
                     for p in final.files)
    # Enumerators used as bit numbers.
    bit_hits = [p for p in hits if _has(final_tree, p, bit_lits)]
    for f in value_fams:
        names = names_by_fam[f.key]
        uses = bit_index_uses(final_tree, bit_hits, names, header)
        for step in steps:
            for u in uses:
                c = step.table.get(u.name)
                if c is None or c.value.value is None or c.value.value < u.width:
                    continue
                if step is not steps[0]:
                    prev = _prev_value(steps, step, u.name)
                    if prev is not None and prev >= u.width:
                        continue
                out.append(Finding(
                    code="bit-index-width", severity=Severity.ERROR,
                    message=f"{u.name} is {c.value.value}, used as a bit "
                            f"number at {u.file}:{u.line}; the mask is "
                            f"{u.width} bits ({u.why})",
                    file=u.file, line=u.line,
                    patch=None if step is steps[0] else step.label,
                    subject=u.name, detail=(u.text,)))
    # Removed or renamed constants still referenced.
    for ch in gone:
        old = ch.old_name or ch.name
        where = _references(final_tree, hits, old)
        later = _later_uses(series, ch.patch, old)
        if not where and not later:
            continue
        what = "renamed to " + ch.name if ch.action == "renamed" else "removed"
        first = (where or later)[0]
        out.append(Finding(
            code="stale-reference", severity=Severity.WARNING,
            message=f"{old} is {what} by {ch.patch} but still used "
                    f"({len(where)} place(s) in the tree, {len(later)} later "
                    "in the series)",
            file=first[0], line=first[1], patch=ch.patch, subject=old,
            detail=tuple(f"{p}:{n}: {t}" for p, n, t in (where + later)[:8])))
    # Arrays dimensioned by a constant whose value changed.
    arr_hits = tuple(p for p in hits if _has(final_tree, p, array_lits))
    for ch in grown:
        for member in find_array_members(final_tree, (ch.name,), arr_hits):
            out.append(_array_growth(final_tree, member, ch, series, final))
    return out


def _has(source: TreeSource, path: str, lits: Sequence[str]) -> bool:
    data = source.read(path)
    return data is not None and any(l.encode() in data for l in lits)


def _common_prefix(names: Sequence[str]) -> str:
    pre = names[0]
    for n in names[1:]:
        while not n.startswith(pre):
            pre = pre[:-1]
    return pre if len(pre) >= 3 else names[0]


def _prev_value(steps, step, name):  # type: ignore[no-untyped-def]
    i = list(steps).index(step)
    c = steps[i - 1].table.get(name)
    return c.value.value if c is not None else None


def _references(source: TreeSource, hits: Iterable[str], name: str
                ) -> list[tuple[str, int, str]]:
    rx = re.compile(r"\b" + re.escape(name) + r"\b")
    out = []
    for p in hits:
        data = source.read(p)
        if data is None or name.encode() not in data:
            continue
        for no, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
            if rx.search(line):
                out.append((p, no, line.strip()))
    return out


def _later_uses(series, label: str, name: str) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    rx = re.compile(r"\b" + re.escape(name) + r"\b")
    try:
        n = int(label.split("/")[0])
    except ValueError:
        return []
    out = []
    for p in series.patches:
        if p.index <= n:
            continue
        for fp in p.files:
            for h in fp.hunks:
                for l in h.added:
                    if rx.search(l.text):
                        out.append((fp.path, l.new_no or 0,
                                    f"{p.label} adds: {l.text.strip()}"))
    return out


def _array_growth(source: TreeSource, member, ch, series, table) -> Finding:  # type: ignore[no-untyped-def]
    before, after = ch.before.value, ch.after.value
    index = StructIndex(source, (member.file, *table.files))
    size = index.sizeof(member.element, pointer=member.pointer)
    label = f"struct {member.struct}::{member.field}[{member.dim}]"
    detail = [f"element: {member.element}{' *' if member.pointer else ''}",
              f"count: {before} -> {after} ({member.dim})"]
    claim = ""
    n = int(ch.patch.split("/")[0]) if ch.patch.split("/")[0].isdigit() else -1
    patch = series.patch(n)
    said = _claims(patch.commit_message) if patch is not None else []
    if not said:
        # Only quoted in a reply (archive text): the quote has the message.
        for r in series.replies:
            if r.patch_index == n:
                quoted = "\n".join(l for l in r.message.body.split("\n")
                                   if l.startswith(">"))
                said += _claims(quoted)
    if said:
        claim = f"; {ch.patch} says '{said[0]}'"
    if size.size is None:
        msg = (f"{label} grows {before} -> {after} elements; bytes per "
               f"instance unknown: {size.reason}{claim}")
        detail.append(f"size unknown: {size.reason}")
    else:
        delta = (after - before) * size.size
        parts = size.lines[0].split(" = ", 1)[1].rsplit(" (", 1)[0] \
            if " = " in size.lines[0] else size.lines[0]
        msg = (f"{label} grows {before} -> {after} elements: {delta:+d} bytes "
               f"per struct {member.struct} on LP64 ({parts}){claim}")
        detail.append(f"delta: ({after} - {before}) x {size.size} = {delta:+d} "
                      f"bytes per struct {member.struct}")
        detail += list(size.lines)
    return Finding(code="array-growth", severity=Severity.WARNING, message=msg,
                   file=member.file, line=member.line, patch=ch.patch,
                   subject=member.dim, detail=tuple(detail))
