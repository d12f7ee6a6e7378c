"""A transformation placed before authentication (`transformation.filterStage: {stage: AuthN, predicate:
Before}`, kgw extension in kgateway's FilterStageSpec shape) through a real Envoy, in both modes: its response
phase rewrites the 401 of `jwtAuth`, which a program at the usual place never sees; it never reads the claims
of a request the JWT filter refused."""
import json

import pytest
from jwt_keys import KeyPair, claims
from kgw_harness import gateway_yaml
from security_client import send
from security_manifests import AUDIENCE, ISSUER, jwt_yaml, policy_yaml, route_yaml

from tests.support.manifests import rules_transformation

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

REWRITE = """\
on request {
  set header x-early-sub = default(jwt_claim("sub"), "none")
}
on response {
  set header x-early-saw = str(status)
  set header x-early-resp-sub = default(jwt_claim("sub"), "none")
  if status == 401 {
    set header www-authenticate = "Bearer realm=\\"kgw\\""
    set body = "{{\\"error\\": \\"sign in first\\"}}"
    set header content-type = "application/json"
  }
}"""


# the program at the usual place, on both JWT routes
USUAL = """\
on request {
  set header x-usual-sub = default(jwt_claim("sub"), "none")
}
on response {
  set header x-usual-saw = str(status)
}"""


def _early(section: str) -> str:
    """REWRITE on rule `section`, placed before authentication."""
    transformation = rules_transformation(REWRITE).replace(
        "  transformation:\n", "  transformation:\n    filterStage: {stage: AuthN, predicate: Before}\n", 1)
    return "---\n" + policy_yaml(f"early-{section}", section, transformation)


def _serve(d) -> KeyPair:
    """Both JWT routes run USUAL (jwt_yaml); /jwt also runs REWRITE before authentication."""
    key = KeyPair.rsa("k1")
    d.write("sec.yaml", route_yaml() + "---\n" + jwt_yaml(key.jwks(), USUAL) + _early("jwt"))
    d.start()
    d.wait_status("/open", 200)
    return key


def test_a_program_before_authentication_rewrites_the_401(deployed):
    d = deployed
    key = _serve(d)

    status, body, headers = send(d.gw_port, "/jwt/x")
    assert status == 401 and json.loads(body) == {"error": "sign in first"}, (status, body)
    assert headers["www-authenticate"] == 'Bearer realm="kgw"' and headers["x-early-saw"] == "401"
    assert "x-usual-saw" not in headers  # the program at the usual place never saw it
    assert headers["x-early-resp-sub"] == "none"  # the refused request's claims: never read
    # a forged identity header is gone before any program runs
    status, _, headers = send(d.gw_port, "/jwt/x", headers={"x-kgw-jwt-payload": "eyJzdWIiOiJtYWxsb3J5In0"})
    assert status == 401 and headers["x-early-resp-sub"] == "none"

    # without the opt-in nothing sees the 401 (the JWT filter's answer as it sent it)
    status, body, headers = send(d.gw_port, "/jwtopt/x", headers={"Authorization": "Bearer not.a.jwt"})
    assert status == 401 and "x-early-saw" not in headers and "x-usual-saw" not in headers
    assert body == "Jwt header is an invalid JSON"

    # an authenticated request: the early program's request phase ran before verification (no claims); the
    # program at the usual place sees them
    good = key.sign(claims(ISSUER, AUDIENCE, sub="alice"))
    status, body, headers = send(d.gw_port, "/jwt/x", headers={"Authorization": f"Bearer {good}"})
    seen = {k.lower(): v for k, v in json.loads(body)["headers"].items()}
    assert status == 200 and seen["x-early-sub"] == ["none"] and seen["x-usual-sub"] == ["alice"], seen
    assert headers["x-early-saw"] == headers["x-usual-saw"] == "200"
    assert headers["x-early-resp-sub"] == "none"  # measured: absent in both phases before authentication


def test_the_native_build_runs_the_program_before_authentication_too(deployed):
    """GatewayParameters `dataPlane: Native`: the early instance is the dynamic module's, programs per route."""
    d = deployed
    params = ("---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: GatewayParameters\n"
              "metadata: {name: params, namespace: default}\nspec: {dataPlane: Native}\n")
    d.write("gateway.yaml", gateway_yaml("params") + params)
    key = _serve(d)
    status, body, headers = send(d.gw_port, "/jwt/x")
    assert status == 401 and json.loads(body) == {"error": "sign in first"}, (status, body)
    assert headers["x-early-saw"] == "401" and "x-usual-saw" not in headers
    good = key.sign(claims(ISSUER, AUDIENCE, sub="alice"))
    status, body, headers = send(d.gw_port, "/jwt/x", headers={"Authorization": f"Bearer {good}"})
    seen = {k.lower(): v for k, v in json.loads(body)["headers"].items()}
    assert status == 200 and seen["x-early-sub"] == ["none"] and seen["x-usual-sub"] == ["alice"], seen
    assert headers["x-early-saw"] == headers["x-usual-saw"] == "200"
