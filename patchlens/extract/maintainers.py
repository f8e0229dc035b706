"""The subsystem of a file, from the tree's ``MAINTAINERS``.

An entry is a title line followed by ``X:`` lines; ``F:`` patterns
(a trailing ``/`` or a directory means everything below, ``*`` and
``?`` do not cross ``/``), ``X:`` excludes, ``N:`` is a regex on the
path.  The most specific entry wins (the longest matching pattern), as
``get_maintainer.pl`` ranks them.  Without ``MAINTAINERS`` (or without
a matching entry) the subsystem is the top two path components.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from patchlens.errors import Warning_
from patchlens.extract.saferegex import bounded_search, unbounded_reason
from patchlens.limits import MAX_N_PATTERNS

__all__ = ["Subsystem", "Maintainers", "parse_maintainers", "fallback_subsystem",
           "MAX_N_PATTERNS"]


@dataclass(frozen=True)
class Subsystem:
    name: str                        # "IRQ DOMAINS (IRQ NUMBER MAPPING LIBRARY)"
    maintainers: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Entry:
    subsystem: Subsystem
    literal: tuple[str, ...]         # plain paths (file or directory)
    globs: tuple[tuple[str, int], ...]          # (pattern, fixed depth)
    excludes: tuple[str, ...]
    xglobs: tuple[str, ...]
    # N: patterns, compiled on first use (a warm run's look-ups come
    # from the kept answers and compile none).
    regexes: tuple[str, ...]


def fallback_subsystem(path: str) -> Subsystem:
    """The top two path components ("drivers/pci"), or the file's dir."""
    parts = path.split("/")
    return Subsystem("/".join(parts[:2]) if len(parts) > 2 else (parts[0] if len(parts) > 1 else "."))


