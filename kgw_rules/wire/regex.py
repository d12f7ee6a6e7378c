"""Regex programs (docs/regex.md, "Binary format"): the matcher's instruction set, the RegexProgram data
class, and its codec.

``decode_regex`` is the Python twin of the Zig filter's configure-time check: it accepts exactly the blobs
the filter accepts and reports the first problem found, in file order. Renumbering an opcode or an
assertion kind changes the binary format (bump ``FORMAT_VERSION``). A regex program is only ever stored
inside a bytecode program, so its version is the program's and is not written again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import RegexFormatError
from .limits import MAX_CLASS_RANGES, MAX_REGEX_CLASSES, MAX_REGEX_GROUPS, MAX_REGEX_INSTRUCTIONS
from .reader import Reader, encode_uvarint

FORMAT_VERSION = 2
VARINT = 0  # an operand width: LEB128 (jump targets and class indexes, mostly below 128)


class Operand(NamedTuple):
    role: str  # byte | class | target | slot | assert
    width: int  # bytes, little-endian, or VARINT


class Opcode(NamedTuple):
    code: int
    name: str
    operands: tuple[Operand, ...]
    meaning: str


_U8 = 1

OPCODES: tuple[Opcode, ...] = (
    Opcode(0, "MATCH", (), "the thread matches; threads of lower priority are dropped"),
    Opcode(1, "BYTE", (Operand("byte", _U8),), "consume one byte equal to the operand"),
    Opcode(2, "CLASS", (Operand("class", VARINT),), "consume one byte whose bit is set in the class table entry"),
    Opcode(3, "ANY_NOT_NL", (), "consume one byte other than 0x0A"),
    Opcode(4, "ANY", (), "consume any one byte"),
    Opcode(5, "SPLIT", (Operand("target", VARINT), Operand("target", VARINT)),
           "continue at the first target, and with lower priority at the second"),
    Opcode(6, "JMP", (Operand("target", VARINT),), "continue at the target"),
    Opcode(7, "SAVE", (Operand("slot", _U8),), "store the current position in a capture slot, then fall through"),
    Opcode(8, "ASSERT", (Operand("assert", _U8),), "fall through only if the zero-width condition holds here"),
    Opcode(9, "BYTE_FOLD", (Operand("letter", _U8),),
           "consume one byte equal to the operand (a lower-case ASCII letter) or to its upper case: (?i) letters"),
)

BY_NAME = {op.name: op for op in OPCODES}
BY_CODE = {op.code: op for op in OPCODES}

MATCH, BYTE, CLASS, ANY_NOT_NL, ANY, SPLIT, JMP, SAVE, ASSERT, BYTE_FOLD = (BY_NAME[n].code for n in (
    "MATCH", "BYTE", "CLASS", "ANY_NOT_NL", "ANY", "SPLIT", "JMP", "SAVE", "ASSERT", "BYTE_FOLD"))

# Opcodes after which execution continues at pc + 1; the verifier forbids them as the last instruction.
FALLS_THROUGH = frozenset((BYTE, CLASS, ANY_NOT_NL, ANY, SAVE, ASSERT, BYTE_FOLD))


class AssertKind(NamedTuple):
    code: int
    name: str
    meaning: str


ASSERT_KINDS: tuple[AssertKind, ...] = (
    AssertKind(0, "text_start", "position 0 of the whole input (^, \\A)"),
    AssertKind(1, "text_end", "position len(input) ($, \\z)"),
    AssertKind(2, "word_boundary", "exactly one of the bytes before and after is [0-9A-Za-z_] (\\b)"),
    AssertKind(3, "not_word_boundary", "not a word boundary (\\B)"),
)
TEXT_START, TEXT_END, WORD_BOUNDARY, NOT_WORD_BOUNDARY = range(4)

Instruction = tuple[int, int, int]  # (opcode, a, b); unused operands are 0


@dataclass(frozen=True)
class RegexProgram:
    """A compiled (or decoded and verified) matcher program.

    Slots 2k and 2k+1 hold the start and end of capture group k (k >= 1). Group 0 (the whole match)
    has no SAVE instructions: the matcher records where each thread started and where it matched.
    """

    insts: tuple[Instruction, ...]
    classes: tuple[int, ...]  # 256-bit byte sets
    ngroups: int
    group_names: tuple[str | None, ...]  # group 0 first (always None)
    pattern: str | None = field(default=None, compare=False)  # None when decoded from bytes
    # the matcher kgw_rules.regex builds on first use; a cache, not part of the program
    matcher: object = field(default=None, compare=False, repr=False)

    def __repr__(self) -> str:
        what = repr(self.pattern) if self.pattern is not None else f"{len(self.insts)} instructions"
        return f"<RegexProgram {what}>"


def encode_regex(prog: RegexProgram) -> bytes:
    out = bytearray((prog.ngroups,))
    out += encode_uvarint(len(prog.insts)) + encode_uvarint(len(prog.classes))
    for name in prog.group_names[1:]:
        raw = name.encode("utf-8") if name else b""
        out.append(len(raw))
        out += raw
    for mask in prog.classes:
        ranges = mask_to_ranges(mask)
        out.append(len(ranges))
        for lo, hi in ranges:
            out += bytes((lo, hi))
    for op, a, b in prog.insts:
        out.append(op)
        for operand, value in zip(BY_CODE[op].operands, (a, b), strict=False):
            out += encode_uvarint(value) if operand.width == VARINT else value.to_bytes(operand.width, "little")
    return bytes(out)


def mask_to_ranges(mask: int) -> list[tuple[int, int]]:
    """The maximal runs of set bits of a 256-bit byte set, in order: the canonical class encoding."""
    ranges: list[tuple[int, int]] = []
    v = 0
    while v < 256:
        if mask >> v & 1:
            start = v
            while v < 256 and mask >> v & 1:
                v += 1
            ranges.append((start, v - 1))
        else:
            v += 1
    return ranges


_WHAT = {"target": "jump target", "class": "class index", "assert": "assertion kind"}


def _read_class(r: Reader, k: int) -> int:
    count = r.uint(1, f"range count of class {k}")
    if count > MAX_CLASS_RANGES:
        raise RegexFormatError(f"class {k} has {count} ranges; at most {MAX_CLASS_RANGES}")
    mask, previous_hi = 0, -2
    for i in range(count):
        lo, hi = r.take(2, f"range {i} of class {k}")
        if lo > hi:
            raise RegexFormatError(f"range {i} of class {k} is reversed: {lo} > {hi}")
        if lo <= previous_hi + 1:
            raise RegexFormatError(f"range {i} of class {k} overlaps or touches the previous one")
        mask |= ((1 << (hi - lo + 1)) - 1) << lo
        previous_hi = hi
    return mask


def _valid_name(name: str) -> bool:
    return (name[0] == "_" or name[0].isascii() and name[0].isalpha()) and all(
        c == "_" or c.isascii() and c.isalnum() for c in name)


def _read_names(r: Reader, ngroups: int) -> list[str | None]:
    names: list[str | None] = [None]
    for group in range(1, ngroups + 1):
        raw = r.take(r.uint(1, f"name length of group {group}"), f"name of group {group}")
        if not raw:
            names.append(None)
            continue
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RegexFormatError(f"name of group {group} is not valid UTF-8") from None
        if not _valid_name(name):
            raise RegexFormatError(f"name of group {group} is not a valid group name: {name!r}")
        if name in names:
            raise RegexFormatError(f"duplicate group name {name!r} (group {group})")
        names.append(name)
    return names


def _read_instruction(r: Reader, pc: int, limits: dict[str, int], nslots: int) -> Instruction:
    at = r.pos
    code = r.uint(1, f"opcode of instruction {pc}")
    op = BY_CODE.get(code)
    if op is None:
        raise RegexFormatError(f"unknown opcode {code} at instruction {pc} (offset {at})")
    values = [0, 0]
    for k, operand in enumerate(op.operands):
        what = f"operand of instruction {pc} ({op.name})"
        value = r.varint(what) if operand.width == VARINT else r.uint(operand.width, what)
        if operand.role == "letter" and not 0x61 <= value <= 0x7A:
            raise RegexFormatError(f"BYTE_FOLD operand {value} at instruction {pc} is not a lower-case ASCII letter")
        if operand.role == "slot":
            if not 2 <= value < nslots:
                raise RegexFormatError(
                    f"save slot {value} out of range at instruction {pc}: slots are 2..{nslots - 1}"
                    if nslots > 2 else f"save slot {value} at instruction {pc} in a program without groups")
        elif operand.role in limits and value >= limits[operand.role]:
            raise RegexFormatError(
                f"{_WHAT[operand.role]} {value} out of range at instruction {pc} ({op.name}): "
                f"must be below {limits[operand.role]}")
        values[k] = value
    return (code, values[0], values[1])


def decode_regex(data: bytes | bytearray | memoryview) -> RegexProgram:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise RegexFormatError(f"expected bytes, got {type(data).__name__}")
    r = Reader(bytes(data), RegexFormatError)
    ngroups, ninst, nclasses = r.uint(1, "header"), r.varint("header"), r.varint("header")
    if ngroups > MAX_REGEX_GROUPS:
        raise RegexFormatError(f"too many capture groups: {ngroups} > {MAX_REGEX_GROUPS}")
    if ninst == 0:
        raise RegexFormatError("empty program: no instructions")
    if ninst > MAX_REGEX_INSTRUCTIONS:
        raise RegexFormatError(f"too many instructions: {ninst} > {MAX_REGEX_INSTRUCTIONS}")
    if nclasses > MAX_REGEX_CLASSES:
        raise RegexFormatError(f"too many classes: {nclasses} > {MAX_REGEX_CLASSES}")
    names = _read_names(r, ngroups)
    classes = [_read_class(r, k) for k in range(nclasses)]
    limits = {"target": ninst, "class": nclasses, "assert": len(ASSERT_KINDS)}
    insts = [_read_instruction(r, pc, limits, 2 + 2 * ngroups) for pc in range(ninst)]
    if insts[-1][0] in FALLS_THROUGH:
        raise RegexFormatError(
            f"last instruction {ninst - 1} ({BY_CODE[insts[-1][0]].name}) falls through past the end of the program")
    if r.left:
        raise RegexFormatError(f"{r.left} trailing bytes after the last instruction (offset {r.pos})")
    return RegexProgram(tuple(insts), tuple(classes), ngroups, tuple(names))
