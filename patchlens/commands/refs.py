"""``patchlens refs``: every use of the named constants, with its role.

``refs NAME...``, ``refs --family F`` or ``refs --all``: the sites in
the tree, then the mentions; with ``--series`` also the sites in the
files the series changes, read from their post-images.  The text is
:mod:`patchlens.render.refs`.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK, InputError
from patchlens.extract.constants import ConstantTable, extract_constants
from patchlens.extract.profile import Profile
from patchlens.extract.scan import Scan, family_names
from patchlens.render.refs import as_json, as_text
from patchlens.session import Session, open_session

__all__ = ["run", "load_scan", "select_names"]


def load_scan(opts: argparse.Namespace
              ) -> tuple[Session, ConstantTable, Mapping[str, str], Scan,
                 Scan | None]:
    """(session, base constants, names, base scan, final scan or None)."""
    sess = open_session(opts)
    if sess.tree.info.kind == "none":
        raise InputError("--tree", "refs needs a kernel tree (--tree PATH)")
    asked = list(getattr(opts, "names", None) or ())
    # The tree-wide search starts now, while the parser loads and the
    # constants are read (a core would idle there).
    sess.start_scan(asked)
    table = extract_constants(sess.tree, sess.profile, context=sess.search)
    names = family_names(table)
    for n in asked:
        if n in names:
            continue
        if not n.replace("_", "a").isalnum() or n[0].isdigit():
            raise InputError("refs", f"not a C identifier: {n}")
        names[n] = "other"
    progress = not getattr(opts, "quiet", False)
    base = sess.scan(names, final=False, whole=True, progress=progress)
    final = sess.scan(names, progress=progress) \
        if sess.applied is not None else None
    return sess, table, base.names, base, final


def select_names(opts: argparse.Namespace, names: Mapping[str, str],
                 profile: Profile) -> list[str]:
    """The names the command line asks for."""
    if getattr(opts, "all", False):
        return sorted(names)
    fam = getattr(opts, "family", None)
    if fam:
        keys = {f.key for f in profile.families} | {"flagset"}
        if fam not in keys:
            raise InputError("--family", f"unknown family {fam!r} (one of "
                                         f"{', '.join(sorted(keys))})")
        return sorted(n for n, k in names.items() if k == fam)
    asked = list(getattr(opts, "names", None) or [])
    if not asked:
        raise InputError("refs", "name a constant, or use --family F or --all")
    return asked


def run(opts: argparse.Namespace) -> int:
    if not (opts.names or opts.family or opts.all):
        raise InputError("refs", "name a constant, or use --family F or --all")
    sess, _, names, scan, final = load_scan(opts)
    wanted = select_names(opts, names, sess.profile)
    show = as_json if opts.format == "json" else as_text
    emit(show(sess.tree.info.label, wanted, names, scan, final,
              sess.series_paths()), opts.output)
    return EXIT_OK
