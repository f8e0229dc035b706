"""Profiles: families are data; bad profiles are one-line input errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.errors import InputError
from patchlens.extract.constants import extract_constants
from patchlens.extract.profile import load_profile
from patchlens.tree import open_tree

EXTRACT = Path(__file__).resolve().parents[2] / "fixtures" / "extract"


def test_default_profile() -> None:
    p = load_profile(None)
    assert [f.key for f in p.families] == ["bus_token", "msi_flag", "domain_id"]
    flag = p.family("msi_flag")
    assert flag is not None and flag.kind == "bit"
    assert flag.masks == ("MSI_GENERIC_FLAGS_MASK", "MSI_DOMAIN_FLAGS_MASK")
    assert p.family("bus_token").enum == "irq_domain_bus_token"  # type: ignore[union-attr]
    assert "irq_domain_bus_token" in p.prefilter
    assert any(m.function == "msi_get_virq" and m.arg == 0 for m in p.matchers)
    assert any(s.name == "msi_parent_ops" for s in p.structs)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "p.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, what", [
    ("", "empty profile"),
    ("name = 'x'\n", "no [[family]]"),
    ("bogus = 1\n[[family]]\nkey='a'\nprefix='A_'\n", "unknown key 'bogus'"),
    ("[[family]]\nkey='a'\nprefix='A_'\ncolour='red'\n", "unknown key 'colour'"),
    ("[[family]]\nprefix='A_'\n", "missing 'key'"),
    ("[[family]]\nkey='a'\n", "needs 'enum' or 'prefix'"),
    ("[[family]]\nkey='a'\nprefix='A_'\nkind='colour'\n", "kind must be"),
    ("[[family]]\nkey='a'\nprefix='A_'\nmasks='M'\n", "must be a list"),
    ("[[family]]\nkey='a'\nprefix='A_'\nstorage='float'\n", "storage must be"),
    ("[[family]]\nkey='a'\nprefix='A_'\n[[family]]\nkey='a'\nprefix='B_'\n",
     "defined twice"),
    ("family = 3\n", "array of tables"),
    ("[[family]\n", "not valid TOML"),
    ("[[family]]\nkey='a'\nprefix='A_'\n[[matcher]]\nfunction='f'\narg=-1\n",
     "argument index"),
    ("[[family]]\nkey='a'\nenum='e'\nown_subjects=['(unclosed']\n",
     "own_subjects: bad regex"),
])
def test_bad_profiles_name_the_file(tmp_path: Path, text: str, what: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        load_profile(path)
    assert exc.value.where == path
    assert what in exc.value.what


def test_misspelt_field_meaning_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in a struct field's meaning used to disable the checks
    reading that field silently; now the profile is refused in one
    line and the run exits 2."""
    from patchlens.cli import main
    from patchlens.extract.profile import default_profile_text
    text = default_profile_text().decode().replace(
        'supported_flags = "supports"', 'supported_flags = "suports"')
    assert "suports" in text
    path = write(tmp_path, text)
    rc = main(["constants", "--tree", str(EXTRACT / "tree"), "--profile", path])
    err = capsys.readouterr().err
    assert rc == 2
    assert err == (f"patchlens: {path}: struct 'msi_parent_ops': field "
                   "'supported_flags': meaning 'suports' is not one of "
                   "sets, supports, requires\n")


def test_missing_and_binary_profile(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such profile"):
        load_profile(str(tmp_path / "none.toml"))
    with pytest.raises(InputError, match="directory"):
        load_profile(str(tmp_path))
    bad = tmp_path / "b.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="UTF-8"):
        load_profile(str(bad))


def test_second_family_set_needs_no_code_change() -> None:
    """IRQ_DOMAIN_FLAG_* by prefix and an IRQCHIP_* enum by tag."""
    profile = load_profile(str(EXTRACT / "irqdomain-flags.toml"))
    table = extract_constants(open_tree(str(EXTRACT / "tree"), None), profile)
    dom = {c.name: c.bit for c in table.by_family("domain_flag")}
    assert dom == {"IRQ_DOMAIN_FLAG_HIERARCHY": 0, "IRQ_DOMAIN_FLAG_IPI_PER_CPU": 2,
                   "IRQ_DOMAIN_FLAG_IPI_SINGLE": 3, "IRQ_DOMAIN_FLAG_MSI": 4,
                   "IRQ_DOMAIN_FLAG_NONCORE": 16}
    chip = {c.name: c.bit for c in table.by_family("irqchip_flag")}
    assert chip == {"IRQCHIP_SET_TYPE_MASKED": 0, "IRQCHIP_EOI_IF_HANDLED": 1,
                    "IRQCHIP_MASK_ON_SUSPEND": 2, "IRQCHIP_ONOFFLINE_ENABLED": 3}
    assert all(c.file == "include/linux/irqdomain.h" for c in table.constants)
    # The default families are not there: the profile swapped them out.
    assert table.get("MSI_FLAG_PCI_MSIX") is None


FAM = "[[family]]\nkey='a'\nprefix='A_'\n"


@pytest.mark.parametrize("text, what", [
    (FAM + "[[callback]]\nparams=['int']\n", "missing 'name'"),
    (FAM + "[[callback]]\nname='cb'\n", "needs 'params'"),
    (FAM + "[[callback]]\nname='cb'\nparams=['int']\nchild=['info']\n",
     "not an origin"),
    (FAM + "[[callback]]\nname='cb'\nparams=['int']\ncolour=['x']\n",
     "unknown key 'colour'"),
    (FAM + "[[selection]]\nstruct='s'\ntoken='t'\n", "missing 'mask'"),
    (FAM + "[filters]\ncore='kernel/'\n", "must be a list"),
])
def test_bad_filter_tables(tmp_path: Path, text: str, what: str) -> None:
    with pytest.raises(InputError) as exc:
        load_profile(write(tmp_path, text))
    assert what in exc.value.what


def test_default_profile_filter_tables() -> None:
    """Which filters decide on a child is data: callbacks by prototype,
    the select fields, the core folder."""
    p = load_profile(None)
    cb = {c.name: c for c in p.callbacks}
    assert cb["init_dev_msi_info"].child == ("arg 3",)
    assert cb["init_dev_msi_info"].params[3] == "struct msi_domain_info *"
    assert cb["msi_prepare"].child == ("arg 0", "arg 0->host_data")
    assert cb["select"].lookup == ("arg 2",)
    assert [(s.struct, s.token, s.mask) for s in p.selections] == [
        ("msi_parent_ops", "bus_select_token", "bus_select_mask")]
    assert p.core == ("kernel/irq/",)
