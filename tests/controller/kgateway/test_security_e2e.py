"""Security policies through a real Envoy, in both modes (`kgw up`, and `kgw controller` against the API
server): JWTs made in the test (valid, expired, wrong audience, wrong signature, `alg: none`, a 1 MiB one),
AllowMissing, a rules program that never sees a refused request and cannot rewrite its 401, basic auth from
a Secret, API keys selected by label and rotated by editing a Secret, an ACL by longest prefix; and no
credential in any status."""
import base64
import http.client
import json
import time

import pytest
from jwt_keys import KeyPair, claims, unsigned
from security_manifests import (
    AUDIENCE,
    ISSUER,
    KEYS_POLICY,
    acl_yaml,
    basic_yaml,
    jwt_yaml,
    keys_secret_yaml,
    policy_yaml,
    route_yaml,
    sha_line,
)

from tests.support.manifests import rules_transformation

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

# A response rule that would turn a 401 into a 418 and stamp every response it sees
RULES = """\
on request {
  set header x-rules-saw = "request"
  set header x-rules-sub = default(jwt_claim("sub"), "none")
  set header x-rules-tenant = default(jwt_claim("org.tenant"), "none")
}
on response {
  set header x-rules-saw = "response"
  if status == 401 {
    set status = 418
  }
}"""


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _upstream(body: str) -> dict:
    return {k.lower(): v for k, v in json.loads(body)["headers"].items()}


def test_jwt(deployed):
    d = deployed
    key, other = KeyPair.rsa("k1"), KeyPair.rsa("k1")  # `other` has the same kid: only the signature differs
    d.write("sec.yaml", route_yaml() + "---\n" + jwt_yaml(key.jwks(), RULES))
    d.start()
    d.wait_status("/open", 200)

    good = key.sign(claims(ISSUER, AUDIENCE, sub="alice", org={"tenant": "acme"}))
    status, body, headers = d.get("/jwt/x", headers=_bearer(good))
    assert status == 200, body
    seen = _upstream(body)
    assert seen["x-sub"] == ["alice"] and seen["x-rules-saw"] == ["request"]
    assert seen["x-rules-sub"] == ["alice"] and seen["x-rules-tenant"] == ["acme"]  # jwt_claim(): verified claims
    assert "authorization" not in seen  # forwardToken unset: the token stays at the gateway
    assert "x-kgw-jwt-payload" not in seen  # the identity header is the rules filter's, never the upstream's
    assert {k.lower() for k in headers} >= {"x-rules-saw"}

    # (headers, status): Envoy's JWT filter answers 401, or 403 for a verified token of another audience; the
    # connection manager refuses a 1 MiB header before any filter runs (431)
    refused = {
        "missing": ({}, 401),
        "expired": (_bearer(key.sign(claims(ISSUER, AUDIENCE, ttl=-120))), 401),
        "wrong audience": (_bearer(key.sign(claims(ISSUER, "someone-else"))), 403),
        "wrong issuer": (_bearer(key.sign(claims("https://evil.test", AUDIENCE))), 401),
        "wrong signature": (_bearer(other.sign(claims(ISSUER, AUDIENCE))), 401),
        "alg none": (_bearer(unsigned(claims(ISSUER, AUDIENCE))), 401),
        "malformed base64": (_bearer("!!!." + good.split(".", 1)[1]), 401),
        "1 MiB": (_bearer("a" * (1 << 20)), 431),
    }
    before = len(d.echo.seen)
    for why, (hdrs, want) in refused.items():
        status, body, headers = d.get("/jwt/x", headers=hdrs)
        # as the JWT filter sent it: the response rule that rewrites 401s never ran (no x-rules-saw)
        assert status == want, (why, status, body)
        assert "x-rules-saw" not in {k.lower() for k in headers}, why
    assert len(d.echo.seen) == before  # nothing refused reached the backend
    assert d.get("/open")[0] == 200  # other routes unaffected

    # AllowMissing: no token passes (rules see no claims), a bad one does not; a forged identity header is
    # dropped at the edge, so a rule never reads an identity nobody verified
    status, body, _ = d.get("/jwtopt/x", headers={"x-kgw-jwt-payload": "eyJzdWIiOiJtYWxsb3J5In0"})
    seen = _upstream(body)
    assert status == 200 and "x-kgw-jwt-payload" not in seen and seen["x-rules-sub"] == ["none"]
    assert d.get("/jwtopt/x", headers=_bearer(other.sign(claims(ISSUER, AUDIENCE))))[0] == 401
    status, body, _ = d.get("/jwtopt/x", headers=_bearer(good))
    assert status == 200 and _upstream(body)["x-rules-sub"] == ["alice"]

    ext = d.status_of("GatewayExtension", "default", "strict")["conditions"][0]
    assert (ext["type"], ext["status"]) == ("Accepted", "True")


