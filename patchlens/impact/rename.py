"""``impact rename OLD NEW [--emit-patch FILE]``: what renaming a
constant touches, whether the new name is free, which series patches
must be re-spun, and the patch that does it.

Jason Gunthorpe on IMS 27/33: "GENERIC maybe?" -- here the answer is
that ``DOMAIN_BUS_GENERIC_MSI`` already exists.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable

from patchlens.impact.facts import Facts
from patchlens.impact.model import Collision, RenameAnswer
from patchlens.mail.model import Series
from patchlens.text import site
from patchlens.tree.source import TreeSource

__all__ = ["rename", "rename_patch", "family_prefix", "collisions",
           "collision_records"]


def family_prefix(facts: Facts, family: str) -> str:
    """The longest ``_``-ended prefix every member of ``family`` shares."""
    names = [c.name for st in facts.states for c in st.values()
             if c.family == family]
    if not names:
        return ""
    prefix = os.path.commonprefix(names)
    return prefix[: prefix.rfind("_") + 1] if "_" in prefix else ""


def collision_records(facts: Facts, old: str, new: str
                      ) -> tuple[Collision, ...]:
    """Why ``new`` cannot simply replace ``old``: a definition of that
    name (in the tree, else one the series adds), else a use of it, and
    a family prefix it breaks.  The first two block a rename patch
    (``Collision.blocks``); a broken prefix is only said."""
    out: list[Collision] = []
    for k, st in ((len(facts.states) - 1, facts.final), (0, facts.base)):
        c = st.get(new)
        if c is not None:
            if new in facts.base and k != 0:
                continue
            value: int | str | None = c.value
            if c.bit and isinstance(c.value, int) and c.value > 0:
                value = f"bit {c.value.bit_length() - 1}"
            out.append(Collision("exists", new, value, c.file, c.line,
                                 with_series=k != 0))
            break
    if not out:
        s = next((s for s in (*facts.sites, *facts.mentions)
                  if s.name == new), None)
        if s is not None:
            out.append(Collision("used", new, None, s.file, s.line))
    const = facts.final.get(old) or facts.base.get(old)
    if const is not None:
        prefix = family_prefix(facts, const.family)
        if prefix and not new.startswith(prefix):
            out.append(Collision("prefix", new, None, None, None,
                                 prefix=prefix, family=const.title))
    return tuple(out)


def collisions(facts: Facts, old: str, new: str) -> tuple[str, ...]:
    """:func:`collision_records` as sentences."""
    return tuple(c.text for c in collision_records(facts, old, new))


def _respin(series: Series | None, old: str
            ) -> tuple[tuple[str, str, int], ...]:
    if series is None:
        return ()
    pat = re.compile(rf"\b{re.escape(old)}\b")
    out = []
    for p in series.patches:
        n = sum(1 for f in p.files for h in f.hunks for l in h.lines
                if l.kind != " " and pat.search(l.text))
        n += len(pat.findall(p.commit_message))
        if n:
            out.append((p.label, p.title, n))
    return tuple(out)


def rename(facts: Facts, old: str, new: str, series: Series | None = None
           ) -> RenameAnswer:
    const = facts.final.get(old) or facts.base.get(old)
    sites = tuple(s for s in facts.sites if s.name == old)
    mentions = tuple(s for s in facts.mentions if s.name == old)
    found = collision_records(facts, old, new)
    return RenameAnswer(old, new, const.title if const else None,
                        const.value if const else None, sites, mentions,
                        tuple(c.text for c in found), _respin(series, old),
                        conflicts=found)


def rename_patch(source: TreeSource, files: Iterable[str], old: str,
                 new: str) -> tuple[str, int]:
    """A unified diff (git style) replacing the word ``old`` by ``new``
    in ``files`` of ``source``; (text, number of files changed)."""
    pat = re.compile(rf"\b{re.escape(old)}\b")
    chunks = []
    for path in sorted(set(files)):
        data = source.read(path)
        if data is None:
            continue
        text = data.decode("utf-8", "surrogateescape")
        changed = pat.sub(new, text)
        if changed == text:
            continue
        a = text.splitlines(keepends=True)
        b = changed.splitlines(keepends=True)
        body = []
        for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}",
                                         n=3):
            if not line.endswith("\n"):
                line += "\n\\ No newline at end of file\n"
            body.append(line)
        chunks.append(f"diff --git a/{path} b/{path}\n" + "".join(body))
    text = "".join(chunks).encode("utf-8", "surrogateescape").decode(
        "utf-8", "replace")
    return text, len(chunks)
