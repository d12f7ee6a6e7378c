"""rbac `matchExpressions` (CEL, parsed by the controller into the AST Envoy's RBAC filter evaluates) through a
real Envoy, in both modes: allowed and denied by path, by header, by a verified JWT claim (dynamic metadata of
the JWT filter) and by source address; an expression that does not parse is reported with its column."""
import pytest
from jwt_keys import KeyPair, claims
from security_client import send
from security_manifests import AUDIENCE, ISSUER, jwt_yaml, policy_yaml, route_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CLAIM = 'metadata.filter_metadata["envoy.filters.http.jwt_authn"]["payload"]'


def request(d, path: str, **kw) -> int:
    return send(d.gw_port, path, **kw)[0]


def _rbac(name: str, section: str, body: str) -> str:
    return "---\n" + policy_yaml(name, section, "  rbac:\n" + body)


POLICIES = _rbac("cel-allow", "jwtopt", f"""\
    policy:
      matchExpressions:
      - 'request.path.startsWith("/jwtopt/public")'
      - 'request.headers["x-role"] == "admin" && request.method in ["GET", "HEAD"]'
      - '"ops" in {CLAIM}["groups"]'
""") + _rbac("cel-deny", "acl", """\
    action: Deny
    policy:
      matchExpressions: ['request.method == "DELETE" || "x-debug" in request.headers']
""") + _rbac("cel-source", "keys", """\
    action: Deny
    policy:
      matchExpressions: ['source.address.startsWith("127.0.0.2:")']
""")


def test_rbac_match_expressions(deployed):
    d = deployed
    key = KeyPair.rsa("k1")
    d.write("sec.yaml", route_yaml() + "---\n" + jwt_yaml(key.jwks(), "on request {\n  set header x-r = \"1\"\n}")
            + POLICIES)
    d.start()
    d.wait_status("/open", 200)

    # Allow: any of the expressions (path, header and method, verified claim)
    assert request(d, "/jwtopt/public/x") == 200
    assert request(d, "/jwtopt/private") == 403
    assert request(d, "/jwtopt/private", headers={"x-role": "admin"}) == 200
    assert request(d, "/jwtopt/private", method="DELETE", headers={"x-role": "admin"}) == 403
    assert request(d, "/jwtopt/private", headers={"x-role": "user"}) == 403
    ops = key.sign(claims(ISSUER, AUDIENCE, groups=["dev", "ops"]))
    dev = key.sign(claims(ISSUER, AUDIENCE, groups=["dev"]))
    assert request(d, "/jwtopt/private", headers={"Authorization": f"Bearer {ops}"}) == 200
    assert request(d, "/jwtopt/private", headers={"Authorization": f"Bearer {dev}"}) == 403
    # the claim is read from what the JWT filter verified: a client-sent payload header proves nothing
    assert request(d, "/jwtopt/private", headers={"x-kgw-jwt-payload": "eyJncm91cHMiOlsib3BzIl19"}) == 403

    # Deny: by method or a header's presence; everything else passes
    assert request(d, "/acl/x") == 200
    assert request(d, "/acl/x", method="DELETE") == 403
    assert request(d, "/acl/x", headers={"x-debug": "1"}) == 403
    # by source address (the client address Envoy resolved, with its port)
    assert request(d, "/keys/x") == 200
    assert request(d, "/keys/x", source="127.0.0.2") == 403
    assert request(d, "/open/x", source="127.0.0.2") == 200  # only the route with the policy


def test_a_cel_expression_that_does_not_parse_is_reported_by_column(deployed):
    d = deployed
    d.write("sec.yaml", route_yaml() + _rbac("bad", "acl", """\
    policy:
      matchExpressions: ['request.path == "/a" &&', 'request.headers.all(h, h != "x")']
"""))
    d.start()
    d.wait_status("/acl/x", 500)  # the route never looks protected while it is not
    assert request(d, "/open/x") == 200
    cond = d.status_of("TrafficPolicy", "default", "bad")["ancestors"][0]["conditions"][0]
    assert cond["status"] == "False", cond
    assert "spec.rbac.policy.matchExpressions[0]: column 24: syntax error: the expression ends too early" \
        in cond["message"], cond
    assert "spec.rbac.policy.matchExpressions[1]: column 17: all() is a comprehension" in cond["message"], cond


def test_rbac_paths_and_jwt_claims_without_cel(deployed):
    """The kgw extensions `paths` (HTTPPathMatch shape) and `jwt.claims` (Envoy Gateway's shape), AND-ed with
    each other: a path prefix matches whole segments; a claim is read only from a token jwtAuth verified."""
    d = deployed
    key = KeyPair.rsa("k1")
    d.write("sec.yaml", route_yaml() + "---\n" + jwt_yaml(key.jwks(), "on request {\n  set header x-r = \"1\"\n}")
            + _rbac("admins", "jwtopt", """\
    policy:
      paths: [{type: PathPrefix, value: /jwtopt/admin/}, {type: Exact, value: /jwtopt/status}]
      jwt:
        claims:
        - {name: groups, valueType: StringArray, values: [ops, root]}
        - {name: org.tier, values: [gold]}
""") + _rbac("no-debug", "acl", """\
    action: Deny
    policy:
      paths: [{type: RegularExpression, value: '/acl/debug/[0-9]+'}]
"""))
    d.start()
    d.wait_status("/open", 200)

    def bearer(**extra) -> dict:
        return {"Authorization": "Bearer " + key.sign(claims(ISSUER, AUDIENCE, **extra))}
    gold_ops = bearer(groups=["dev", "ops"], org={"tier": "gold"})
    assert request(d, "/jwtopt/admin/x", headers=gold_ops) == 200
    assert request(d, "/jwtopt/admin", headers=gold_ops) == 200
    assert request(d, "/jwtopt/status", headers=gold_ops) == 200
    assert request(d, "/jwtopt/status/x", headers=gold_ops) == 403  # Exact
    assert request(d, "/jwtopt/administrator", headers=gold_ops) == 403  # whole segments
    assert request(d, "/jwtopt/admin/x", headers=bearer(groups=["dev"], org={"tier": "gold"})) == 403
    assert request(d, "/jwtopt/admin/x", headers=bearer(groups=["ops"], org={"tier": "free"})) == 403
    assert request(d, "/jwtopt/admin/x", headers=bearer(groups=["ops"])) == 403  # claim missing
    assert request(d, "/jwtopt/admin/x") == 403  # no token: no verified claims
    forged = {"x-kgw-jwt-payload": "eyJncm91cHMiOlsib3BzIl0sIm9yZyI6eyJ0aWVyIjoiZ29sZCJ9fQ"}
    assert request(d, "/jwtopt/admin/x", headers=forged) == 403

    assert request(d, "/acl/debug/12") == 403
    assert request(d, "/acl/debug/x") == 200
    assert request(d, "/acl/other") == 200
