"""Address helpers shared by the translator and the proxy deployer."""
from __future__ import annotations

import ipaddress


def is_ip(host: str) -> bool:
    """True for an IPv4/IPv6 literal (a static endpoint), False for a DNS name."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
