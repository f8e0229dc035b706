"""C text with its comments and string literals blanked, read without
parsing: a name found in what is left is used by the code, not merely
mentioned ("DOMAIN_BUS_NEXUS is gone" in a comment is no use).

Line structure is kept (a blanked comment keeps its newlines), so line
numbers of what is left are the file's.
"""

from __future__ import annotations

import re

__all__ = ["code_only"]

# One alternation, left to right, so a quote inside a comment or a
# comment opener inside a string is never taken for what it is not.
_TOKEN = re.compile(r"""/\*.*?(?:\*/|\Z)|//[^\n]*|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?""",
                    re.S)


def _blank(m: re.Match[str]) -> str:
    text = m.group(0)
    if text.startswith(("/*", "//")):
        return re.sub(r"[^\n]", " ", text)
    return text[0] + " " * max(len(text) - 2, 0) + text[-1] \
        if len(text) > 1 else text


def code_only(text: str) -> str:
    """``text`` with every comment and string or character literal
    blanked (quotes kept, contents replaced by spaces); newlines stay."""
    return _TOKEN.sub(_blank, text)
