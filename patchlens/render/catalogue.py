"""The finding catalogue as text (``patchlens check --list-findings``,
as ``checkpatch.pl --list-types``): one line per code -- code,
severity, evidence, summary -- and, under a code with a second
severity, that severity and the rule choosing it."""

from __future__ import annotations

from collections.abc import Iterable

from patchlens.findings import Message

__all__ = ["render_catalogue"]


def render_catalogue(messages: Iterable[Message]) -> str:
    rows = list(messages)
    code_w = max((len(m.code) for m in rows), default=4)
    sev_w = max(len("severity"), *(len(m.severity.name) for m in rows))
    ev_w = max(len("evidence"), *(len(m.evidence.value) for m in rows))
    out = [f"{'code':<{code_w}}  {'severity':<{sev_w}}  "
           f"{'evidence':<{ev_w}}  summary"]
    for m in rows:
        out.append(f"{m.code:<{code_w}}  {m.severity.name:<{sev_w}}  "
                   f"{m.evidence.value:<{ev_w}}  {m.summary}")
        if m.lesser is not None:
            out.append(f"{'':<{code_w}}  {m.lesser.name:<{sev_w}}  "
                       f"{'':<{ev_w}}  when {m.lesser_when}")
    return "\n".join(out) + "\n"
