"""No regular expression that sees input may backtrack catastrophically.

Every regex of the mail stage, the diff parser, the commands and the
renderers -- module-level patterns and the literal patterns passed to
``re.*`` inside functions (found in the source) -- is fed worst-case
strings: for each repetition in the pattern, the shortest text that
reaches it, then 50 KB of characters the repetition accepts (one kind,
or two alternating), then a character that makes the match fail.  Each
pattern must answer every such string within the bound.
"""

from __future__ import annotations

import ast
import importlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

try:                       # Python 3.11+
    import re._parser as sre_parse  # type: ignore[import-not-found]
    from re._constants import (ANY, AT, ATOMIC_GROUP, BRANCH, CATEGORY,
                               IN, LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE,
                               NOT_LITERAL, POSSESSIVE_REPEAT, RANGE,
                               SUBPATTERN)
except ImportError:  # pragma: no cover
    pytest.skip("needs Python 3.11's re internals", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "patchlens"
SOURCES = sorted([*(PACKAGE / "mail").glob("*.py"), PACKAGE / "diff.py",
                  *(PACKAGE / "commands").glob("*.py"),
                  *(PACKAGE / "render").glob("*.py")])
SIZE = 50_000
BOUND = 0.5          # seconds per pattern and input, on a busy machine

# Representatives of the character categories a pattern may name.
_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "7", "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a", "CATEGORY_NOT_WORD": " ",
    "CATEGORY_LINEBREAK": "\n", "CATEGORY_NOT_LINEBREAK": "a",
}
_PROBES = " \taZ0-+>:@[]/,.(){}=#\n\r\"'<*x"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def _literal_patterns(path: Path) -> Iterator[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    """Patterns written as literals in calls to ``re.<function>``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, (str, bytes))):
            continue
        flags = 0
        for arg in list(node.args[1:]) + [k.value for k in node.keywords
                                          if k.arg == "flags"]:
            for name in ast.walk(arg):
                if isinstance(name, ast.Attribute) and isinstance(name.value, ast.Name) \
                        and name.value.id == "re" and hasattr(re, name.attr) \
                        and isinstance(getattr(re, name.attr), re.RegexFlag):
                    flags |= getattr(re, name.attr)
        yield (f"{path.name}:{node.lineno}",
               re.compile(node.args[0].value, flags))


def _module_patterns(path: Path) -> Iterator[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    mod = importlib.import_module(_module_name(path))
    for name, value in sorted(vars(mod).items()):
        if isinstance(value, re.Pattern):
            yield f"{path.name}:{name}", value


def all_patterns() -> list[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    seen: dict[tuple[object, int], str] = {}
    out = []
    for path in SOURCES:
        for label, rx in [*_module_patterns(path), *_literal_patterns(path)]:
            key = (rx.pattern, rx.flags)
            if key not in seen:
                seen[key] = label
                out.append((label, rx))
    return out


def _accepted(node: list[tuple[object, object]]) -> str:
    """Characters the first position of a parsed (sub)pattern accepts."""
    chars = ""
    for op, av in node:
        if op is LITERAL:
            return chr(av)  # type: ignore[arg-type]
        if op is NOT_LITERAL or op is ANY:
            return "".join(c for c in _PROBES if ord(c) != av)
        if op is IN:
            items = av  # type: ignore[assignment]
            negate = any(o is NEGATE for o, _ in items)
            ok = set()
            for c in _PROBES + "".join(_CATEGORY_CHARS.values()):
                hit = False
                for o, a in items:
                    if o is LITERAL and ord(c) == a:
                        hit = True
                    elif o is RANGE and a[0] <= ord(c) <= a[1]:
                        hit = True
                    elif o is CATEGORY and re.match(
                            {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D",
                             "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S",
                             "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W",
                             "CATEGORY_LINEBREAK": r"\n",
                             "CATEGORY_NOT_LINEBREAK": r"[^\n]"}.get(str(a), "(?!)"), c):
                        hit = True
                if hit != negate:
                    ok.add(c)
            return "".join(sorted(ok))
        if op in (SUBPATTERN, ATOMIC_GROUP):
            sub = av[-1] if op is SUBPATTERN else av  # type: ignore[index]
            return _accepted(list(sub))
        if op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
            chars += _accepted(list(av[2]))  # type: ignore[index]
            if av[0] > 0:  # type: ignore[index]
                return chars
            continue
        if op is BRANCH:
            return chars + "".join(_accepted(list(b)) for b in av[1])  # type: ignore[index]
        if op is AT:
            continue
    return chars


def _shortest(node: list[tuple[object, object]]) -> str:
    """A short string the (sub)pattern matches, roughly."""
    out = []
    for op, av in node:
        if op is LITERAL:
            out.append(chr(av))  # type: ignore[arg-type]
        elif op in (NOT_LITERAL, ANY, IN):
            acc = _accepted([(op, av)])
            out.append(acc[:1] or "a")
        elif op in (SUBPATTERN, ATOMIC_GROUP):
            out.append(_shortest(list(av[-1] if op is SUBPATTERN else av)))  # type: ignore[index]
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
            out.append(_shortest(list(av[2])) * av[0])  # type: ignore[index]
        elif op is BRANCH:
            out.append(_shortest(list(av[1][0])))  # type: ignore[index]
    return "".join(out)


def _attacks(pattern: str) -> Iterator[str]:
    """Prefix (reaching a repetition) + a long run it accepts + a stopper."""
    parsed = list(sre_parse.parse(pattern))

    def walk(node: list[tuple[object, object]], prefix: str) -> Iterator[str]:
        for k, (op, av) in enumerate(node):
            before = prefix + _shortest(node[:k])
            if op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
                body = list(av[2])  # type: ignore[index]
                acc = _accepted(body) or "a"
                # the next element too: what the run is confused with
                after = _accepted(node[k + 1:]) or ""
                for c in dict.fromkeys(acc[:6] + after[:3]):
                    yield before + c * SIZE + "\x00"
                for a, b in zip(acc[:4], (acc[1:5] + after[:2])):
                    if a != b:
                        yield before + (a + b) * (SIZE // 2) + "\x00"
                yield from walk(body, before)
            elif op in (SUBPATTERN, ATOMIC_GROUP):
                yield from walk(list(av[-1] if op is SUBPATTERN else av), before)  # type: ignore[index]
            elif op is BRANCH:
                for b in av[1]:  # type: ignore[index]
                    yield from walk(list(b), before)

    seen: set[str] = set()
    for s in walk(parsed, ""):
        for text in (s, s.replace("\n", " "), "\n".join([s[:64]] * 2) + s):
            if text not in seen:
                seen.add(text)
                yield text


PATTERNS = all_patterns()


def test_the_patterns_are_found() -> None:
    labels = {label for label, _ in PATTERNS}
    assert any(label.startswith("trailers.py") for label in labels)
    assert any(label.startswith("diff.py") for label in labels)
    assert len(PATTERNS) > 20


@pytest.mark.parametrize("label,rx", PATTERNS, ids=[l for l, _ in PATTERNS])
def test_regex_is_linear_on_worst_case_input(label: str, rx: re.Pattern[str]) -> None:
    pattern = rx.pattern if isinstance(rx.pattern, str) else rx.pattern.decode("latin-1")
    for text in _attacks(pattern):
        subject: str | bytes = text if isinstance(rx.pattern, str) \
            else text.encode("latin-1", errors="replace")
        t0 = time.perf_counter()
        for _ in rx.finditer(subject):  # type: ignore[arg-type]
            pass
        took = time.perf_counter() - t0
        assert took < BOUND, (f"{label}: {rx.pattern!r} took {took:.2f} s on "
                              f"{text[:40]!r}... ({len(text)} chars)")
