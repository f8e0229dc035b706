"""Reviewer comments anchored to the constants they discuss, with the
questions they raise answered from the tree.

A comment is about a constant when its quoted lines or its own words
name one.  A naming suggestion ("GENERIC maybe?") is answered: which
names it points at, and whether they already exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from patchlens.impact.facts import Facts
from patchlens.impact.model import ReviewNote
from patchlens.impact.rename import collisions
from patchlens.mail.model import Series

__all__ = ["review_notes", "suggested_names"]

_IDENT = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b")
# Capitalised words that are prose, not a name suggestion.
_PROSE = frozenset({"MSI", "PCI", "IRQ", "API", "CPU", "ABI", "BUG", "FIXME",
                    "TODO", "NAK", "ACK", "LGTM", "IMO", "IMHO", "AFAIK",
                    "AFAICT", "WARN", "NOTE", "XXX", "THE", "AND", "NOT"})


def _names(facts: Facts) -> dict[str, str]:
    """Every family constant in any state -> its family key."""
    out: dict[str, str] = {}
    for st in facts.states:
        for c in st.values():
            out.setdefault(c.name, c.family)
    return out


def suggested_names(facts: Facts, subject: str, text: str) -> list[str]:
    """Names a comment proposes for ``subject``: identifiers it spells
    out, and existing family members containing a capitalised word it
    uses that the subject's name lacks (``GENERIC`` ->
    ``DOMAIN_BUS_GENERIC_MSI``)."""
    from patchlens.impact.rename import family_prefix
    known = _names(facts)
    family = known.get(subject)
    prefix = family_prefix(facts, family) if family else ""
    own = set(subject.split("_"))
    out: list[str] = []
    # Proposals are questions ("GENERIC maybe?") or spelled-out names.
    asked = " ".join(q for q in re.split(r"(?<=[.?!])\s+", text)
                     if q.rstrip().endswith("?"))
    words = [w for w in _IDENT.findall(text) if "_" in w]
    words += [w for w in _IDENT.findall(asked) if "_" not in w]
    for word in words:
        if word == subject:
            continue
        if "_" in word:
            # A spelled-out name: a known one, or one in the family's style.
            if (word in known or (prefix and word.startswith(prefix))) \
                    and word not in out:
                out.append(word)
            continue
        if word in own or word in _PROSE:
            continue
        for name, fam in sorted(known.items()):
            if fam == family and word in name.split("_") and name not in out:
                out.append(name)
    return out


def review_notes(series: Series | None, facts: Facts,
                 focus: Iterable[str] = ()) -> tuple[ReviewNote, ...]:
    """Notes for every anchored comment; those naming a family constant
    (or one of ``focus``) get subjects and answers."""
    if series is None:
        return ()
    known = _names(facts)
    focus = set(focus)
    out = []
    for reply in series.replies:
        for c in reply.comments:
            if len(re.sub(r"[^A-Za-z]", "", c.text)) < 3:
                continue
            subjects = _subjects(c.quoted, c.text, known, focus)
            answers = []
            for s in subjects:
                for name in suggested_names(facts, s, c.text):
                    found = collisions(facts, s, name)
                    if found:
                        answers += [f"rename to {name}: {_short(x, name)}"
                                    for x in found]
                    else:
                        n = sum(1 for x in facts.sites if x.name == s)
                        answers.append(f"rename to {name}: free; "
                                       f"{n} code sites would change")
            label = None
            if c.patch_index is not None:
                p = series.patch(c.patch_index)
                label = p.label if p else f"{c.patch_index}/{series.total}"
            out.append(ReviewNote(
                _who(c.author), label, c.file, c.new_line,
                tuple(c.quoted), " ".join(c.text.split()), tuple(subjects),
                tuple(answers)))
    # Notes about constants first, then the rest, each in thread order.
    return tuple(sorted(out, key=lambda n: not n.subjects))


def _subjects(quoted: tuple[str, ...], text: str, known: dict[str, str],
              focus: set[str]) -> list[str]:
    """The constants a comment is about: those on the changed lines it
    quotes, else those its words name, else those on its last quoted
    line (the line it answers)."""
    def names(lines: Iterable[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            for w in _IDENT.findall(line):
                if (w in known or w in focus) and w not in out:
                    out.append(w)
        return out
    changed = [q for q in quoted if q[:1] in "+-" and q[:3] not in
               ("+++", "---")]
    return (names(changed) or names([text])[:3] or names(quoted[-1:]))


def _short(collision: str, name: str) -> str:
    """``X already exists: value 2, f:15`` -> ``name exists (value 2, f:15)``."""
    if collision.startswith(f"{name} already exists"):
        rest = collision.split(": ", 1)[1] if ": " in collision else ""
        return f"name exists ({rest})" if rest else "name exists"
    return collision.replace(f"{name} ", "", 1)


def _who(author: str) -> str:
    return author.split("<")[0].strip().strip('"') or author
