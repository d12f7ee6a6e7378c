"""Security settings as pure functions: JWKS checks, htpasswd checks, the ACL's longest-prefix flattening
(against a brute-force oracle), and the statuses of bad input, which name the field and never the secret."""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from kgw_controller.resources import Resources
from kgw_controller.translate import translate
from kgw_controller.translate.policies.acl import flatten, parse_cidr
from kgw_controller.translate.policies.jwks import jwks_problem
from kgw_controller.translate.policies.security import htpasswd_problems
from tests.controller.kgateway.jwt_keys import KeyPair

KGW = "gateway.kgateway.dev/v1alpha1"


def test_jwks_checks_name_what_is_wrong():
    good = KeyPair.rsa("k1")
    assert jwks_problem(json.dumps(good.jwks())) is None
    assert jwks_problem(KeyPair.ec("e1").pem_public()) is None
    assert jwks_problem(json.dumps(KeyPair.ec("e1").jwks())) is None
    assert "is not JSON (line 1, column 2" in jwks_problem("{nope")
    assert "is not a key set" in jwks_problem(json.dumps(good.jwks()["keys"][0]))
    assert jwks_problem('{"keys": []}') == "has no keys"
    assert jwks_problem('{"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]}') == "keys[0]: n is not base64url"
    assert jwks_problem('{"keys": [{"kty": "XX"}]}') == "keys[0]: kty must be RSA, EC, OKP or oct"
    bad_point = good.jwks()
    bad_point["keys"][0] = {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}
    assert jwks_problem(json.dumps(bad_point)) == "keys[0]: not a point on P-256"
    assert jwks_problem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") == "is not a PEM public key"


def _sha(pw: str) -> str:
    return "{SHA}" + base64.b64encode(hashlib.sha1(pw.encode()).digest()).decode()


def test_htpasswd_lines_are_checked_by_number_and_user_never_hash():
    assert htpasswd_problems(f"alice:{_sha('x')}\nbob:{_sha('y')}\n", "w") == []
    bad = htpasswd_problems(f"alice:{_sha('x')}\nbob:$apr1$salt$hashhashhash\nalice:{_sha('z')}", "w")
    assert bad[0].startswith("w line 2 (user 'bob'): not `user:{SHA}")
    assert bad[1] == "w line 3: user 'alice' is listed twice"
    assert not any("$apr1$" in b or _sha("z") in b for b in bad)
    assert htpasswd_problems("\n\n", "w") == ["w: no users"]


def _lpm(ip, rules, default):
    best = None
    for net, allow in rules:
        if ip.version == net.version and ip in net and (best is None or net.prefixlen > best[0].prefixlen):
            best = (net, allow)
    return default if best is None else best[1]


_net = st.builds(lambda a, p: ipaddress.ip_network((a, p), strict=False),
                 st.integers(0, 2**32 - 1), st.integers(0, 32))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_net, st.booleans()), max_size=10, unique_by=lambda r: r[0]), st.booleans(),
       st.lists(st.integers(0, 2**32 - 1), min_size=20, max_size=20))
def test_acl_flattening_is_longest_prefix_match(rules, default, probes):
    out = flatten(rules, default)
    # probe random addresses, and the edges of every rule (where a wrong split would show)
    points = [ipaddress.IPv4Address(p) for p in probes]
    for net, _ in rules:
        points += [net.network_address, net.broadcast_address]
    for ip in points:
        assert (_lpm(ip, rules, default) != default) == any(ip in n for n in out), (ip, rules, default, out)


def test_acl_ipv6_and_bare_addresses():
    rules = [(parse_cidr("2001:db8::/32"), False), (parse_cidr("2001:db8::1"), True), (parse_cidr("::1"), False)]
    out = flatten(rules, True)
    assert ipaddress.ip_address("2001:db8::2") in out[0] or any(ipaddress.ip_address("2001:db8::2") in n for n in out)
    assert not any(ipaddress.ip_address("2001:db8::1") in n for n in out)
    assert any(ipaddress.ip_address("::1") in n for n in out)


