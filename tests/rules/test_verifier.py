"""The verifier refuses each kind of malformed bytecode with a precise reason."""

import pytest

import kgw_rules
from kgw_rules import Program, VerifyError
from kgw_rules.exchange import Request
from kgw_rules.vm import run_exchange
from kgw_rules.wire.opcodes import BY_NAME, OPERAND_STRUCTS
from kgw_rules.wire.program import CHECKSUM, checksum
from kgw_rules.wire.reader import encode_uvarint

SOURCE = '''
on request {
  if path ~ r"^/v1/(?P<rest>.*)$" { set path = "/v2/{rest}" }
  set header x-a = lower(default(header("x-b"), "z"))
}
on response { set status = 201 }
'''
GOOD = kgw_rules.compile(SOURCE).to_bytes(strip=True)


def _seal(body: bytes) -> bytes:
    return body + CHECKSUM.pack(checksum(body))


def _program(request_code: bytes, response_code: bytes = b"", constants=(b"x-a", 5), nvars: int = 1) -> bytes:
    """Hand-assembled bytecode (the stack depth is not in the blob: the verifier computes it)."""
    flags = (1 if request_code else 0) | (2 if response_code else 0)
    return Program(flags, nvars, list(constants), [], (request_code, response_code), 0).to_bytes()


def _header(flags: int, nvars: int, nconst: int, nregex: int) -> bytes:
    return b"KGW\x02" + b"".join(encode_uvarint(v) for v in (flags, nvars, nconst, nregex))


def op(name: str, *operands: int) -> bytes:
    o = BY_NAME[name]
    packing = OPERAND_STRUCTS[o.fmt]
    return bytes([o.code]) + (packing.pack(*operands) if packing else b"")


def test_good_program_is_accepted():
    assert Program.from_bytes(GOOD).to_bytes(strip=True) == GOOD


@pytest.mark.parametrize("blob,reason", [
    (b"", "truncated"),
    (b"XGW" + GOOD[3:], "bad magic"),
    (GOOD[:3] + b"\x01" + GOOD[4:], "unsupported format version 1"),
    (GOOD[:-1] + bytes([GOOD[-1] ^ 1]), "checksum mismatch"),
    (_seal(GOOD[:4] + b"\xc3\x00" + GOOD[5:-2]), "overlong varint"),
    (_seal(GOOD[:4] + b"\x43" + GOOD[5:-2]), "unknown flags 0x0040"),
    (_seal(GOOD[:-3]), "truncated"),
    (_seal(GOOD[:-2] + b"\x00"), "bytes left over"),
])
def test_container_defects(blob, reason):
    with pytest.raises(VerifyError, match=reason):
        Program.from_bytes(blob)


def test_limits_in_the_header():
    program = Program.from_bytes(GOOD)
    values = dict(flags=program.flags, nvars=program.nvars, nconst=len(program.constants),
                  nregex=len(program.regexes))
    rest = GOOD[len(_header(**values)):-2]
    for field, value, reason in (("nvars", 257, "257 variables exceeds the limit of 256"),
                                 ("nconst", 4097, "4097 constants exceeds the limit of 4096"),
                                 ("nregex", 65, "65 regexes exceeds the limit of 64"),
                                 ("nconst", 300, "the WIDE flag is not set with 300 constants")):
        with pytest.raises(VerifyError, match=reason):
            Program.from_bytes(_seal(_header(**{**values, field: value}) + rest))
    with pytest.raises(VerifyError, match="the WIDE flag is set with 5 constants"):
        Program.from_bytes(_seal(_header(**{**values, "flags": values["flags"] | 32}) + rest))


@pytest.mark.parametrize("code,reason", [
    (b"\xff", "unknown opcode 0xff at pc 0"),
    (op("CONST", 0)[:1], "truncated CONST at pc 0"),
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
    (op("CONST", 0) + op("STOP"), "STOP at pc 2 leaves 1 values on the stack"),
    (op("TRUE") + op("JMPF", 3) + op("CONST", 0) + op("POP"), None),
    (op("TRUE") + op("JMPF", 2) + op("CONST", 0), "stack depths 0 and 1 disagree"),
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


def test_the_verifier_computes_the_stack_depth():
    assert Program.from_bytes(_program(op("CONST", 0) + op("CONST", 0) + op("CONCAT", 2) + op("POP"))).max_stack == 2


def test_phase_flag_must_match_its_code():
    prog = Program.from_bytes(GOOD)
    prog.flags &= ~2  # claims no response phase but carries response code: read as bytes left over
    with pytest.raises(VerifyError, match="bytes left over"):
        Program.from_bytes(prog.to_bytes())
    empty = _seal(_header(3, 1, 0, 0) + encode_uvarint(0) + encode_uvarint(1) + op("STOP"))
    with pytest.raises(VerifyError, match="request phase flag is set but its code is empty"):
        Program.from_bytes(empty)


def test_a_program_with_more_than_256_constants_is_wide():
    source = "on request {\n" + "".join(f'  set header x-{i} = "v{i}"\n' for i in range(140)) + "}\n"
    program = kgw_rules.compile(source)
    assert program.wide and len(program.constants) == 280
    narrow = kgw_rules.compile("on request {\n  set header x-a = \"v\"\n}\n")
    assert not narrow.wide
    blob = program.to_bytes(strip=True)
    assert Program.from_bytes(blob).to_bytes(strip=True) == blob
    out = run_exchange([Program.from_bytes(blob)], Request())
    assert (b"x-139", b"v139") in out.request.headers


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


DESCRIPTOR_KEYS = (b"tenant", b"Tenant", b"-x", b"a.b", b"", b"k" * 64, b"k" * 63, b"plan_2-x")


@pytest.mark.parametrize("index, ok", [(0, True), (1, False), (2, False), (3, False), (4, False), (5, False),
                                       (6, True), (7, True)])
def test_set_desc_takes_a_valid_descriptor_key(index, ok):
    # the key ends a header name (x-kgw-descriptor-KEY): both verifiers hold it to what the compiler allows
    blob = _program(op("CONST", index) + op("SET_DESC", index), constants=DESCRIPTOR_KEYS)
    if ok:
        Program.from_bytes(blob)
    else:
        with pytest.raises(VerifyError, match=r"descriptor key .* is not \[a-z0-9\]\[a-z0-9_-\]\*"):
            Program.from_bytes(blob)


def test_set_desc_is_request_phase_only():
    with pytest.raises(VerifyError, match="SET_DESC"):
        Program.from_bytes(_program(b"", op("CONST", 0) + op("SET_DESC", 0), constants=DESCRIPTOR_KEYS))
