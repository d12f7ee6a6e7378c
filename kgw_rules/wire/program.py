"""The bytecode container (docs/bytecode.md, "Layout"): ProgramImage and its codec.

``decode_program`` is the Python twin of the filter's configure-time check (wasm_filter/src/program.zig):
structure first (header, checksum, sections, limits, line table), then every phase's code
(kgw_rules.wire.verify). It accepts exactly the blobs the filter accepts.
"""
from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

from .errors import RegexFormatError, VerifyError
from .flags import FLAG_LINES, FLAG_WIDE, KNOWN_FLAGS, PHASE_FLAGS, PHASES
from .limits import MAX_CODE_BYTES, MAX_CONSTANTS, MAX_REGEXES, MAX_VARIABLES
from .opcodes import NARROW_CONSTANTS
from .reader import Reader, encode_blob, encode_uvarint, unzigzag, zigzag
from .regex import RegexProgram, decode_regex, encode_regex
from .verify import check_code

MAGIC = b"KGW"
VERSION = 2
START = MAGIC + bytes([VERSION])  # the first four bytes of every program of this version
# After them, four varints: flags, nvars, nconst, nregex. (The stack depth a program needs is what the
# verifier computes; the code of a phase is present only when its flag is set.)
HEADER_FIELDS = ("flags", "variables", "constants", "regexes")
MIN_HEADER_SIZE = len(START) + len(HEADER_FIELDS)
CHECKSUM = struct.Struct("<H")  # CRC-16/XMODEM of every byte before it (binascii.crc_hqx)


def checksum(data: bytes) -> int:
    return binascii.crc_hqx(data, 0)
# A constant starts with one varint: 2*len for a string (its bytes follow), 1 for an int (a varint holding
# its zigzag encoding follows). Strings, nearly every constant, cost no tag byte.
INT_MARK = 1
LINE_ENTRY = struct.Struct("<BIII")  # phase, pc, line, column

Constant = bytes | int


@dataclass(frozen=True)
class LineEntry:
    phase: int  # 0 request, 1 response
    pc: int
    line: int
    col: int


@dataclass
class ProgramImage:
    """Everything a program blob holds."""

    flags: int
    nvars: int
    constants: list[Constant]
    regexes: list[RegexProgram]
    code: tuple[bytes, bytes]  # request, response
    max_stack: int
    lines: list[LineEntry] | None = None


def is_wide(nconst: int) -> bool:
    return nconst > NARROW_CONSTANTS


def encode_program(image: ProgramImage, strip: bool = False) -> bytes:
    """The blob; `strip` leaves the line table out (what the controller ships)."""
    lines = None if strip else image.lines
    flags = image.flags & ~FLAG_LINES | (FLAG_LINES if lines is not None else 0)
    out = bytearray(START)
    for value in (flags, image.nvars, len(image.constants), len(image.regexes)):
        out += encode_uvarint(value)
    for c in image.constants:
        if isinstance(c, bytes):
            out += encode_uvarint(2 * len(c)) + c
        else:
            out += encode_uvarint(INT_MARK) + encode_uvarint(zigzag(c))
    for blob in [encode_regex(r) for r in image.regexes] + [c for c in image.code if c]:
        out += encode_blob(blob)
    if lines is not None:
        table = struct.pack("<I", len(lines)) + b"".join(LINE_ENTRY.pack(e.phase, e.pc, e.line, e.col) for e in lines)
        out += encode_blob(table)
    out += CHECKSUM.pack(checksum(bytes(out)))
    return bytes(out)


def decode_program(data: bytes) -> ProgramImage:
    """Decode and verify; any defect raises VerifyError with a precise reason."""
    data = bytes(data)
    if len(data) < MIN_HEADER_SIZE + CHECKSUM.size:
        raise VerifyError(f"truncated: {len(data)} bytes is shorter than the header")
    magic, version = data[:3], data[3]
    if magic != MAGIC:
        raise VerifyError(f"bad magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise VerifyError(f"unsupported format version {version}, this verifier reads version {VERSION}")
    (crc,) = CHECKSUM.unpack_from(data, len(data) - CHECKSUM.size)
    if checksum(data[:-CHECKSUM.size]) != crc:
        raise VerifyError("checksum mismatch")
    reader = Reader(data, VerifyError, len(START), len(data) - CHECKSUM.size)
    flags, nvars, nconst, nregex = (reader.varint(f"header {what}") for what in HEADER_FIELDS)
    if flags & ~KNOWN_FLAGS:
        raise VerifyError(f"unknown flags 0x{flags & ~KNOWN_FLAGS:04x}")
    for count, limit, what in ((nvars, MAX_VARIABLES, "variables"), (nconst, MAX_CONSTANTS, "constants"),
                               (nregex, MAX_REGEXES, "regexes")):
        if count > limit:
            raise VerifyError(f"{count} {what} exceeds the limit of {limit}")
    wide = bool(flags & FLAG_WIDE)
    if wide != is_wide(nconst):  # one encoding per program: WIDE exactly when a byte cannot index them all
        raise VerifyError(f"the WIDE flag {'is' if wide else 'is not'} set with {nconst} constants")
    constants = [_read_constant(reader, i) for i in range(nconst)]
    regexes = [_read_regex(reader, i) for i in range(nregex)]
    code = tuple(reader.blob(f"{name} code") if flags & bit else b"" for name, bit in zip(PHASES, PHASE_FLAGS,
                                                                                           strict=True))
    for phase, body in enumerate(code):
        if len(body) > MAX_CODE_BYTES:
            raise VerifyError(f"{PHASES[phase]} code is {len(body)} bytes; the limit is {MAX_CODE_BYTES}")
        if flags & PHASE_FLAGS[phase] and not body:
            raise VerifyError(f"{PHASES[phase]} phase flag is set but its code is empty")
    depth = max(check_code(body, PHASES[phase], constants, regexes, nvars, wide) for phase, body in enumerate(code))
    lines = _read_lines(reader, (code[0], code[1])) if flags & FLAG_LINES else None
    if reader.left:
        raise VerifyError(f"{reader.left} bytes left over after the last section")
    return ProgramImage(flags, nvars, constants, regexes, (code[0], code[1]), depth, lines)


def _read_constant(reader: Reader, i: int) -> Constant:
    head = reader.varint(f"constant {i}")
    if head & 1 == 0:
        return reader.take(head >> 1, f"constant {i}")
    if head == INT_MARK:
        return unzigzag(reader.varint(f"constant {i}", bits=64))
    raise VerifyError(f"constant {i} has unknown kind {head}")


def _read_regex(reader: Reader, i: int) -> RegexProgram:
    try:
        return decode_regex(reader.blob(f"regex {i}"))
    except RegexFormatError as err:
        raise VerifyError(f"regex {i}: {err}") from None


def _read_lines(reader: Reader, code: tuple[bytes, bytes]) -> list[LineEntry]:
    table = Reader(reader.blob("line table"), VerifyError)
    count = table.uint(4, "line table count")
    if table.left != LINE_ENTRY.size * count:
        raise VerifyError("line table length does not match its count")
    entries = [LineEntry(*LINE_ENTRY.unpack(table.take(LINE_ENTRY.size, "line entry"))) for _ in range(count)]
    for e in entries:
        if e.phase > 1 or e.pc >= max(1, len(code[e.phase])) or e.line == 0:
            raise VerifyError(f"line table entry out of range: {e}")
    return entries