def test_ten_thousand_acl_entries_flatten_quickly_and_compactly():
    rules = [(ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24"), i % 2 == 0) for i in range(10_000)]
    t0 = time.process_time()
    out = flatten(rules, True)
    # bounded cost: far below a second of CPU on a slow machine, and no more CIDRs than rules
    assert time.process_time() - t0 < 5 and len(out) == 5000


def _docs(policy_spec: dict, *extra: dict) -> list[dict]:
    return [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "kgw"},
         "spec": {"controllerName": "kgateway.dev/kgateway"}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw"},
         "spec": {"gatewayClassName": "kgw", "listeners": [{"name": "http", "port": 8080, "protocol": "HTTP"}]}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
         "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]}},
        {"apiVersion": KGW, "kind": "TrafficPolicy", "metadata": {"name": "p"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "r"}],
                  **policy_spec}},
        *extra,
    ]


def _policy_message(docs: list[dict]) -> str:
    res, errors = Resources.from_objects(docs)
    assert errors == [], errors
    out = translate(res)
    [status] = [s for s in out.statuses if s["kind"] == "TrafficPolicy"]
    return status["status"]["ancestors"][0]["conditions"][0]["message"]


def test_bad_security_input_is_reported_by_field_without_the_secret():
    secret_key, secret_hash = "sk-live-0123456789", "$apr1$abc$leakedhashvalue"
    msg = _policy_message(_docs({"apiKeyAuth": {"secretRef": {"name": "keys"}}}, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keys"},
        "stringData": {"a": secret_key, "b": secret_key}}))
    assert "spec.apiKeyAuth.secretRef: clients 'a' and 'b' have the same API key" in msg and secret_key not in msg
    msg = _policy_message(_docs({"basicAuth": {"users": [f"eve:{secret_hash}"]}}))
    assert "spec.basicAuth.users line 1 (user 'eve')" in msg and secret_hash not in msg
    msg = _policy_message(_docs({"basicAuth": {"secretRef": {"name": "missing"}}}))
    assert "spec.basicAuth.secretRef: Secret default/missing not found" in msg
    msg = _policy_message(_docs({"acl": {"defaultAction": "deny", "rules": [{"cidrs": ["10.0.0.1/8"],
                                                                             "action": "allow"}]}}))
    assert "spec.acl.rules[0].cidrs[0]: '10.0.0.1/8' is not an IP address or CIDR with zero host bits" in msg
    msg = _policy_message(_docs({"rbac": {"policy": {"allowedCIDRs": ["nope"]}}}))
    assert "spec.rbac.policy.allowedCIDRs[0]: 'nope'" in msg
    msg = _policy_message(_docs({"jwtAuth": {"extensionRef": {"name": "gone"}}}))
    assert msg.startswith("spec.jwtAuth.extensionRef: GatewayExtension default/gone not found")


def test_a_huge_inline_jwks_is_refused_by_the_schema_not_parsed():
    ext = {"apiVersion": KGW, "kind": "GatewayExtension", "metadata": {"name": "e"},
           "spec": {"jwt": {"providers": [{"name": "p", "jwks": {"local": {"inline": "x" * (1 << 20)}}}]}}}
    _, errors = Resources.from_objects([ext])
    assert [e.field for e in errors] == ["spec.jwt.providers[0].jwks.local.inline"]


def test_the_filter_order_is_authentication_authorization_rules_rate_limit_router():
    from kgw_controller.xdsgen import httpfilters as hf

    names = [getattr(m, "__name__", getattr(m, "name", "")).rsplit(".", 1)[-1] for m in hf.ORDER]
    want = ["cors", "jwt_authn", "basic_auth", "api_key_auth", "ext_authz", "acl", "rbac", "csrf", "rules",
            "local_ratelimit", "router"]
    positions = [names.index(n) for n in want]
    assert positions == sorted(positions), names
    assert names[-1] == "router"