def test_jwks_that_does_not_parse_is_reported_and_fails_closed(deployed):
    d = deployed
    d.write("sec.yaml", route_yaml() + "---\n" + jwt_yaml({"keys": [{"kty": "RSA", "n": "@@", "e": "AQAB"}]},
                                                         "on request {\n  stop\n}"))
    d.start()
    d.wait_status("/jwt/x", 500)
    ext = d.status_of("GatewayExtension", "default", "strict")["conditions"][0]
    assert ext["status"] == "False" and "spec.jwt.providers[0].jwks.local.inline: the JWKS keys[0]: n is not " \
        "base64url" in ext["message"], ext
    policy = d.status_of("TrafficPolicy", "default", "jwt")["ancestors"][0]["conditions"][0]
    assert policy["status"] == "False" and "GatewayExtension default/strict is invalid" in policy["message"]


def test_basic_auth_api_keys_and_acl(deployed):
    d = deployed
    keys_a = {"client-a": "key-a-1"}
    d.write("sec.yaml", route_yaml() + "---\n" + basic_yaml([sha_line("alice", "wonderland")]))
    d.write("keys.yaml", keys_secret_yaml("keys-a", keys_a) + "---\n"
            + keys_secret_yaml("keys-b", {"client-b": "key-b"}) + "---\n" + KEYS_POLICY)
    d.write("acl.yaml", acl_yaml("allow", [("127.0.0.0/8", "deny"), ("127.0.0.1/32", "allow")]))
    d.start()
    d.wait_status("/open", 200)

    auth = {"Authorization": "Basic " + base64.b64encode(b"alice:wonderland").decode()}
    status, body, _ = d.get("/basic/x", headers=auth)
    assert status == 200 and _upstream(body)["x-envoy-basic-auth-user"] == ["alice"]
    wrong = {"Authorization": "Basic " + base64.b64encode(b"alice:nope").decode()}
    assert d.get("/basic/x", headers=wrong)[0] == 401
    assert d.get("/basic/x")[0] == 401

    status, body, _ = d.get("/keys/x", headers={"x-api-key": "key-b"})
    assert status == 200, body
    seen = _upstream(body)
    assert seen["x-client-id"] == ["client-b"] and "x-api-key" not in seen and "x-kgw-api-key-client" not in seen
    assert d.get("/keys/x", headers={"x-api-key": "key-zzz"})[0] == 401
    assert d.get("/keys/x")[0] == 401
    assert d.get("/keys/x", headers={"x-api-key": "key-a-1"})[0] == 200
    # rotation: edit the Secret; the old key stops working and the new one works, no restart
    d.write("keys.yaml", keys_secret_yaml("keys-a", {"client-a": "key-a-2"}) + "---\n"
            + keys_secret_yaml("keys-b", {"client-b": "key-b"}) + "---\n" + KEYS_POLICY)
    d.settle()
    assert d.get("/keys/x", headers={"x-api-key": "key-a-2"})[0] == 200
    assert d.get("/keys/x", headers={"x-api-key": "key-a-1"})[0] == 401

    # ACL: 127/8 denied, but 127.0.0.1/32 (the test client) allowed by the longer prefix
    assert d.get("/acl/x")[0] == 200
    d.write("acl.yaml", acl_yaml("allow", [("127.0.0.0/8", "allow"), ("127.0.0.1/32", "deny")]))
    d.settle()
    d.wait_status("/acl/x", 403)

    # no credential in any status (nor, under kgw up, anywhere in /status)
    text = json.dumps([d.status_of(k, "default", n) for k, n in (
        ("TrafficPolicy", "basic"), ("TrafficPolicy", "keys"), ("TrafficPolicy", "acl"))])
    if d.mode.name == "up":
        text += json.dumps(d.mode.admin("/status")[1])
    for secret in ("wonderland", "key-a-1", "key-a-2", "key-b", sha_line("alice", "wonderland").split(":", 1)[1]):
        assert secret not in text


