"""The one opcode table of kgw bytecode.

Everything that knows an opcode number -- compiler, encoder, verifier, disassembler, reference VM and
the Zig filter (through generated constants) -- reads it from here.  Each row is
(code, name, operand format, stack pops, stack pushes, phases, meaning).

Operand formats: "" none, "u8", "u16", "u8u8", "u16u8u8", and "k" / "kk" for constant indexes: one byte
each, or two in a program with the WIDE flag (more than 256 constants) -- little endian, right after the
opcode byte.  Pops/pushes are fixed per opcode except where a format operand gives the count
(marked -1: CONCAT and IN pop their u8 operand's count of values, RESPOND pops 2*nheaders+has_body).
Phases: "rq" request only, "rs" response only, "both".
"""
from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    code: int
    name: str
    fmt: str
    pops: int
    pushes: int
    phases: str
    meaning: str

    def size(self, wide: bool = False) -> int:
        """Bytes of the instruction, opcode included, in a narrow or a WIDE program."""
        return 1 + operand_bytes(self.fmt, wide)


# How each operand format is packed (little endian, right after the opcode byte); None: no operands.
# Constant indexes ("k") are one byte in a narrow program and two in a WIDE one.
OPERAND_STRUCTS: dict[str, struct.Struct | None] = {
    "": None, "u8": struct.Struct("<B"), "u16": struct.Struct("<H"), "u8u8": struct.Struct("<BB"),
    "u16u8u8": struct.Struct("<HBB"), "k": struct.Struct("<B"), "kk": struct.Struct("<BB"),
}
WIDE_STRUCTS: dict[str, struct.Struct | None] = {**OPERAND_STRUCTS, "k": struct.Struct("<H"),
                                                 "kk": struct.Struct("<HH")}
NARROW_CONSTANTS = 256  # more constants than this make a program WIDE


def operand_struct(fmt: str, wide: bool) -> struct.Struct | None:
    return (WIDE_STRUCTS if wide else OPERAND_STRUCTS)[fmt]


def operand_bytes(fmt: str, wide: bool) -> int:
    packing = operand_struct(fmt, wide)
    return packing.size if packing else 0

# SET_DESC: a rate-limit descriptor travels to Envoy's local rate limit filter as this request header (the
# key appended), which the controller turns into the descriptor (docs/language.md, "Rate-limit descriptors").
DESCRIPTOR_HEADER_PREFIX = b"x-kgw-descriptor-"
MAX_DESCRIPTOR_KEY = 63  # bytes; a key is [a-z0-9][a-z0-9_-]*


def descriptor_header(key: str) -> str:
    """The request header that carries descriptor `key` from the rules filter to the local rate limit."""
    return DESCRIPTOR_HEADER_PREFIX.decode() + key


def descriptor_key_ok(key: bytes) -> bool:
    """What both verifiers accept as a descriptor key: it makes a plain lower-case header name."""
    return (0 < len(key) <= MAX_DESCRIPTOR_KEY and key[:1].isalnum() and key[:1] == key[:1].lower()
            and all(c in b"abcdefghijklmnopqrstuvwxyz0123456789_-" for c in key))


# Request fields pushed by FIELD u8.  "status" is response-only; "body" is the current phase's body.
FIELDS = ("path", "method", "host", "scheme", "url", "status", "body", "route", "client_ip")
RESPONSE_ONLY_FIELDS = frozenset({"status"})
# jwt_claim() reads the verified JWT payload from this request header (base64url JSON), which only Envoy's JWT
# filter sets: the controller removes it from what clients send (docs/security.md, "Identity in rules").
JWT_PAYLOAD_HEADER = "x-kgw-jwt-payload"
# Every header that carries a verified identity from Envoy's authentication filters to rules: the JWT payload,
# the basic-auth user (kgateway's header, also sent upstream) and the API-key client id. The controller
# removes them from what clients send; rules read them (jwt_claim, basic_auth_user, api_key_client) and can
# never write them.
IDENTITY_HEADERS = {"jwt": JWT_PAYLOAD_HEADER, "basic_auth": "x-envoy-basic-auth-user",
                    "api_key": "x-kgw-api-key-client"}

