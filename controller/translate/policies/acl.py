"""IP access lists with longest-prefix semantics, flattened into the two CIDR sets Envoy's RBAC filter can
test: the more specific rule wins whatever the order, so rules are painted from the widest prefix to the
narrowest over the whole address space, and the result is summarised back into as few CIDRs as cover it."""
from __future__ import annotations

import ipaddress
from bisect import bisect_right

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(text: str) -> Network:
    """"10.0.0.0/8", or a bare address (a /32 or /128). Host bits must be zero, as Envoy's CidrRange needs."""
    return ipaddress.ip_network(text.strip(), strict=True)


def _paint(rules: list[tuple[Network, bool]], version: int, default: bool) -> list[tuple[int, int, bool]]:
    """Disjoint [start, end] intervals of one address family with whether they are allowed."""
    top = (1 << (32 if version == 4 else 128)) - 1
    starts, spans = [0], [(0, top, default)]
    for net, allow in sorted((r for r in rules if r[0].version == version), key=lambda r: r[0].prefixlen):
        lo, hi = int(net.network_address), int(net.broadcast_address)
        i = bisect_right(starts, lo) - 1
        # CIDRs nest or are disjoint, and wider ones were painted first: [lo, hi] lies inside one span
        s, e, _ = spans[i]
        pieces = [(s, lo - 1, spans[i][2])] if s < lo else []
        pieces.append((lo, hi, allow))
        if hi < e:
            pieces.append((hi + 1, e, spans[i][2]))
        spans[i:i + 1] = pieces
        starts[i:i + 1] = [p[0] for p in pieces]
    return spans


def flatten(rules: list[tuple[Network, bool]], default_allow: bool) -> list[Network]:
    """The CIDRs whose verdict differs from the default (denied ones if the default allows, and allowed ones if
    it denies), longest-prefix match decided."""
    out: list[Network] = []
    for version, cls in ((4, ipaddress.IPv4Address), (6, ipaddress.IPv6Address)):
        for lo, hi, allow in _paint(rules, version, default_allow):
            if allow != default_allow:
                out.extend(ipaddress.summarize_address_range(cls(lo), cls(hi)))
    return list(ipaddress.collapse_addresses([n for n in out if n.version == 4])) + list(
        ipaddress.collapse_addresses([n for n in out if n.version == 6]))
