"""The bytecode container (docs/bytecode.md, "Layout"): ProgramImage and its codec.

``decode_program`` is the Python twin of the filter's configure-time check (wasm_filter/src/program.zig):
structure first (header, checksum, sections, limits, line table), then every phase's code
(kgw_rules.wire.verify). It accepts exactly the blobs the filter accepts.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .errors import RegexFormatError, VerifyError
from .flags import FLAG_LINES, KNOWN_FLAGS, PHASE_FLAGS, PHASES
from .limits import MAX_CODE_BYTES, MAX_CONSTANTS, MAX_REGEXES, MAX_STACK, MAX_VARIABLES
from .reader import Reader, encode_blob, encode_uvarint, unzigzag, zigzag
from .regex import RegexProgram, decode_regex, encode_regex
from .verify import check_code

MAGIC = b"KGWB"
VERSION = 1
TAG_STRING, TAG_INT = 1, 2
HEADER = struct.Struct("<4sBBHHHBBH")  # magic, version, 0, flags, nvars, nconst, nregex, 0, max stack
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


def encode_program(image: ProgramImage, strip: bool = False) -> bytes:
    """The blob; `strip` leaves the line table out (what the controller ships)."""
    lines = None if strip else image.lines
    flags = image.flags & ~FLAG_LINES | (FLAG_LINES if lines is not None else 0)
    out = bytearray(HEADER.pack(MAGIC, VERSION, 0, flags, image.nvars, len(image.constants),
                                len(image.regexes), 0, image.max_stack))
    for c in image.constants:
        if isinstance(c, bytes):
            out += bytes([TAG_STRING]) + encode_blob(c)
        else:
            out += bytes([TAG_INT]) + encode_uvarint(zigzag(c))
    for blob in [encode_regex(r) for r in image.regexes] + list(image.code):
        out += encode_blob(blob)
    if lines is not None:
        table = struct.pack("<I", len(lines)) + b"".join(LINE_ENTRY.pack(e.phase, e.pc, e.line, e.col) for e in lines)
        out += encode_blob(table)
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def decode_program(data: bytes) -> ProgramImage:
    """Decode and verify; any defect raises VerifyError with a precise reason."""
    data = bytes(data)
    if len(data) < HEADER.size + 4:
        raise VerifyError(f"truncated: {len(data)} bytes is shorter than the header")
    magic, version, reserved, flags, nvars, nconst, nregex, reserved2, max_stack = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise VerifyError(f"bad magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise VerifyError(f"unsupported format version {version}, this verifier reads version {VERSION}")
    if reserved or reserved2:
        raise VerifyError("reserved header bytes must be zero")
    if flags & ~KNOWN_FLAGS:
        raise VerifyError(f"unknown flags 0x{flags & ~KNOWN_FLAGS:04x}")
    (crc,) = struct.unpack_from("<I", data, len(data) - 4)
    if zlib.crc32(data[:-4]) != crc:
        raise VerifyError("checksum mismatch")
    for count, limit, what in ((nvars, MAX_VARIABLES, "variables"), (nconst, MAX_CONSTANTS, "constants"),
                               (nregex, MAX_REGEXES, "regexes"), (max_stack, MAX_STACK, "stack depth")):
        if count > limit:
            raise VerifyError(f"{count} {what} exceeds the limit of {limit}")
    reader = Reader(data, VerifyError, HEADER.size, len(data) - 4)
    constants = [_read_constant(reader, i) for i in range(nconst)]
    regexes = [_read_regex(reader, i) for i in range(nregex)]
    code = (reader.blob("request code"), reader.blob("response code"))
    for phase, body in enumerate(code):
        if len(body) > MAX_CODE_BYTES:
            raise VerifyError(f"{PHASES[phase]} code is {len(body)} bytes; the limit is {MAX_CODE_BYTES}")
        if bool(body) != bool(flags & PHASE_FLAGS[phase]):
            raise VerifyError(f"{PHASES[phase]} phase flag does not match its code")
    depth = max(check_code(body, PHASES[phase], constants, regexes, nvars) for phase, body in enumerate(code))
    if depth != max_stack:
        raise VerifyError(f"header says max stack {max_stack}, the code needs {depth}")
    lines = _read_lines(reader, code) if flags & FLAG_LINES else None
    if reader.left:
        raise VerifyError(f"{reader.left} bytes left over after the last section")
    return ProgramImage(flags, nvars, constants, regexes, code, max_stack, lines)


def _read_constant(reader: Reader, i: int) -> Constant:
    tag = reader.uint(1, f"constant {i}")
    if tag == TAG_STRING:
        return reader.blob(f"constant {i}")
    if tag == TAG_INT:
        return unzigzag(reader.varint(f"constant {i}", bits=64))
    raise VerifyError(f"constant {i} has unknown tag {tag}")


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