_ROWS = [
    # control flow: jumps are forward-only, offsets count from the end of the jump instruction
    (0x01, "JMP", "u16", 0, 0, "both", "jump forward by u16 bytes"),
    (0x02, "JMPF", "u16", 1, 0, "both", "pop; jump forward when it is not true"),
    (0x03, "JMPF_KEEP", "u16", 1, 1, "both", "if top is not true jump forward keeping it, else pop it ('and')"),
    (0x04, "JMPT_KEEP", "u16", 1, 1, "both", "if top is true jump forward keeping it, else pop it ('or')"),
    (0x05, "POP", "", 1, 0, "both", "drop the top value"),
    (0x06, "STOP", "", 0, 0, "both", "end this program's phase"),
    # values
    (0x10, "CONST", "k", 0, 1, "both", "push constant k"),
    (0x11, "NONE", "", 0, 1, "both", "push the absent value"),
    (0x12, "TRUE", "", 0, 1, "both", "push true"),
    (0x13, "FALSE", "", 0, 1, "both", "push false"),
    (0x14, "LOAD", "u8", 0, 1, "both", "push variable u8"),
    (0x15, "STORE", "u8", 1, 0, "both", "pop into variable u8"),
    # reads of the exchange
    (0x20, "FIELD", "u8", 0, 1, "both", "push request/response field u8 (see FIELDS)"),
    (0x21, "HDR", "k", 0, 1, "both", "first value of current-phase header named by string constant k, or none"),
    (0x22, "HDR_ALL", "k", 1, 1, "both", "pop separator; all values of header k joined by it, or none"),
    (0x23, "REQ_HDR", "k", 0, 1, "both", "first value of request header k, or none"),
    (0x24, "QUERY", "k", 0, 1, "both", "first query parameter named k, decoded; none if absent or malformed"),
    (0x25, "COOKIE", "k", 0, 1, "both", "request cookie named k, or none"),
    (0x26, "JSON", "k", 0, 1, "both", "field at JSON path constant k of the current body, or none"),
    # reads of the host (the VM's environment, read once per VM; WASI in the filter)
    (0x27, "ENV", "k", 0, 1, "both", "environment variable named by string constant k, or none"),
    (0x28, "JSON_OF", "k", 1, 1, "both", "pop text; field at JSON path k of it (as JSON does for the body), or none"),
    # pure functions
    (0x30, "LOWER", "", 1, 1, "both", "ASCII lower case"),
    (0x31, "UPPER", "", 1, 1, "both", "ASCII upper case"),
    (0x32, "TRIM", "", 1, 1, "both", "strip ASCII whitespace at both ends"),
    (0x33, "LEN", "", 1, 1, "both", "length in bytes"),
    (0x34, "SUBSTR2", "", 2, 1, "both", "substr(s, start) clamped"),
    (0x35, "SUBSTR3", "", 3, 1, "both", "substr(s, start, len) clamped"),
    (0x36, "REPLACE", "u8", 2, 1, "both", "pop with, pop s; replace every match of regex u8 in s by with"),
    (0x37, "STARTS_WITH", "", 2, 1, "both", "s starts with prefix"),
    (0x38, "ENDS_WITH", "", 2, 1, "both", "s ends with suffix"),
    (0x39, "CONTAINS", "", 2, 1, "both", "s contains needle"),
    (0x3A, "SPLIT_PART", "", 3, 1, "both", "split_part(s, sep, n), \"\" when out of range"),
    (0x3B, "B64_ENC", "", 1, 1, "both", "standard base64 with padding"),
    (0x3C, "B64_DEC", "", 1, 1, "both", "standard base64 decode, none when malformed"),
    (0x3D, "B64URL_ENC", "", 1, 1, "both", "URL-safe base64 without padding"),
    (0x3E, "B64URL_DEC", "", 1, 1, "both", "URL-safe base64 decode (padding optional), none when malformed"),
    (0x3F, "URL_ENC", "", 1, 1, "both", "percent-encode all but RFC 3986 unreserved bytes"),
    (0x40, "URL_DEC", "", 1, 1, "both", "decode %XX and '+', none when malformed"),
    (0x41, "DEFAULT", "", 2, 1, "both", "pop b, pop a; a unless it is none, else b"),
    (0x42, "EXISTS", "", 1, 1, "both", "true unless none"),
    (0x43, "TO_INT", "", 1, 1, "both", "parse -?[0-9]+ within 64 bits, else none"),
    (0x44, "TO_STR", "", 1, 1, "both", "text of the value"),
    (0x45, "SHA256_HEX", "", 1, 1, "both", "lower-case hex SHA-256"),
    (0x46, "JSON_ESCAPE", "", 1, 1, "both", "JSON string literal of s, quotes included"),
    (0x47, "CONCAT", "u8", -1, 1, "both", "pop u8 values, push the concatenation of their texts"),
    (0x48, "ADD", "", 2, 1, "both", "64-bit wrapping integer addition"),
    (0x49, "RANDOM_ID", "", 0, 1, "both", "16 random bytes as 22 characters of unpadded base64url"),
    (0x4A, "IN_CIDR", "k", 1, 1, "both",
     "pop address text; true when it parses and lies in range constant k (4 or 16 network bytes, prefix length)"),
    # comparisons and logic
    (0x50, "EQ", "", 2, 1, "both", "equal"),
    (0x51, "NE", "", 2, 1, "both", "not equal"),
    (0x52, "LT", "", 2, 1, "both", "less than"),
    (0x53, "LE", "", 2, 1, "both", "less or equal"),
    (0x54, "GT", "", 2, 1, "both", "greater than"),
    (0x55, "GE", "", 2, 1, "both", "greater or equal"),
    (0x56, "NOT", "", 1, 1, "both", "true when the value is not true"),
    (0x57, "MATCH", "u8", 1, 1, "both", "regex u8 finds a match in the text"),
    (0x58, "MATCH_CAP", "u8u8", 1, 1, "both", "like MATCH; on a match store groups 1..n in variables u8b.."),
    (0x59, "IN", "u8", -1, 1, "both", "pop u8 items and the subject; true when the subject equals one"),
    # writes
    (0x60, "SET_HDR", "k", 1, 0, "both", "pop value; replace all values of header k (none removes it)"),
    (0x61, "ADD_HDR", "k", 1, 0, "both", "pop value; append a value to header k (none adds nothing)"),
    (0x62, "DEL_HDR", "k", 0, 0, "both", "remove header k"),
    (0x63, "REN_HDR", "kk", 0, 0, "both", "move all values of header ka to header kb"),
    (0x64, "SET_PATH", "", 1, 0, "rq", "pop; replace the path, keep the query"),
    (0x65, "SET_QUERY", "k", 1, 0, "rq", "pop; set query parameter k (none removes it)"),
    (0x66, "DEL_QUERY", "k", 0, 0, "rq", "remove every query parameter named k"),
    (0x67, "SET_METHOD", "", 1, 0, "rq", "pop; replace the method"),
    (0x68, "SET_HOST", "", 1, 0, "rq", "pop; replace the authority"),
    (0x69, "SET_STATUS", "", 1, 0, "rs", "pop; replace the response status"),
    (0x6A, "SET_BODY", "", 1, 0, "both", "pop; replace the body"),
    (0x6B, "SET_JSON", "k", 1, 0, "both", "pop; write the value at JSON path k of the body"),
    (0x6C, "DEL_JSON", "k", 0, 0, "both", "remove the field at JSON path k of the body"),
    (0x6D, "REPLACE_BODY", "u8", 1, 0, "both", "pop with; replace every match of regex u8 in the body"),
    (0x6E, "RESPOND", "u16u8u8", -1, 0, "both",
     "pop body when u8b, then u8a (name, value) pairs; answer locally with status u16 and end all rules"),
    (0x6F, "SET_LOG", "k", 1, 0, "both",
     "pop value; set access-log field k to its text (none leaves it; Envoy filter state wasm.kgw.<k>)"),
    (0x70, "SET_DESC", "k", 1, 0, "rq",
     "pop value; set rate-limit descriptor k (none or empty clears it): request header DESCRIPTOR_HEADER_PREFIX + k"),
]

OPS: tuple[Op, ...] = tuple(Op(*row) for row in _ROWS)
BY_CODE: dict[int, Op] = {op.code: op for op in OPS}
BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
assert len(BY_CODE) == len(OPS) and len(BY_NAME) == len(OPS)


def variable_pops(op: Op, operands: tuple[int, ...]) -> int:
    """Values popped by an instruction whose count depends on its operands."""
    if op.name in ("CONCAT",):
        return operands[0]
    if op.name == "IN":
        return operands[0] + 1
    if op.name == "RESPOND":
        return 2 * operands[1] + (1 if operands[2] else 0)
    return op.pops
