"""The built-in names of the language: request fields, functions and what each accepts."""
from __future__ import annotations

from dataclasses import dataclass

from .types import BOOL, INT, OPT_INT, OPT_STRING, STRING, Type
from .wire.opcodes import IDENTITY_HEADERS

# Readable fields, their type, and the phase they belong to (None: both).
FIELDS: dict[str, tuple[Type, str | None]] = {
    "path": (STRING, None), "method": (STRING, None), "host": (STRING, None), "scheme": (STRING, None),
    "url": (STRING, None), "status": (INT, "response"), "body": (STRING, None), "route": (STRING, None),
    "client_ip": (STRING, None),
}

# `set NAME = expr` targets: the value type and the phase (None: both).
SETTABLE: dict[str, tuple[Type, str | None]] = {
    "path": (STRING, "request"), "method": (STRING, "request"), "host": (STRING, "request"),
    "status": (INT, "response"), "body": (STRING, None),
}

# Parameter kinds: "s" text (string or string?; absent reads as ""), "i" int, "any" any value,
# "lit" a literal name (header, query, cookie), JSON path or CIDR range, "re" a regex literal.
@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]
    optional_from: int  # parameters from this index on may be left out
    result: Type | None  # None: computed by the checker (default)
    # What a call depends on at run time, so it cannot be a top-level constant: "header" | "query" |
    # "cookie" | "json" for literal lookups of the exchange, "env" the VM's environment, "random".
    reads: str | None = None

    def arity_text(self) -> str:
        lo, hi = self.optional_from, len(self.params)
        n = f"{lo}" if lo == hi else f"{lo} or {hi}" if hi == lo + 1 else f"{lo} to {hi}"
        return f"{n} argument{'s' if hi != 1 else ''}"


def _f(name: str, params: list[str], result: Type | None, optional_from: int | None = None,
       reads: str | None = None) -> Function:
    return Function(name, tuple(params), len(params) if optional_from is None else optional_from, result, reads)


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    _f("header", ["lit"], OPT_STRING, reads="header"),
    _f("header_all", ["lit", "s"], OPT_STRING, optional_from=1, reads="header"),
    _f("request_header", ["lit"], OPT_STRING, reads="header"),
    _f("query", ["lit"], OPT_STRING, reads="query"),
    _f("cookie", ["lit"], OPT_STRING, reads="cookie"),
    _f("json", ["lit"], OPT_STRING, reads="json"),
    _f("lower", ["s"], STRING), _f("upper", ["s"], STRING), _f("trim", ["s"], STRING),
    _f("len", ["s"], INT),
    _f("substr", ["s", "i", "i"], STRING, optional_from=2),
    _f("replace", ["s", "re", "s"], STRING),
    _f("starts_with", ["s", "s"], BOOL), _f("ends_with", ["s", "s"], BOOL), _f("contains", ["s", "s"], BOOL),
    _f("split_part", ["s", "s", "i"], STRING),
    _f("base64_encode", ["s"], STRING), _f("base64_decode", ["s"], OPT_STRING),
    _f("base64url_encode", ["s"], STRING), _f("base64url_decode", ["s"], OPT_STRING),
    _f("url_encode", ["s"], STRING), _f("url_decode", ["s"], OPT_STRING),
    _f("default", ["any", "any"], None), _f("exists", ["any"], BOOL),
    _f("int", ["s"], OPT_INT), _f("str", ["any"], STRING),
    _f("sha256_hex", ["s"], STRING), _f("json_escape", ["s"], STRING),
    _f("env", ["lit"], OPT_STRING, reads="env"), _f("random_id", [], STRING, reads="random"),
    _f("jwt_claim", ["lit"], OPT_STRING, reads="identity"),
    _f("basic_auth_user", [], OPT_STRING, reads="identity"), _f("api_key_client", [], OPT_STRING, reads="identity"),
    _f("in_cidr", ["s", "lit"], BOOL),
]}

# Simple one-operand or fixed-operand functions map straight onto an opcode.
FUNCTION_OPCODES = {
    "lower": "LOWER", "upper": "UPPER", "trim": "TRIM", "len": "LEN", "starts_with": "STARTS_WITH",
    "ends_with": "ENDS_WITH", "contains": "CONTAINS", "split_part": "SPLIT_PART", "base64_encode": "B64_ENC",
    "base64_decode": "B64_DEC", "base64url_encode": "B64URL_ENC", "base64url_decode": "B64URL_DEC",
    "url_encode": "URL_ENC", "url_decode": "URL_DEC", "default": "DEFAULT", "exists": "EXISTS",
    "int": "TO_INT", "str": "TO_STR", "sha256_hex": "SHA256_HEX", "json_escape": "JSON_ESCAPE",
    "random_id": "RANDOM_ID",
}

KEYWORDS = frozenset(["on", "request", "response", "let", "set", "add", "remove", "rename", "header", "query", "json",
                      "log", "descriptor", "replace", "with", "to", "respond", "if", "else", "stop", "and", "or", "not",
                      "in", "true", "false", "none"])

RESERVED = frozenset(FIELDS) | frozenset(FUNCTIONS) | KEYWORDS

# Names that are not headers in rules, and what to use instead.
NOT_HEADERS = {
    ":path": "use `path` (and `url`, `query(...)`)", ":method": "use `method`", ":authority": "use `host`",
    "host": "use `host`", ":scheme": "use `scheme`", ":status": "use `status`",
}

# Headers rules may read (`header("content-length")`, as kgateway's templates do) but never write: the
# filter keeps content-length true after body edits, and Envoy owns the framing.
READ_ONLY_HEADERS = {
    "content-length": "content-length is maintained by the filter",
    "transfer-encoding": "transfer-encoding is maintained by Envoy",
}

# The identity headers (kgw_rules.wire.opcodes.IDENTITY_HEADERS, docs/security.md) are read-only for rules.
READ_ONLY_HEADERS.update({name: "it carries a verified identity, set by the gateway's authentication filters"
                          for name in IDENTITY_HEADERS.values()})