CLIENT_RULES = """\
on request {
  set header x-client = client_ip
  set header x-documentation-net = str(in_cidr(client_ip, "203.0.113.0/24"))
}"""


def test_client_address_behind_a_load_balancer(deployed):
    """Without a ListenerPolicy kgw is the edge (x-forwarded-for is not trusted); with xffNumTrustedHops: 1
    the hop before the gateway is the client, for rules (client_ip, in_cidr) and the ACL alike."""
    d = deployed
    d.write("sec.yaml", route_yaml() + "---\n" + acl_yaml("allow", [("203.0.113.0/24", "deny")])
            + _open_rules(CLIENT_RULES))
    d.start()
    d.wait_status("/open", 200)
    xff = {"X-Forwarded-For": "203.0.113.7"}
    status, body, _ = d.get("/open/x", headers=xff)
    seen = _upstream(body)
    assert status == 200 and seen["x-client"] == ["127.0.0.1"] and seen["x-documentation-net"] == ["false"]
    assert d.get("/acl/x", headers=xff)[0] == 200

    d.write("listener.yaml", """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: ListenerPolicy
metadata: {name: behind-lb, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  default:
    httpSettings: {useRemoteAddress: true, xffNumTrustedHops: 1}
""")
    d.settle()
    deadline = time.monotonic() + 10  # Envoy replaces the listener (its connection manager changed)
    while d.get("/acl/x", headers=xff)[0] != 403:  # the ACL sees the client behind the balancer
        assert time.monotonic() < deadline, "the ACL never saw the client behind the load balancer"
        time.sleep(0.05)
    status, body, _ = d.get("/open/x", headers=xff)
    seen = _upstream(body)
    assert status == 200 and seen["x-client"] == ["203.0.113.7"] and seen["x-documentation-net"] == ["true"]
    assert d.get("/acl/x", headers={"X-Forwarded-For": "198.51.100.1"})[0] == 200


def _open_rules(rules: str) -> str:
    return "---\n" + policy_yaml("open", "open", rules_transformation(rules))


def _post(d, path: str, origin: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", d.gw_port, timeout=5)
    try:
        conn.request("POST", path, body=b"x", headers={"Origin": origin, "Content-Type": "text/plain"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_csrf(deployed):
    d = deployed
    d.write("sec.yaml", route_yaml() + "---\n" + policy_yaml("csrf", "acl", """\
  csrf:
    additionalOrigins: [{exact: app.example}, {suffix: .partner.example, ignoreCase: true}]  # host[:port]
"""))
    d.start()
    d.wait_status("/open", 200)
    assert _post(d, "/acl/x", "http://evil.example") == 403
    assert _post(d, "/acl/x", f"http://127.0.0.1:{d.gw_port}") == 200  # the destination itself
    assert _post(d, "/acl/x", "https://app.example") == 200
    assert _post(d, "/acl/x", "https://shop.PARTNER.example") == 200
    assert _post(d, "/open/x", "http://evil.example") == 200  # only the route with the policy
    assert d.get("/acl/x", headers={"Origin": "http://evil.example"})[0] == 200  # GET is not a mutation


def test_rbac_by_address_method_and_header(deployed):
    d = deployed
    d.write("sec.yaml", "---\n".join([route_yaml(), policy_yaml("rbac", "acl", """\
  rbac:
    action: Allow
    policy:
      allowedCIDRs: [127.0.0.0/8]
      methods: [GET]
      headers: [{name: x-tenant, values: [acme, beta]}]
"""), policy_yaml("blocked", "basic", "  rbac: {action: Deny, policy: {blockedCIDRs: [127.0.0.1/32]}}\n"),
        policy_yaml("elsewhere", "keys", "  rbac: {action: Deny, policy: {blockedCIDRs: [192.0.2.0/24]}}\n")]))
    d.start()
    d.wait_status("/open", 200)
    assert d.get("/acl/x", headers={"x-tenant": "acme"})[0] == 200
    assert d.get("/acl/x", headers={"x-tenant": "evil"})[0] == 403
    assert d.get("/acl/x")[0] == 403
    assert _post(d, "/acl/x", f"http://127.0.0.1:{d.gw_port}") == 403  # POST is not an allowed method
    assert d.get("/basic/x")[0] == 403  # the client's own address is blocked
    assert d.get("/keys/x")[0] == 200  # blocked elsewhere: everything else passes
