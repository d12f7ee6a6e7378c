"""Strict RFC 8259 parser into a tree that keeps raw text, and a compact serializer.

docs/runtime.md section 7. Not Python's json module: numbers are never converted, lone surrogate
escapes are invalid, depth is capped, and raw key/scalar text survives an edit untouched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_DEPTH = 64


class InvalidJson(ValueError):
    pass


@dataclass
class Scalar:
    raw: bytes  # number, true/false/null, or a string literal with its quotes, exactly as written

    @property
    def is_string(self) -> bool:
        return self.raw[:1] == b'"'


@dataclass
class Member:
    raw_key: bytes  # the key literal as written, quotes included
    key: bytes  # decoded UTF-8 bytes, what paths compare against
    value: Node


@dataclass
class Array:
    items: list[Node] = field(default_factory=list)


@dataclass
class Object:
    members: list[Member] = field(default_factory=list)


Node = Scalar | Array | Object

_WS = re.compile(rb"[ \t\n\r]*")
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# Raw bytes < 0x20 are not allowed inside a string; escapes are checked here, surrogates later.
_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*+"')
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|(.))")
_SHORT = {b'"': b'"', b"\\": b"\\", b"/": b"/", b"b": b"\b", b"f": b"\f", b"n": b"\n",
          b"r": b"\r", b"t": b"\t"}
_LITERALS = (b"true", b"false", b"null")


def decode_string(raw: bytes) -> bytes:
    """Decoded text of a string literal already matched by _STRING; InvalidJson on lone surrogates."""
    out = bytearray()
    pos = 1
    end = len(raw) - 1
    pending_high: int | None = None  # a high surrogate waiting for its low half right after it
    for m in _ESCAPE.finditer(raw, 1, end):
        if pending_high is not None and m.start() != pos:
            raise InvalidJson("lone surrogate")
        out += raw[pos:m.start()]
        pos = m.end()
        if m.group(1) is None:
            if pending_high is not None:
                raise InvalidJson("lone surrogate")
            out += _SHORT[m.group(2)]
            continue
        cp = int(m.group(1), 16)
        if pending_high is not None:
            if not 0xDC00 <= cp <= 0xDFFF:
                raise InvalidJson("lone surrogate")
            cp = 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00)
            pending_high = None
        elif 0xD800 <= cp <= 0xDBFF:
            pending_high = cp
            continue
        elif 0xDC00 <= cp <= 0xDFFF:
            raise InvalidJson("lone surrogate")
        out += chr(cp).encode("utf-8")
    if pending_high is not None:
        raise InvalidJson("lone surrogate")
    out += raw[pos:end]
    return bytes(out)


class _Parser:
    def __init__(self, body: bytes):
        self.s = body
        self.i = 0

    def ws(self) -> None:
        ws = _WS.match(self.s, self.i)
        assert ws is not None  # the pattern matches the empty string
        self.i = ws.end()

    def peek(self) -> int:
        if self.i >= len(self.s):
            raise InvalidJson("unexpected end")
        return self.s[self.i]

    def string(self) -> bytes:
        m = _STRING.match(self.s, self.i)
        if m is None:
            raise InvalidJson("bad string")
        self.i = m.end()
        return m.group(0)

    def value(self, depth: int) -> Node:
        c = self.peek()
        if c == 0x7B:  # '{'
            return self.obj(depth + 1)
        if c == 0x5B:  # '['
            return self.arr(depth + 1)
        if c == 0x22:  # '"'
            raw = self.string()
            decode_string(raw)  # validates surrogates now, so an invalid body is invalid everywhere
            return Scalar(raw)
        for lit in _LITERALS:
            if self.s.startswith(lit, self.i):
                self.i += len(lit)
                return Scalar(lit)
        m = _NUMBER.match(self.s, self.i)
        if m is None:
            raise InvalidJson("unexpected byte")
        self.i = m.end()
        return Scalar(m.group(0))

    def obj(self, depth: int) -> Object:
        if depth > MAX_DEPTH:
            raise InvalidJson("too deep")
        self.i += 1
        node = Object()
        self.ws()
        if self.peek() == 0x7D:  # '}'
            self.i += 1
            return node
        while True:
            if self.peek() != 0x22:
                raise InvalidJson("expected a key")
            raw_key = self.string()
            key = decode_string(raw_key)
            self.ws()
            if self.peek() != 0x3A:  # ':'
                raise InvalidJson("expected ':'")
            self.i += 1
            self.ws()
            node.members.append(Member(raw_key, key, self.value(depth)))
            self.ws()
            c = self.peek()
            self.i += 1
            if c == 0x7D:
                return node
            if c != 0x2C:  # ','
                raise InvalidJson("expected ',' or '}'")
            self.ws()

    def arr(self, depth: int) -> Array:
        if depth > MAX_DEPTH:
            raise InvalidJson("too deep")
        self.i += 1
        node = Array()
        self.ws()
        if self.peek() == 0x5D:  # ']'
            self.i += 1
            return node
        while True:
            node.items.append(self.value(depth))
            self.ws()
            c = self.peek()
            self.i += 1
            if c == 0x5D:
                return node
            if c != 0x2C:
                raise InvalidJson("expected ',' or ']'")
            self.ws()


def parse(body: bytes) -> Node:
    """Parse a whole body; InvalidJson when it is not strict JSON (empty bodies included)."""
    try:
        body.decode("utf-8")  # Python's codec is strict RFC 3629: no surrogates, no overlongs
    except UnicodeDecodeError:
        raise InvalidJson("not UTF-8") from None
    p = _Parser(body)
    p.ws()
    node = p.value(0)
    p.ws()
    if p.i != len(body):
        raise InvalidJson("trailing bytes")
    return node


def serialize(node: Node) -> bytes:
    out = bytearray()
    _write(node, out)
    return bytes(out)


def _write(node: Node, out: bytearray) -> None:
    if isinstance(node, Scalar):
        out += node.raw
    elif isinstance(node, Array):
        out += b"["
        for n, item in enumerate(node.items):
            if n:
                out += b","
            _write(item, out)
        out += b"]"
    else:
        out += b"{"
        for n, m in enumerate(node.members):
            if n:
                out += b","
            out += m.raw_key + b":"
            _write(m.value, out)
        out += b"}"
