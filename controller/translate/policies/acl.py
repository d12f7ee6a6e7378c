"""IP access lists with longest-prefix semantics, flattened into the two CIDR sets Envoy's RBAC filter can
test: the more specific rule wins whatever the order, so rules are painted from the widest prefix to the
narrowest over the whole address space, and the result is summarised back into as few CIDRs as cover it."""
from __future__ import annotations

import ipaddress
from bisect import bisect_right
from typing import TypeVar

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
V = TypeVar("V")
_FAMILIES = ((4, ipaddress.IPv4Address), (6, ipaddress.IPv6Address))


def parse_cidr(text: str) -> Network:
    """"10.0.0.0/8", or a bare address (a /32 or /128). Host bits must be zero, as Envoy's CidrRange needs."""
    return ipaddress.ip_network(text.strip(), strict=True)


def _paint(rules: list[tuple[Network, V]], version: int, default: V) -> list[tuple[int, int, V]]:
    """Disjoint [start, end] intervals of one address family with the value of the longest prefix covering
    them (whether they are allowed, or that and the deciding rule's label)."""
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
    for version, cls in _FAMILIES:
        for lo, hi, allow in _paint(rules, version, default_allow):
            if allow != default_allow:
                out.extend(ipaddress.summarize_address_range(cls(lo), cls(hi)))
    return _collapse(out)


def denied_by_label(rules: list[tuple[Network, bool, str]], default_allow: bool) -> list[tuple[str, list[Network]]]:
    """The refused addresses grouped by the label of what decided them: the longest-prefix rule's label, or
    "default" where no rule covers an address and the default action denies."""
    labelled: list[tuple[Network, tuple[bool, str]]] = [(net, (allow, label)) for net, allow, label in rules]
    by_label: dict[str, list[Network]] = {}
    for version, cls in _FAMILIES:
        for lo, hi, (allow, label) in _paint(labelled, version, (default_allow, "default")):
            if not allow:
                by_label.setdefault(label, []).extend(ipaddress.summarize_address_range(cls(lo), cls(hi)))
    return [(label, _collapse(nets)) for label, nets in sorted(by_label.items())]


def _collapse(nets: list[Network]) -> list[Network]:
    return list(ipaddress.collapse_addresses([n for n in nets if n.version == 4])) + list(
        ipaddress.collapse_addresses([n for n in nets if n.version == 6]))