def _glob(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern.rstrip("/"):
        out.append("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch))
    tail = "(/.*)?" if pattern.endswith("/") or "*" not in pattern.rsplit("/", 1)[-1] else ""
    return re.compile("".join(out) + tail + r"\Z")


_COMPILED: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    """Globs are compiled on first use: most are never needed."""
    rx = _COMPILED.get(pattern)
    if rx is None:
        rx = _COMPILED[pattern] = _glob(pattern)
    return rx


_COMPILED_N: dict[str, re.Pattern[str]] = {}


def _compiled_n(pattern: str) -> re.Pattern[str]:
    rx = _COMPILED_N.get(pattern)
    if rx is None:
        rx = _COMPILED_N[pattern] = re.compile(pattern)
    return rx


def _fixed_depth(pattern: str) -> int:
    """Leading path components without wildcards: how specific it is."""
    depth = 0
    for part in pattern.rstrip("/").split("/"):
        if any(c in part for c in "*?["):
            break
        depth += 1
    return depth


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


class Maintainers:
    """Parsed ``MAINTAINERS``: ``subsystem(path)`` answers per file."""

    def __init__(self, entries: list[_Entry]) -> None:
        self._entries = entries
        # Plain patterns by path, so a look-up walks the path's
        # ancestors instead of every pattern in the file.
        self._literal: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            for lit in e.literal:
                self._literal.setdefault(lit.rstrip("/"), []).append(i)
        # Glob patterns by their leading wildcard-free components
        # ("drivers/irqchip" for "drivers/irqchip/irq-gic*"; "" for
        # regexes), so a look-up walks the path's ancestors and compiles
        # only the globs below one: MAINTAINERS has ~1,400 globs and
        # compiling them all costs more than the whole scan's parse.
        self._globbed: dict[str, list[tuple[int, str, int]]] = {}
        for i, e in enumerate(entries):
            for pat, depth in e.globs:
                key = "/".join(pat.split("/")[:depth])
                self._globbed.setdefault(key, []).append((i, pat, depth))
        self._regexed = [i for i, e in enumerate(entries) if e.regexes]
        self._memo: dict[str, Subsystem] = {}

    @property
    def answered(self) -> int:
        """How many paths it has answered (they are kept when pickled:
        a warm run looks them up without matching a pattern)."""
        return len(self._memo)

    def _excluded(self, e: _Entry, path: str) -> bool:
        return any(_under(path, x) for x in e.excludes) or \
            any(_compiled(g).match(path) for g in e.xglobs)

    def subsystem(self, path: str) -> Subsystem:
        hit = self._memo.get(path)
        if hit is not None:
            return hit
        best: tuple[int, int] | None = None          # (score, entry)
        parts = path.split("/")
        for k in range(len(parts), 0, -1):
            for i in self._literal.get("/".join(parts[:k]), ()):
                score = k * 100 + (50 if k == len(parts) else 0)
                if (best is None or score > best[0]) and not self._excluded(self._entries[i], path):
                    best = (score, i)
        for k in range(len(parts), -1, -1):
            for i, pat, depth in self._globbed.get("/".join(parts[:k]), ()):
                score = depth * 100 + 10
                if (best is None or score > best[0]) and _compiled(pat).match(path) \
                        and not self._excluded(self._entries[i], path):
                    best = (score, i)
        for i in self._regexed:
            e = self._entries[i]
            for pat in e.regexes:
                if bounded_search(_compiled_n(pat), path) and (best is None or 101 > best[0]) and not self._excluded(e, path):
                    best = (101, i)
        sub = self._entries[best[1]].subsystem if best is not None and best[0] > 100 \
            else None
        if sub is None:
            sub = fallback_subsystem(path)
        self._memo[path] = sub
        return sub


def parse_maintainers(text: str | None) -> Maintainers:
    """Parse the text of ``MAINTAINERS`` (None: no file, fallback only)."""
    entries: list[_Entry] = []
    if not text:
        return Maintainers(entries)
    lines = text.splitlines()
    # The entries start after the introduction's last section.
    start = 0
    for i, line in enumerate(lines):
        if line.startswith("3C59X NETWORK DRIVER") or line.strip() == "Maintainers List":
            start = i
            break
    title = ""
    fields: dict[str, list[str]] = {}
    kept, skipped = [0], []

    def flush() -> None:
        if title and (fields.get("F") or fields.get("N")):
            lit, globs, excl, xglobs, rxs = [], [], [], [], []
            for pat in fields.get("F", []):
                if any(c in pat for c in "*?["):
                    globs.append((pat, _fixed_depth(pat)))
                else:
                    lit.append(pat)
            for pat in fields.get("X", []):
                (xglobs.append(pat) if any(c in pat for c in "*?[")
                 else excl.append(pat))
            for pat in fields.get("N", []):
                # From the tree or a patch: only the bounded subset is
                # run (``N: ^(d+)+x$`` would hang), and only so many.
                why = unbounded_reason(pat)
                if why is None and kept[0] < MAX_N_PATTERNS:
                    re.compile(pat)     # a bad pattern fails here, as before
                    rxs.append(pat)
                    kept[0] += 1
                else:
                    skipped.append(pat)
            entries.append(_Entry(Subsystem(title, tuple(fields.get("M", [])),
                                            tuple(fields.get("L", []))),
                                  tuple(lit), tuple(globs), tuple(excl),
                                  tuple(xglobs), tuple(rxs)))

    for line in lines[start:]:
        m = re.match(r"([A-Z]):\s*(.*\S)", line)
        if m:
            fields.setdefault(m.group(1), []).append(m.group(2))
        elif line.strip() and not line.startswith((" ", "\t")):
            flush()
            title, fields = line.strip(), {}
    flush()
    if skipped:
        warnings.warn(f"MAINTAINERS: {len(skipped)} N: pattern(s) not used "
                      f"(outside the bounded regex subset, or over "
                      f"{MAX_N_PATTERNS}): {skipped[0][:60]!r}", Warning_,
                      stacklevel=2)
    return Maintainers(entries)
