"""CLI manners as git and checkpatch have them (issue 17): one error
prefix and a "did you mean", --color and NO_COLOR, --ignore, git config
defaults, --verbose, a progress line on a terminal only, the working
tree as git grep reads it, --help examples, completion and man page."""

from __future__ import annotations

import contextlib
import io
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from patchlens import session
from patchlens.cli import EXAMPLES, build_parser, main, man_page
from patchlens.commands import common
from patchlens.commands.common import use_color
from patchlens.text import table

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"
SERIES = str(DEMO / "series.mbox")
TREE = str(DEMO / "tree")
ESC = "\x1b["


def run(*argv: str, cwd: str | Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child: for what is about the process
    (its exit status, a pipe, the cache a later run finds)."""
    full = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "patchlens", *argv],
                          cwd=cwd, env=full, capture_output=True, text=True,
                          timeout=120, check=False)


def call(*argv: str, cwd: str | Path | None = None,
         env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    """:func:`run`'s answer from ``patchlens.cli.main`` in this process:
    for what the command says, not how the process behaves (its stdout
    here is no terminal, as in :func:`run`).  The environment and cwd
    are the child's; --verbose lists only this call's sessions, and the
    colour a call turns on ends with it."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ), mock.patch.dict(common._COLOR), \
            mock.patch.object(session, "_OPENED", []), \
            contextlib.chdir(cwd or os.getcwd()), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        os.environ.pop("NO_COLOR", None)
        os.environ.update(env or {})
        try:
            status = main(list(argv))
        except SystemExit as exc:   # argparse's usage errors
            status = exc.code if isinstance(exc.code, int) else 2
    return subprocess.CompletedProcess(list(argv), status, out.getvalue(),
                                       err.getvalue())


def run_pty(argv: list[str], *, stdout_tty: bool, stderr_tty: bool,
            env: dict[str, str] | None = None, cwd: str | None = None
            ) -> tuple[int, str, str]:
    """Run patchlens with stdout and/or stderr on a pseudo-terminal."""
    master, slave = pty.openpty()
    full = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full.update(env or {})
    full.setdefault("TERM", "xterm")
    proc = subprocess.Popen(
        [sys.executable, "-m", "patchlens", *argv], cwd=cwd, env=full,
        stdin=subprocess.DEVNULL,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave if stderr_tty else subprocess.PIPE)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    out, err = proc.communicate(timeout=120)
    term = b"".join(chunks).decode("utf-8", "replace")
    piped_out = (out or b"").decode()
    piped_err = (err or b"").decode()
    return (proc.returncode, term if stdout_tty else piped_out,
            term if stderr_tty else piped_err)


# -- errors ---------------------------------------------------------------

def test_misspelt_command_one_prefix_and_a_suggestion() -> None:
    r = run("reprot")                 # the entry point's status and line
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("patchlens: ")
    assert not lines[0].startswith("patchlens: patchlens:")
    assert lines[0].endswith("did you mean report?")


def test_misspelt_choice_in_a_subcommand() -> None:
    r = call("report", SERIES, "--format", "jsn")
    assert r.returncode == 2
    assert r.stderr.startswith("patchlens: report: argument --format")
    assert r.stderr.rstrip().endswith("did you mean json?")


# -- colour ---------------------------------------------------------------

def test_color_always_never_and_pipes() -> None:
    base = ("check", SERIES, "--tree", TREE, "--format", "terse")
    always = call(*base, "--color=always")
    assert f"{ESC}31mERROR{ESC}0m:" in always.stdout
    assert f"{ESC}33mWARNING{ESC}0m:" in always.stdout
    assert ESC not in call(*base, "--color=never").stdout
    assert ESC not in run(*base).stdout               # auto, a pipe
    assert ESC not in call(*base, "--color=always", "--format", "json").stdout


def test_color_auto_on_a_terminal_and_no_color() -> None:
    argv = ["check", SERIES, "--tree", TREE, "--format", "terse"]
    _, out, _ = run_pty(argv, stdout_tty=True, stderr_tty=False)
    assert f"{ESC}31mERROR" in out
    _, out, _ = run_pty(argv, stdout_tty=True, stderr_tty=False,
                        env={"NO_COLOR": "1"})
    assert "ERROR" in out and ESC not in out
    _, out, _ = run_pty(argv + ["--color=never"], stdout_tty=True,
                        stderr_tty=False)
    assert "ERROR" in out and ESC not in out


def test_use_color_rules() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True
    assert use_color("auto", Tty(), {})
    assert not use_color("auto", Tty(), {"NO_COLOR": "1"})
    assert not use_color("auto", Tty(), {"TERM": "dumb"})
    assert use_color("always", Tty(), {"NO_COLOR": "1"})
    assert not use_color("never", Tty(), {})


# -- --ignore -------------------------------------------------------------

def test_ignore_drops_codes_and_refuses_unknown_ones() -> None:
    base = ("check", SERIES, "--tree", TREE, "--format", "terse")
    full = call(*base)
    assert "bit-collision" in full.stdout and "enum-shift" in full.stdout
    fewer = call(*base, "--ignore", "bit-collision,enum-shift")
    assert "bit-collision" not in fewer.stdout
    assert "enum-shift" not in fewer.stdout
    assert fewer.stdout.count("\n") < full.stdout.count("\n")
    bad = call(*base, "--ignore", "bit-colision")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "patchlens: --ignore: unknown finding code bit-colision; "
        "did you mean bit-collision?"]
    rep = call("report", SERIES, "--tree", TREE, "--format", "json",
              "--ignore", "bit-collision")
    assert '"bit-collision"' not in rep.stdout


