"""A stage's warning reaches the user as one line, like every message."""

from __future__ import annotations

from pathlib import Path

from patchlens.cli import main
from tests.cshapes import adding_patch, c_shape


def test_a_warning_is_one_prefixed_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mbox = tmp_path / "deep.mbox"
    # Past the syntax-depth limit: c/parse.py warns that the file is not read.
    mbox.write_text(adding_patch("drivers/x/deep.c", c_shape("elseif", 12000, 7)))
    main(["report", str(mbox), "--no-tree"])
    err = capsys.readouterr().err.splitlines()
    warned = [l for l in err if "nested deeper than" in l]
    assert warned == ["patchlens: warning: drivers/x/deep.c: not read: "
                      "nested deeper than 20000 syntax levels"]
    assert not any(".py:" in l for l in err)
