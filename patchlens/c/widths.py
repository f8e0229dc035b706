"""C types and their widths, and the kernel's bit macros: one table each.

Every stage that needs to know how wide a C type is asks here: the
evaluator truncating a cast (``(u32)~0``), the struct-size derivation
(:mod:`patchlens.c.sizes`), the hazard checks comparing a bit number
with the word it is stored in, and the profile validating a family's
``storage``.  Sizes are given for both models the kernel builds in:
LP64 (64-bit builds) and ILP32 (the narrowest build, where ``long`` is
32 bits); each caller picks the one its question is about.

:data:`BIT_MACROS` lists the function-like macros whose argument is a
bit number (``BIT(nr)`` is ``1UL << nr``): the role classifier looks
through them, the evaluator computes them, the hazard checks read
their word width.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["CType", "C_TYPES", "c_type", "storage_bits", "cast_bits",
           "STORAGE_TYPES", "BitMacro", "BIT_MACROS", "bit_macro",
           "SHIFTING_BIT_MACROS", "MASK_MACROS", "TYPE_QUALIFIERS"]


@dataclass(frozen=True)
class CType:
    """A C type whose size is known without reading the tree.

    ``size`` is in bytes under LP64, ``size32`` on 32-bit builds.
    ``integer``: an arithmetic type a cast truncates to and a flags
    word can be stored in (``bool`` and the kernel's opaque structs
    such as ``atomic_t`` are not).  ``why`` says where the size comes
    from, for a reviewer checking a derivation.
    """

    name: str
    size: int
    size32: int
    signed: bool
    integer: bool
    why: str

    @property
    def bits(self) -> int:
        """Width in bits under LP64."""
        return self.size * 8


def _t(name: str, size: int, size32: int | None = None, *, signed: bool = False,
       integer: bool = True, why: str | None = None) -> CType:
    return CType(name, size, size if size32 is None else size32, signed, integer,
                 why if why is not None else name)


_LONG = "long (LP64)"
_ALL = (
    # The C base types (``char`` is signed on the kernel's main builds).
    _t("char", 1, signed=True, why="char"),
    _t("signed char", 1, signed=True, why="char"),
    _t("unsigned char", 1, why="char"),
    _t("short", 2, signed=True, why="short"),
    _t("unsigned short", 2, why="short"),
    _t("int", 4, signed=True, why="int"),
    _t("signed", 4, signed=True, why="int"),
    _t("signed int", 4, signed=True, why="int"),
    _t("unsigned int", 4, why="int"),
    _t("unsigned", 4, why="int"),
    _t("long", 8, 4, signed=True, why=_LONG),
    _t("unsigned long", 8, 4, why=_LONG),
    _t("long long", 8, signed=True, why="long long"),
    _t("unsigned long long", 8, why="long long"),
    _t("bool", 1, integer=False, why="bool"),
    _t("_Bool", 1, integer=False, why="bool"),
    # The kernel's fixed-width types (include/linux/types.h, uapi).
    _t("u8", 1), _t("__u8", 1), _t("s8", 1, signed=True), _t("__s8", 1, signed=True),
    _t("u16", 2), _t("__u16", 2), _t("s16", 2, signed=True), _t("__s16", 2, signed=True),
    _t("u32", 4), _t("__u32", 4), _t("s32", 4, signed=True), _t("__s32", 4, signed=True),
    _t("u64", 8), _t("__u64", 8), _t("s64", 8, signed=True), _t("__s64", 8, signed=True),
    _t("__le16", 2), _t("__be16", 2), _t("__le32", 4), _t("__be32", 4),
    _t("__le64", 8), _t("__be64", 8),
    # C99 fixed-width types.
    _t("uint8_t", 1), _t("uint16_t", 2), _t("uint32_t", 4), _t("uint64_t", 8),
    _t("int8_t", 1, signed=True), _t("int16_t", 2, signed=True),
    _t("int32_t", 4, signed=True), _t("int64_t", 8, signed=True),
    # Word-sized and configuration-sized kernel types (64-bit builds).
    _t("size_t", 8, 4, why="size_t (LP64)"),
    _t("ssize_t", 8, 4, signed=True, why="ssize_t (LP64)"),
    _t("uintptr_t", 8, 4, why="uintptr_t (LP64)"),
    _t("gfp_t", 4, why="gfp_t = unsigned int"),
    _t("irq_hw_number_t", 8, 4, why="irq_hw_number_t = unsigned long"),
    _t("phys_addr_t", 8, 4, why="phys_addr_t (64-bit)"),
    _t("dma_addr_t", 8, 4, why="dma_addr_t (64-bit)"),
    # Opaque kernel structs with a fixed size (debug options off).
    _t("atomic_t", 4, integer=False, why="atomic_t = { int }"),
    _t("atomic_long_t", 8, 4, integer=False,
       why="atomic_long_t = atomic64_t (LP64)"),
    _t("atomic64_t", 8, integer=False, why="atomic64_t"),
    _t("refcount_t", 4, integer=False, why="refcount_t = { atomic_t }"),
    _t("spinlock_t", 4, integer=False,
       why="spinlock_t = raw_spinlock_t = arch_spinlock_t, 4 bytes without "
           "lock debugging"),
    _t("raw_spinlock_t", 4, integer=False,
       why="raw_spinlock_t = arch_spinlock_t, 4 bytes without lock debugging"),
)

C_TYPES: Mapping[str, CType] = {t.name: t for t in _ALL}

# Words that qualify a type without changing its size or value.
TYPE_QUALIFIERS = frozenset({"const", "volatile", "__force"})
_SPECIFIERS = frozenset({"signed", "unsigned", "char", "short", "int", "long"})


def c_type(words: str | Iterable[str]) -> CType | None:
    """The entry for a type as written (``long unsigned int``,
    ``const u32``), or None.  Base-type words may come in any order, as
    C allows; qualifiers are dropped."""
    seq = words.split() if isinstance(words, str) else list(words)
    seq = [w for w in seq if w not in TYPE_QUALIFIERS]
    if not seq:
        return None
    if len(seq) == 1 or not set(seq) <= _SPECIFIERS:
        return C_TYPES.get(" ".join(seq))
    longs = seq.count("long")
    sign = "unsigned" if "unsigned" in seq else "signed" if "signed" in seq else ""
    if "char" in seq:
        base = "char"
    elif "short" in seq:
        base = "short"
    elif longs:
        base = " ".join(["long"] * longs)
    else:
        base = "int"
    if sign == "signed" and base != "char":
        sign = ""
    return C_TYPES.get(f"{sign} {base}".strip())


def storage_bits(name: str | None) -> tuple[int, str] | None:
    """Value bits of a flags word of type ``name`` on the narrowest
    build the kernel supports, and why (``unsigned long`` is 32 bits on
    32-bit builds; a signed type loses its sign bit)."""
    t = C_TYPES.get(name or "")
    if t is None or not t.integer:
        return None
    bits = t.size32 * 8 - (1 if t.signed else 0)
    why = t.name
    if t.size32 != t.size:
        why += " on 32-bit builds"
    if t.signed:
        why += " (sign bit)"
    return bits, why


def cast_bits(words: str | Iterable[str]) -> int:
    """Bits a cast to the type keeps under LP64: the width of an
    unsigned integer type, 0 (no truncation) for any other type."""
    t = c_type(words)
    return t.bits if t is not None and t.integer and not t.signed else 0


# The integer types a flags word may be declared with (a profile's
# ``storage``).
STORAGE_TYPES: tuple[str, ...] = tuple(t.name for t in _ALL if t.integer)


@dataclass(frozen=True)
class BitMacro:
    """A function-like macro whose argument is a bit number.

    ``word`` is the C type of its value (``BIT`` is ``unsigned long``);
    ``wraps``: the bit number is taken modulo the word's width
    (``BIT_MASK(nr)`` is ``1UL << (nr % BITS_PER_LONG)``).
    """

    name: str
    word: str
    wraps: bool = False

    def bits(self, narrowest: bool = True) -> int:
        """Width of the word, on the narrowest build or under LP64."""
        t = C_TYPES[self.word]
        return (t.size32 if narrowest else t.size) * 8


BIT_MACROS: Mapping[str, BitMacro] = {m.name: m for m in (
    BitMacro("BIT", "unsigned long"),
    BitMacro("BIT_ULL", "unsigned long long"),
    BitMacro("_BITUL", "unsigned long"),
    BitMacro("_BITULL", "unsigned long long"),
    BitMacro("BIT_U32", "u32"),
    BitMacro("BIT_U64", "u64"),
    BitMacro("BIT_MASK", "unsigned long", wraps=True),
    BitMacro("BIT_ULL_MASK", "unsigned long long", wraps=True),
)}

# The bit macros whose value is 1 shifted by their argument (not taken
# modulo the word width), longest name first: a regex alternation and
# a literal search read them in this order.
SHIFTING_BIT_MACROS: tuple[str, ...] = tuple(sorted(
    (m.name for m in BIT_MACROS.values() if not m.wraps), key=len, reverse=True))

# Macros building a mask of bits ``h`` down to ``l``: name -> word type.
MASK_MACROS: Mapping[str, str] = {"GENMASK": "unsigned long",
                                  "GENMASK_ULL": "unsigned long long"}


def bit_macro(name: str) -> BitMacro | None:
    """The bit macro called ``name``, or None."""
    return BIT_MACROS.get(name)
