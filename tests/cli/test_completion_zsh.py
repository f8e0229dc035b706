"""zsh completion (issue 17): the script ``patchlens completion zsh``
prints (shtab) is loaded by compinit in a clean ``zsh -f`` on a
pseudo-terminal (zsh's own zpty module) and completes as a user would
see it: ``patchlens rep<TAB>`` offers ``report``.  Skipped, with the
reason, where zsh or its zpty module is missing (apt-get install zsh;
.ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Drives an interactive ``zsh -f`` through zpty: the completion
# function in $1 on fpath, compinit, a compadd that prints every match
# it is given as <<match>>, then the words in $2 and a TAB.  Neither
# <<...>> nor READY nor DONE is in a line as typed: a loaded machine's
# pty echoes typed-ahead lines (again when zsh reads them), and an echo
# must not be taken for the answer (two echoes of a typed DONE once
# ended the read before the matches came: "no match at all").
DRIVER = r"""
zmodload zsh/zpty zsh/zselect || exit 3
dir=$1 line=$2
zpty z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''"
zpty -w z "fpath=(${(q)dir} \$fpath)"
zpty -w z "autoload -Uz compinit && compinit -u -D"
zpty -w z 'compadd () { local -a __hits; builtin compadd -O __hits "$@"; (( ${#__hits} )) && print -rl -- "<""<${^__hits}>"">"; builtin compadd "$@" }'
zpty -w z "print -r -- RE''ADY"
zpty -r z out '*READY*' || exit 4
zpty -n -w z "$line"$'\t'
# Nothing more is typed until the matches are shown (or 20 s pass):
# keys typed ahead of a completion can make zle skip it.
all=
for i in {1..200}; do
  if zpty -rt z out; then
    all+=$out
    [[ $all == *'>>'* ]] && break
  else
    zselect -t 10
  fi
done
zpty -n -w z $'\C-e\C-u print -r -- DO\'\'NE\n'
while zpty -r z out; do
  all+=$out
  [[ $all == *DONE* ]] && break
done
print -r -- "$all"
zpty -d z
"""


def _zsh() -> str:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed (apt-get install zsh): the "
                    "completion is checked with bash only")
    if subprocess.run([zsh, "-fc", "zmodload zsh/zpty"],
                      capture_output=True).returncode != 0:
        pytest.skip("this zsh has no zpty module")
    return zsh


def _offers(zsh: str, tmp_path: Path, words: str) -> set[str]:
    fdir = tmp_path / "functions"
    fdir.mkdir(exist_ok=True)
    script = subprocess.run(
        [sys.executable, "-m", "patchlens", "completion", "zsh"],
        capture_output=True, text=True, check=True).stdout
    (fdir / "_patchlens").write_text(script)
    driver = tmp_path / "drive.zsh"
    driver.write_text(DRIVER)
    r = subprocess.run([zsh, "-f", str(driver), str(fdir), words],
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "TERM": "dumb",
                            "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    out = r.stdout.replace("\r", "")
    return {part.split(">>", 1)[0] for part in out.split("<<")[1:]
            if ">>" in part}


def test_zsh_completes_the_command(tmp_path: Path) -> None:
    zsh = _zsh()
    assert _offers(zsh, tmp_path, "patchlens rep") == {"report"}


def test_zsh_completes_a_question_and_a_format(tmp_path: Path) -> None:
    zsh = _zsh()
    assert "accept" in _offers(zsh, tmp_path, "patchlens impact acc")
    assert "b4-check" in _offers(zsh, tmp_path,
                                 "patchlens check --format b4")