# -- git config -----------------------------------------------------------

def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_git_config_defaults_and_the_command_line_wins(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "patchlens.tree", TREE)
    _git(tmp_path, "config", "patchlens.failOn", "check")
    _git(tmp_path, "config", "patchlens.color", "always")
    r = call("check", SERIES, "--format", "terse", cwd=tmp_path)
    assert "bit-collision" in r.stdout             # the tree was read
    assert ESC in r.stdout                         # colour from config
    assert r.returncode == 1
    r = call("check", SERIES, "--format", "terse", "--color=never",
            "--ignore", "bit-collision,used-before-defined", "--fail-on",
            "error", cwd=tmp_path)
    assert ESC not in r.stdout and r.returncode == 0
    r = call("check", SERIES, "--no-tree", "--format", "json", cwd=tmp_path)
    assert '"patch_only": true' in r.stdout or "patch-only" in r.stdout
    _git(tmp_path, "config", "patchlens.failOn", "sometimes")
    r = call("check", SERIES, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("patchlens: git config patchlens.failon:")


# -- --verbose and progress ----------------------------------------------

def test_verbose_says_stages_and_counts(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    quiet = call("report", SERIES, "--tree", TREE, env=env)
    assert quiet.stderr == ""
    r = call("report", SERIES, "--tree", TREE, "--verbose", env=env)
    assert r.stdout == quiet.stdout
    assert "patchlens: stages: series" in r.stderr
    assert "apply" in r.stderr and "patchlens: total" in r.stderr
    assert "searched" in r.stderr and "files parsed" in r.stderr
    again = run("report", SERIES, "--tree", TREE, "--verbose", env=env)
    assert " 0 files parsed" in again.stderr      # warm: all from the cache
    #                            (a new process: the cache on disk)


def test_progress_one_line_on_a_terminal_only(tmp_path: Path) -> None:
    argv = ["refs", "--all", "--tree", TREE, "--no-cache"]
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    _, _, err = run_pty(argv, stdout_tty=False, stderr_tty=True, env=env)
    assert "\rpatchlens: parsing" in err
    assert "\n" not in err.replace("\r\n", "\n").rstrip("\n")
    assert err.endswith(f"\r{ESC}K")               # the line is erased
    _, _, err = run_pty(argv + ["-q"], stdout_tty=False, stderr_tty=True,
                        env=env)
    assert err == ""
    r = run(*argv, env=env)
    assert r.stderr == ""                          # not a terminal


def test_progress_covers_the_first_search(tmp_path: Path) -> None:
    """A cold report: the literal search over the tree says what it
    reads before anything is parsed, on the same one line."""
    argv = ["report", SERIES, "--tree", TREE]
    env = {"XDG_CACHE_HOME": str(tmp_path / "cold")}
    _, _, err = run_pty(argv, stdout_tty=False, stderr_tty=True, env=env)
    searching = err.find("\rpatchlens: searching the tree (")
    assert searching != -1, err
    assert "files read" in err or "file read" in err
    parsing = err.find("\rpatchlens: parsing")
    assert parsing == -1 or searching < parsing
    assert "\n" not in err.replace("\r\n", "\n").rstrip("\n")
    assert err.endswith(f"\r{ESC}K")               # the line is erased
    env = {"XDG_CACHE_HOME": str(tmp_path / "quiet")}
    _, _, err = run_pty(argv + ["-q"], stdout_tty=False, stderr_tty=True,
                        env=env)
    assert err == ""
    env = {"XDG_CACHE_HOME": str(tmp_path / "piped")}
    assert run(*argv, env=env).stderr == ""          # not a terminal


# -- the tree line and the working tree -----------------------------------

def test_working_tree_is_read_as_git_grep_does(tmp_path: Path) -> None:
    work = tmp_path / "linux"
    shutil.copytree(TREE, work)
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm",
         "base")
    clean = call("constants", "--format", "json", cwd=work)
    assert clean.returncode == 0
    msi = work / "include" / "linux" / "msi.h"
    text = msi.read_text()
    msi.write_text(text.replace("#endif", "#define MSI_FLAG_B4CLI_TEST\t"
                                "BIT(30)\n#endif", 1))
    edited = call("constants", cwd=work)
    assert "MSI_FLAG_B4CLI_TEST" in edited.stdout
    assert "the working tree" in " ".join(edited.stdout.split())
    head = call("constants", "--rev", "HEAD", cwd=work)
    assert "MSI_FLAG_B4CLI_TEST" not in head.stdout
    rep = call("report", SERIES, cwd=work)
    tree_line = [ln for ln in rep.stdout.splitlines()
                 if ln.startswith("Tree")][0]
    assert "working tree" in " ".join(rep.stdout.split("Applied")[0].split())
    assert tree_line


def test_tree_line_says_each_fact_once(tmp_path: Path) -> None:
    work = tmp_path / "linux"
    shutil.copytree(TREE, work)
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm",
         "base")
    r = call("report", SERIES, "--rev", "HEAD", cwd=work)
    head = " ".join(r.stdout.split("Applied")[0].split())
    assert head.count("names no base-commit") <= 1


