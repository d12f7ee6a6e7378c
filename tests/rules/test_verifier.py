"""The verifier refuses each kind of malformed bytecode with a precise reason."""
import struct
import zlib

import pytest

import kgw_rules
from kgw_rules import Program, VerifyError
from kgw_rules.wire.opcodes import BY_NAME, OPERAND_STRUCTS
from kgw_rules.wire.program import HEADER

SOURCE = '''
on request {
  if path ~ r"^/v1/(?P<rest>.*)$" { set path = "/v2/{rest}" }
  set header x-a = lower(default(header("x-b"), "z"))
}
on response { set status = 201 }
'''
GOOD = kgw_rules.compile(SOURCE).to_bytes(strip=True)


def _seal(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


def _program(request_code: bytes, response_code: bytes = b"", constants=(b"x-a", 5), nvars: int = 1,
             max_stack: int | None = None) -> bytes:
    """Hand-assembled bytecode; max_stack defaults to what the verifier would compute."""
    flags = (1 if request_code else 0) | (2 if response_code else 0)
    prog = Program(flags, nvars, list(constants), [], (request_code, response_code), max_stack or 0)
    blob = prog.to_bytes()
    if max_stack is None:
        try:
            Program.from_bytes(blob)
        except VerifyError as err:
            message = str(err)
            if message.startswith("header says max stack"):
                needed = int(message.rsplit(" ", 1)[1])
                prog.max_stack = needed
                blob = prog.to_bytes()
    return blob


def op(name: str, *operands: int) -> bytes:
    o = BY_NAME[name]
    packing = OPERAND_STRUCTS[o.fmt]
    return bytes([o.code]) + (packing.pack(*operands) if packing else b"")


def test_good_program_is_accepted():
    assert Program.from_bytes(GOOD).to_bytes(strip=True) == GOOD


@pytest.mark.parametrize("blob,reason", [
    (b"", "truncated"),
    (b"XGWB" + GOOD[4:], "bad magic"),
    (GOOD[:4] + b"\x02" + GOOD[5:], "unsupported format version 2"),
    (GOOD[:-1] + bytes([GOOD[-1] ^ 1]), "checksum mismatch"),
    (_seal(GOOD[:5] + b"\x01" + GOOD[6:-4]), "reserved header bytes must be zero"),
    (_seal(GOOD[:6] + struct.pack("<H", 0x40 | 3) + GOOD[8:-4]), "unknown flags 0x0040"),
    (_seal(GOOD[:-5]), "truncated"),
    (_seal(GOOD[:-4] + b"\x00"), "bytes left over"),
])
def test_container_defects(blob, reason):
    with pytest.raises(VerifyError, match=reason):
        Program.from_bytes(blob)


def test_limits_in_the_header():
    magic, version, r1, flags, nvars, nconst, nregex, r2, stack = HEADER.unpack_from(GOOD)
    for field, value, reason in (("nvars", 257, "257 variables exceeds the limit of 256"),
                                 ("nconst", 4097, "4097 constants exceeds the limit of 4096"),
                                 ("nregex", 65, "65 regexes exceeds the limit of 64"),
                                 ("stack", 257, "257 stack depth exceeds the limit of 256")):
        values = dict(nvars=nvars, nconst=nconst, nregex=nregex, stack=stack)
        values[field] = value
        head = HEADER.pack(magic, version, r1, flags, values["nvars"], values["nconst"], values["nregex"], r2,
                           values["stack"])
        with pytest.raises(VerifyError, match=reason):
            Program.from_bytes(_seal(head + GOOD[HEADER.size:-4]))


@pytest.mark.parametrize("code,reason", [
    (b"\xff", "unknown opcode 0xff at pc 0"),
    (op("CONST", 0)[:2], "truncated CONST at pc 0"),
    (op("CONST", 9) + op("POP"), "constant 9 out of range"),
    (op("HDR", 1) + op("POP"), "operand 1 is not a string constant"),
    (op("LOAD", 3) + op("POP"), "variable 3 out of range"),
    (op("MATCH", 0) + op("POP"), "regex 0 out of range"),
    (op("FIELD", 42) + op("POP"), "field 42 out of range"),
    (op("FIELD", 5) + op("POP"), "field status is only readable in the response phase"),
    (op("SET_STATUS"), "SET_STATUS at pc 0 is not allowed in the request phase"),
    (op("JMP", 100), "jumps to 103, past the end"),
    (op("JMP", 1) + op("CONST", 0) + op("POP"), "jumps to 4, inside an instruction"),
    (op("POP"), "stack underflow at pc 0"),
    (op("CONST", 0), "the request phase ends with 1 values on the stack"),
    (op("CONST", 0) + op("STOP"), "STOP at pc 3 leaves 1 values on the stack"),
    (op("TRUE") + op("JMPF", 4) + op("CONST", 0) + op("POP"), None),
    (op("TRUE") + op("JMPF", 3) + op("CONST", 0), "stack depths 0 and 1 disagree"),
    (op("RESPOND", 700, 0, 0), "status 700 outside 200-599"),
    (op("CONST", 0) + op("IN", 0) + op("POP"), "needs at least one item"),
])
def test_code_defects(code, reason):
    blob = _program(code)
    if reason is None:
        Program.from_bytes(blob)
        return
    with pytest.raises(VerifyError, match=reason):
        Program.from_bytes(blob)


def test_declared_stack_depth_must_match():
    blob = _program(op("CONST", 0) + op("CONST", 0) + op("CONCAT", 2) + op("POP"), max_stack=7)
    with pytest.raises(VerifyError, match="header says max stack 7, the code needs 2"):
        Program.from_bytes(blob)


def test_phase_flag_must_match_its_code():
    prog = Program.from_bytes(GOOD)
    prog.flags &= ~2  # claims no response phase but carries response code
    with pytest.raises(VerifyError, match="response phase flag does not match its code"):
        Program.from_bytes(prog.to_bytes())


def test_unreachable_code_is_checked_for_operands_only():
    blob = _program(op("STOP") + op("POP") + op("CONST", 0))  # dead code with a bad stack is fine
    Program.from_bytes(blob)
    with pytest.raises(VerifyError, match="constant 7 out of range"):
        Program.from_bytes(_program(op("STOP") + op("CONST", 7)))


PSEUDO = (b"x-a", 5, b":path")  # constant 2 is a pseudo-header name


@pytest.mark.parametrize("code", [
    op("HDR", 2) + op("POP"),
    op("CONST", 0) + op("HDR_ALL", 2) + op("POP"),
    op("REQ_HDR", 2) + op("POP"),
    op("CONST", 0) + op("SET_HDR", 2),
    op("CONST", 0) + op("ADD_HDR", 2),
    op("DEL_HDR", 2),
    op("REN_HDR", 2, 0),
    op("REN_HDR", 0, 2),
])
def test_header_opcodes_refuse_pseudo_header_names(code):
    # the compiler never emits one; the engines would otherwise disagree on what `:path` means here
    with pytest.raises(VerifyError, match=r"header name b':path' is a pseudo-header"):
        Program.from_bytes(_program(code, constants=PSEUDO))


@pytest.mark.parametrize("code", [op("QUERY", 2) + op("POP"), op("ENV", 2) + op("POP"), op("CONST", 2) + op("POP")])
def test_a_colon_name_is_fine_where_no_header_is_named(code):
    Program.from_bytes(_program(code, constants=PSEUDO))


def test_env_takes_a_string_constant():
    with pytest.raises(VerifyError, match="ENV at pc 0: operand 1 is not a string constant"):
        Program.from_bytes(_program(op("ENV", 1) + op("POP"), constants=PSEUDO))
    Program.from_bytes(_program(op("ENV", 0) + op("RANDOM_ID") + op("CONCAT", 2) + op("POP"), constants=PSEUDO))
