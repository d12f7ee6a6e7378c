"""Binary form of a RegexProgram (layout in docs/regex.md) and its verifier.

`decode` is the Python twin of the Zig filter's configure-time check: it accepts exactly the blobs the
filter accepts and reports the first problem found, in file order.
"""
from __future__ import annotations

from .errors import RegexFormatError
from .opcodes import (ASSERT_KINDS, BY_CODE, FALLS_THROUGH, FORMAT_VERSION, MAX_CLASSES, MAX_GROUPS,
                      MAX_INSTRUCTIONS)
from .program import RegexProgram

HEADER_SIZE = 6
MAX_RANGES = 128  # a 256-bit set has at most 128 maximal runs
_WHAT = {"target": "jump target", "class": "class index", "assert": "assertion kind"}


def encode(prog: RegexProgram) -> bytes:
    out = bytearray((FORMAT_VERSION, prog.ngroups))
    out += len(prog.insts).to_bytes(2, "little")
    out += len(prog.classes).to_bytes(2, "little")
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
        for operand, value in zip(BY_CODE[op].operands, (a, b)):
            out += value.to_bytes(operand.width, "little")
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


def _read_class(r: "_Reader", k: int) -> int:
    count = r.uint(1, f"range count of class {k}")
    if count > MAX_RANGES:
        raise RegexFormatError(f"class {k} has {count} ranges; at most {MAX_RANGES}")
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


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise RegexFormatError(
                f"truncated: {what} needs {n} bytes at offset {self.pos}, only {len(self.data) - self.pos} left")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def uint(self, width: int, what: str) -> int:
        return int.from_bytes(self.take(width, what), "little")


def decode(data) -> RegexProgram:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise RegexFormatError(f"expected bytes, got {type(data).__name__}")
    r = _Reader(bytes(data))
    version = r.uint(1, "header")
    if version != FORMAT_VERSION:
        raise RegexFormatError(f"unsupported format version {version} (expected {FORMAT_VERSION})")
    ngroups = r.uint(1, "header")
    ninst = r.uint(2, "header")
    nclasses = r.uint(2, "header")
    if ngroups > MAX_GROUPS:
        raise RegexFormatError(f"too many capture groups: {ngroups} > {MAX_GROUPS}")
    if ninst == 0:
        raise RegexFormatError("empty program: no instructions")
    if ninst > MAX_INSTRUCTIONS:
        raise RegexFormatError(f"too many instructions: {ninst} > {MAX_INSTRUCTIONS}")
    if nclasses > MAX_CLASSES:
        raise RegexFormatError(f"too many classes: {nclasses} > {MAX_CLASSES}")
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
    classes = [_read_class(r, k) for k in range(nclasses)]
    nslots = 2 + 2 * ngroups
    limits = {"target": ninst, "class": nclasses, "assert": len(ASSERT_KINDS)}
    insts = []
    for pc in range(ninst):
        at = r.pos
        code = r.uint(1, f"opcode of instruction {pc}")
        op = BY_CODE.get(code)
        if op is None:
            raise RegexFormatError(f"unknown opcode {code} at instruction {pc} (offset {at})")
        values = [0, 0]
        for k, operand in enumerate(op.operands):
            value = r.uint(operand.width, f"operand of instruction {pc} ({op.name})")
            if operand.role == "slot":
                if not 2 <= value < nslots:
                    raise RegexFormatError(
                        f"save slot {value} out of range at instruction {pc}: slots are 2..{nslots - 1}"
                        if ngroups else f"save slot {value} at instruction {pc} in a program without groups")
            elif operand.role in limits and value >= limits[operand.role]:
                raise RegexFormatError(
                    f"{_WHAT[operand.role]} {value} out of range at instruction {pc} ({op.name}): "
                    f"must be below {limits[operand.role]}")
            values[k] = value
        insts.append((code, values[0], values[1]))
    if insts[-1][0] in FALLS_THROUGH:
        raise RegexFormatError(
            f"last instruction {ninst - 1} ({BY_CODE[insts[-1][0]].name}) falls through past the end of the program")
    if r.pos != len(r.data):
        raise RegexFormatError(f"{len(r.data) - r.pos} trailing bytes after the last instruction (offset {r.pos})")
    return RegexProgram(insts, classes, ngroups, names)