def test_table_never_splits_a_file_line() -> None:
    rows = [("arch/x86/kernel/apic/msi.c:186", "check",
             "x86_init_dev_msi_info", "a note long enough to wrap twice "
             "or three times in its column")]
    lines = table(("where", "role", "function", "note"), rows)
    assert all(len(ln) <= 72 for ln in lines)
    text = "\n".join(lines)
    assert "msi.c:186" in text
    assert "msi.c:1\n" not in text


# -- markdown -------------------------------------------------------------

def test_markdown_quotes_diff_lines_in_a_fenced_block() -> None:
    r = call("report", SERIES, "--tree", TREE, "--format", "markdown")
    body = r.stdout.split("## Review", 1)[1]
    if "```diff" not in body:
        pytest.skip("the demo thread has no reply quoting patch lines")
    assert "\n> +" not in body and "\n> -" not in body


# -- help, completion, man page -------------------------------------------

def _subcommands() -> list[list[str]]:
    parser = build_parser()
    out = []
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            for name, sp in action.choices.items():
                nested = [a for a in sp._actions
                          if isinstance(getattr(a, "choices", None), dict)]
                if nested:
                    out += [[name, q] for q in nested[0].choices]
                else:
                    out.append([name])
    return out


@pytest.mark.parametrize("words", _subcommands(), ids=" ".join)
def test_every_subcommand_help_has_examples(words: list[str],
                                            capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([*words, "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out
    examples = [ln for ln in out.split("examples:")[1].splitlines()
                if ln.strip()]
    assert 2 <= len(examples) <= 3
    assert words[-1] in EXAMPLES
    # every positional is explained
    positional = out.split("positional arguments:")
    if len(positional) > 1:
        block = positional[1].split("options:")[0]
        for ln in block.splitlines():
            if ln.startswith("  ") and not ln.startswith("   "):
                assert len(ln.split()) > 1, ln   # name and its help


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts(shell: str, tmp_path: Path) -> None:
    r = call("completion", shell)
    assert r.returncode == 0
    for word in ("report", "check", "--format", "--ignore", "b4-check"):
        assert word in r.stdout
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed: syntax not checked")
    script = tmp_path / f"patchlens.{shell}"
    script.write_text(r.stdout)
    assert subprocess.run([binary, "-n", str(script)],
                          capture_output=True).returncode == 0


def test_man_page_is_current_and_renders() -> None:
    shipped = (REPO / "docs" / "man" / "patchlens.1").read_text()
    assert shipped == man_page(), "run `make man`"
    for word in ("patchlens check", "\\-\\-ignore", "NO_COLOR",
                 "patchlens.failOn", "Examples:"):
        assert word in shipped
    man = shutil.which("man")
    if man is None:
        pytest.skip("man is not installed")
    r = subprocess.run([man, "-l", str(REPO / "docs" / "man" / "patchlens.1")],
                       capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="80", PAGER="cat"))
    assert "patchlens report" in r.stdout
