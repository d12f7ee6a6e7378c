"""Benchmark the ACL's longest-prefix flattening (translate/policies/acl.py) and the RBAC config it becomes.

    .venv/bin/python benchmarks/acl.py              # 100, 1,000 and 10,000 entries, ratios against 100

Entries are /24 ranges inside 10.0.0.0/8, alternately allow and deny, under a deny-by-default /8 allow: the
worst case for flattening (every range is an exception). Times are medians of 5 rounds (process CPU time);
the ratio per entry against the 100-entry baseline measured in the same run shows the cost stays linear.
"""
from __future__ import annotations

import ipaddress
import statistics
import time

from kgw_controller.ir_security import AclIR
from kgw_controller.translate.policies.acl import flatten
from kgw_controller.xdsgen.httpfilters.rbac import _any_of


def _rules(n: int):
    return [(ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24"), i % 2 == 0) for i in range(n)]


def _round(n: int) -> tuple[float, int]:
    rules = _rules(n)
    t0 = time.process_time()
    out = flatten(rules, True)
    acl = AclIR(True, [str(c) for c in out])
    principal = _any_of(acl.exceptions)
    return time.process_time() - t0, principal.ByteSize()


def main() -> None:
    base = None
    for n in (100, 1_000, 10_000):
        runs = [_round(n) for _ in range(5)]
        seconds = statistics.median(r[0] for r in runs)
        per_entry = seconds / n
        base = base or per_entry
        print(f"{n:>6} entries: {seconds * 1000:8.1f} ms  ({per_entry * 1e6:6.1f} us/entry, x{per_entry / base:4.2f} "
              f"of the 100-entry cost per entry), RBAC principal {runs[0][1]:,} bytes")


if __name__ == "__main__":
    main()
