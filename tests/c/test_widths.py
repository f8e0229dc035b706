"""The one table of C type widths and the one list of bit macros
(patchlens.c.widths), and that every stage reads them."""

from __future__ import annotations

import pytest

from patchlens.c.evaluate import evaluate
from patchlens.c.widths import (
    BIT_MACROS, C_TYPES, MASK_MACROS, STORAGE_TYPES, c_type, cast_bits,
    storage_bits)


@pytest.mark.parametrize("written, name", [
    ("unsigned long", "unsigned long"), ("long unsigned int", "unsigned long"),
    ("const unsigned long long", "unsigned long long"),
    ("unsigned", "unsigned"), ("signed int", "int"), ("short int", "short"),
    ("signed char", "signed char"), ("volatile u32", "u32"),
])
def test_types_as_written(written: str, name: str) -> None:
    t = c_type(written)
    assert t is not None and t.name == name


def test_unknown_types() -> None:
    assert c_type("struct msi_domain_info") is None
    assert c_type("float") is None
    assert c_type("") is None


def test_storage_bits_on_the_narrowest_build() -> None:
    # What the bit-width checks compare a bit number with.
    assert storage_bits("unsigned long") == (32, "unsigned long on 32-bit builds")
    assert storage_bits("u32") == (32, "u32")
    assert storage_bits("unsigned int") == (32, "unsigned int")
    assert storage_bits("int") == (31, "int (sign bit)")
    assert storage_bits("u16") == (16, "u16")
    assert storage_bits("u8") == (8, "u8")
    assert storage_bits("u64") == (64, "u64")
    assert storage_bits("unsigned long long") == (64, "unsigned long long")
    assert storage_bits("atomic_t") is None          # not a flags word
    assert storage_bits(None) is None


def test_casts_truncate_to_lp64_unsigned_widths() -> None:
    assert cast_bits(["unsigned", "long"]) == 64
    assert cast_bits(["u32"]) == 32 and cast_bits(["__le16"]) == 16
    assert cast_bits(["int"]) == 0 and cast_bits(["s64"]) == 0
    assert evaluate("(u8)0x1ff").value == 0xff
    assert evaluate("(unsigned short)-1").value == 0xffff
    assert evaluate("(long)-1").value == -1


def test_sizes_are_lp64_bytes() -> None:
    assert C_TYPES["unsigned long"].size == 8 and C_TYPES["unsigned long"].size32 == 4
    assert C_TYPES["spinlock_t"].size == 4 and not C_TYPES["spinlock_t"].integer
    assert all(C_TYPES[n].integer for n in STORAGE_TYPES)


def test_one_list_of_bit_macros() -> None:
    # The union of what the classifier, the evaluator and the bit-index
    # check each knew.
    assert set(BIT_MACROS) == {"BIT", "BIT_ULL", "BIT_MASK", "BIT_ULL_MASK",
                               "_BITUL", "_BITULL", "BIT_U32", "BIT_U64"}
    assert set(MASK_MACROS) == {"GENMASK", "GENMASK_ULL"}
    assert BIT_MACROS["BIT"].bits() == 32 and BIT_MACROS["BIT"].bits(False) == 64
    assert BIT_MACROS["BIT_ULL"].bits() == 64
    assert BIT_MACROS["BIT_U32"].bits() == 32


@pytest.mark.parametrize("text, value", [
    ("BIT(3)", 8), ("BIT_ULL(40)", 1 << 40), ("_BITUL(2)", 4), ("_BITULL(2)", 4),
    ("BIT_U32(5)", 32), ("BIT_U64(33)", 1 << 33), ("BIT_MASK(65)", 2),
    ("BIT_ULL_MASK(64)", 1), ("GENMASK(7, 4)", 0xf0), ("GENMASK_ULL(39, 32)", 0xff << 32),
])
def test_every_bit_macro_evaluates(text: str, value: int) -> None:
    assert evaluate(text).value == value
