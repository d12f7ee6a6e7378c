"""The bytecode container: encode a Program to bytes, and decode + verify bytes into a Program."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from .limits import MAX_CODE_BYTES, MAX_CONSTANTS, MAX_REGEXES, MAX_STACK, MAX_VARIABLES
from .regex import RegexFormatError, RegexProgram
from .varint import VarintError, decode_uvarint, encode_uvarint, unzigzag, zigzag
from .verify import VerifyError, check_code

MAGIC = b"KGWB"
VERSION = 1
FLAG_REQUEST, FLAG_RESPONSE, FLAG_REQUEST_BODY, FLAG_RESPONSE_BODY, FLAG_LINES = 1, 2, 4, 8, 16
KNOWN_FLAGS = 31
TAG_STRING, TAG_INT = 1, 2
HEADER = struct.Struct("<4sBBHHHBBH")
PHASES = ("request", "response")

Constant = bytes | int


@dataclass(frozen=True)
class LineEntry:
    phase: int  # 0 request, 1 response
    pc: int
    line: int
    col: int


@dataclass
class Program:
    """A verified (or freshly compiled) rules program."""

    flags: int
    nvars: int
    constants: list[Constant]
    regexes: list[RegexProgram]
    code: tuple[bytes, bytes]  # request, response
    max_stack: int
    lines: list[LineEntry] | None = None
    source: str | None = field(default=None, compare=False)  # the text it came from, when compiled here
    filename: str = field(default="<bytecode>", compare=False)
    warnings: list = field(default_factory=list, compare=False)

    def to_bytes(self, strip: bool = False) -> bytes:
        flags = self.flags & ~FLAG_LINES
        with_lines = self.lines is not None and not strip
        if with_lines:
            flags |= FLAG_LINES
        out = bytearray(HEADER.pack(MAGIC, VERSION, 0, flags, self.nvars, len(self.constants),
                                    len(self.regexes), 0, self.max_stack))
        for c in self.constants:
            if isinstance(c, bytes):
                out += bytes([TAG_STRING]) + encode_uvarint(len(c)) + c
            else:
                out += bytes([TAG_INT]) + encode_uvarint(zigzag(c))
        for blob in [r.to_bytes() for r in self.regexes] + list(self.code):
            out += encode_uvarint(len(blob)) + blob
        if with_lines:
            table = struct.pack("<I", len(self.lines))
            table += b"".join(struct.pack("<BIII", e.phase, e.pc, e.line, e.col) for e in self.lines)
            out += encode_uvarint(len(table)) + table
        out += struct.pack("<I", zlib.crc32(out))
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Program":
        """Decode and verify; any defect raises VerifyError with a precise reason."""
        return _decode(bytes(data))

    @property
    def needs_request_body(self) -> bool:
        return bool(self.flags & FLAG_REQUEST_BODY)

    @property
    def needs_response_body(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE_BODY)

    @property
    def has_response_phase(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE)

    def environment_names(self) -> list[str]:
        """The environment variables the code reads (`env("NAME")`, ENV operands), sorted: what a
        deployment must pass to the filter's VM (Envoy vm_config.environment_variables.host_env_keys)."""
        from .verify import decode_code

        names = {self.constants[ins.operands[0]] for code in self.code for ins in decode_code(code)
                 if ins.op.name == "ENV"}
        return sorted(n.decode("utf-8", "replace") for n in names)

    def disassemble(self) -> str:
        from .disasm import disassemble

        return disassemble(self)


class _Reader:
    def __init__(self, data: bytes, end: int):
        self.data, self.pos, self.end = data, HEADER.size, end

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > self.end:
            raise VerifyError(f"truncated {what} at byte {self.pos}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varint(self, what: str, bits: int = 32) -> int:
        try:
            value, self.pos = decode_uvarint(self.data, self.pos, self.end, bits)
        except VarintError as err:
            raise VerifyError(f"{what}: {err}") from None
        return value

    def blob(self, what: str) -> bytes:
        return self.take(self.varint(what + " length"), what)


def _decode(data: bytes) -> Program:
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
    reader = _Reader(data, len(data) - 4)
    constants: list[Constant] = []
    for i in range(nconst):
        tag = reader.take(1, f"constant {i}")[0]
        if tag == TAG_STRING:
            constants.append(reader.blob(f"constant {i}"))
        elif tag == TAG_INT:
            constants.append(unzigzag(reader.varint(f"constant {i}", bits=64)))
        else:
            raise VerifyError(f"constant {i} has unknown tag {tag}")
    regexes = []
    for i in range(nregex):
        try:
            regexes.append(RegexProgram.from_bytes(reader.blob(f"regex {i}")))
        except RegexFormatError as err:
            raise VerifyError(f"regex {i}: {err}") from None
    code = (reader.blob("request code"), reader.blob("response code"))
    for phase, body, bit in ((0, code[0], FLAG_REQUEST), (1, code[1], FLAG_RESPONSE)):
        if len(body) > MAX_CODE_BYTES:
            raise VerifyError(f"{PHASES[phase]} code is {len(body)} bytes; the limit is {MAX_CODE_BYTES}")
        if bool(body) != bool(flags & bit):
            raise VerifyError(f"{PHASES[phase]} phase flag does not match its code")
    depth = 0
    for phase, body in enumerate(code):
        depth = max(depth, check_code(body, PHASES[phase], constants, regexes, nvars))
    if depth != max_stack:
        raise VerifyError(f"header says max stack {max_stack}, the code needs {depth}")
    lines = _decode_lines(reader, code) if flags & FLAG_LINES else None
    if reader.pos != reader.end:
        raise VerifyError(f"{reader.end - reader.pos} bytes left over after the last section")
    return Program(flags, nvars, constants, regexes, code, max_stack, lines)


def _decode_lines(reader: _Reader, code: tuple[bytes, bytes]) -> list[LineEntry]:
    table = reader.blob("line table")
    if len(table) < 4:
        raise VerifyError("truncated line table")
    (count,) = struct.unpack_from("<I", table)
    if len(table) != 4 + 13 * count:
        raise VerifyError("line table length does not match its count")
    entries = [LineEntry(*struct.unpack_from("<BIII", table, 4 + 13 * i)) for i in range(count)]
    for e in entries:
        if e.phase > 1 or e.pc >= max(1, len(code[e.phase])) or e.line == 0:
            raise VerifyError(f"line table entry out of range: {e}")
    return entries
