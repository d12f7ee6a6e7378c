"""acl denyResponse's `addBlockedByHeader`: the refused addresses grouped by the rule that decided them,
checked against a brute-force longest-prefix oracle."""
import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from kgw_controller.translate.policies.acl import denied_by_label


def _decided(ip, rules, default_allow):
    """(allowed, label) by the longest prefix covering `ip`."""
    best = None
    for net, allow, label in rules:
        if ip.version == net.version and ip in net and (best is None or net.prefixlen > best[0].prefixlen):
            best = (net, allow, label)
    return (default_allow, "default") if best is None else best[1:]


_net = st.builds(lambda a, p: ipaddress.ip_network((a, p), strict=False),
                 st.integers(0, 2**32 - 1), st.integers(0, 32))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_net, st.booleans(), st.sampled_from(["a", "b", "rule"])), max_size=10,
                unique_by=lambda r: r[0]),
       st.booleans(), st.lists(st.integers(0, 2**32 - 1), min_size=20, max_size=20))
def test_each_refused_address_is_in_the_group_of_the_rule_that_decided_it(rules, default_allow, probes):
    groups = denied_by_label(rules, default_allow)
    points = [ipaddress.IPv4Address(p) for p in probes]
    for net, _, _ in rules:
        points += [net.network_address, net.broadcast_address]
    for ip in points:
        allowed, label = _decided(ip, rules, default_allow)
        found = [g for g, nets in groups if any(ip in n for n in nets)]
        assert found == ([] if allowed else [label]), (ip, rules, default_allow, groups)


def test_default_deny_covers_both_families():
    groups = dict(denied_by_label([(ipaddress.ip_network("10.0.0.0/8"), True, "corp")], False))
    assert list(groups) == ["default"]
    assert ipaddress.ip_network("::/0") in groups["default"]
    assert not any(ipaddress.ip_address("10.1.2.3") in n for n in groups["default"])
