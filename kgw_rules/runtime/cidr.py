"""`in_cidr(ip, "cidr")` (docs/runtime.md): textual IPv4 / IPv6 addresses and CIDR ranges, parsed by hand so that
exactly the texts the Zig filter accepts (wasm_filter/src/cidr.zig) are accepted here: dotted quads without
leading zeros, RFC 4291 IPv6 text with at most one `::` and an optional dotted tail, no zone ids. The range is
a literal, turned into a constant by the compiler (`range_constant`); host bits of the range are ignored; an
address of the other family, or text that does not parse, is not inside."""
from __future__ import annotations

import re

_QUAD = re.compile(rb"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,4}")


def _ip4(text: bytes) -> bytes | None:
    m = _QUAD.fullmatch(text)
    if m is None or any(int(g) > 255 for g in m.groups()):
        return None
    return bytes(int(g) for g in m.groups())


def _groups(half: bytes, last: bool) -> list[int] | None:
    """16-bit words of one side of `::`; a dotted quad may end the address (`last`)."""
    if not half:
        return []
    parts = half.split(b":")
    out: list[int] = []
    for i, part in enumerate(parts):
        if b"." in part:
            quad = _ip4(part) if last and i == len(parts) - 1 else None
            if quad is None:
                return None
            out += [quad[0] << 8 | quad[1], quad[2] << 8 | quad[3]]
        elif _HEX.fullmatch(part):
            out.append(int(part, 16))
        else:
            return None
    return out


def _ip6(text: bytes) -> bytes | None:
    if text.count(b"::") > 1 or b":::" in text:
        return None
    if b"::" in text:
        head_text, tail_text = text.split(b"::")
        head, tail = _groups(head_text, False), _groups(tail_text, True)
        if head is None or tail is None or len(head) + len(tail) > 7:
            return None
        words = head + [0] * (8 - len(head) - len(tail)) + tail
    else:
        whole = _groups(text, True)
        if whole is None or len(whole) != 8:
            return None
        words = whole
    return b"".join(w.to_bytes(2, "big") for w in words)


def parse_ip(text: bytes) -> bytes | None:
    """4 or 16 address bytes, or None."""
    return _ip4(text) or _ip6(text)


def parse_cidr(text: bytes) -> tuple[bytes, int] | None:
    """(network bytes, prefix length) of "10.0.0.0/8" or a bare address (a full-length prefix), or None."""
    addr_text, slash, prefix_text = text.partition(b"/")
    addr = parse_ip(addr_text)
    if addr is None:
        return None
    if not slash:
        return addr, len(addr) * 8
    if not re.fullmatch(rb"0|[1-9][0-9]{0,2}", prefix_text) or int(prefix_text) > len(addr) * 8:
        return None
    return addr, int(prefix_text)


def range_constant(cidr: bytes) -> bytes | None:
    """What IN_CIDR's constant holds: the network's 4 or 16 bytes, then the prefix length (docs/bytecode.md)."""
    net = parse_cidr(cidr)
    return None if net is None else net[0] + bytes([net[1]])


def in_range(ip: bytes, const: bytes) -> bool:
    """Is the address text `ip` inside the range of an IN_CIDR constant? (Host bits of the network are
    ignored; an address of the other family, or text that does not parse, is not inside.)"""
    addr = parse_ip(ip)
    if addr is None or len(addr) != len(const) - 1:
        return False
    bits, prefix = len(addr) * 8, const[-1]
    mask = ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1)
    return int.from_bytes(addr, "big") & mask == int.from_bytes(const[:-1], "big") & mask


def in_cidr(ip: bytes, cidr: bytes) -> bool:
    const = range_constant(cidr)
    return const is not None and in_range(ip, const)
