"""Trusted load-balancer addresses (ListenerPolicy `httpSettings.clientIPDetection.xForwardedFor.trustedCIDRs`,
a kgw extension in Envoy Gateway's shape) through a real Envoy, in both modes: a request through a trusted peer
is from the client its x-forwarded-for names (for rules and the ACL); from any other peer the header proves
nothing."""
import json

import pytest
from security_client import send
from security_manifests import acl_yaml, route_yaml
from test_security_e2e import CLIENT_RULES, _open_rules

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

BALANCER = "127.0.0.2"  # the test plays the load balancer from this address
LISTENER = f"""\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: ListenerPolicy
metadata: {{name: behind-lb, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: gw}}]
  default:
    httpSettings:
      clientIPDetection: {{xForwardedFor: {{trustedCIDRs: [{BALANCER}/32]}}}}
"""


def _seen(body: str) -> dict:
    return {k.lower(): v for k, v in json.loads(body)["headers"].items()}


def test_trusted_load_balancer_addresses(deployed):
    d = deployed
    d.write("sec.yaml", route_yaml() + "---\n" + acl_yaml("allow", [("203.0.113.0/24", "deny")])
            + _open_rules(CLIENT_RULES))
    d.write("listener.yaml", LISTENER)
    d.start()
    d.wait_status("/open", 200)
    xff = {"X-Forwarded-For": "203.0.113.7"}

    status, body, _ = send(d.gw_port, "/open/x", headers=xff, source=BALANCER)
    seen = _seen(body)
    assert status == 200 and seen["x-client"] == ["203.0.113.7"] and seen["x-documentation-net"] == ["true"]
    assert seen["x-forwarded-for"] == [f"203.0.113.7,{BALANCER}"]  # the balancer is still appended upstream
    assert send(d.gw_port, "/acl/x", headers=xff, source=BALANCER)[0] == 403  # the ACL sees the client too
    # entries the trusted balancer added are skipped from the right: a client cannot put itself there
    spoofed = {"X-Forwarded-For": f"198.51.100.1, {BALANCER}"}
    status, body, _ = send(d.gw_port, "/open/x", headers=spoofed, source=BALANCER)
    assert status == 200 and _seen(body)["x-client"] == ["198.51.100.1"]

    # an untrusted peer: its x-forwarded-for proves nothing, the peer is the client
    status, body, _ = send(d.gw_port, "/open/x", headers=xff)
    seen = _seen(body)
    assert status == 200 and seen["x-client"] == ["127.0.0.1"] and seen["x-documentation-net"] == ["false"]
    assert send(d.gw_port, "/acl/x", headers=xff)[0] == 200
    # no x-forwarded-for from the balancer: the balancer itself is the client
    status, body, _ = send(d.gw_port, "/open/x", source=BALANCER)
    assert status == 200 and _seen(body)["x-client"] == [BALANCER]


def test_trusted_cidrs_and_trusted_hops_are_refused_together(deployed):
    d = deployed
    d.write("sec.yaml", route_yaml())
    d.write("listener.yaml", LISTENER.replace("    httpSettings:\n", "    httpSettings:\n      xffNumTrustedHops: 1\n"))
    d.start()
    d.wait_status("/open", 200)  # the Gateway keeps kgw's edge defaults
    cond = d.status_of("ListenerPolicy", "default", "behind-lb")["ancestors"][0]["conditions"][0]
    assert cond["status"] == "False" and "set xffNumTrustedHops or clientIPDetection.xForwardedFor.trustedCIDRs, " \
        "not both" in cond["message"], cond
    status, body, _ = send(d.gw_port, "/open/x", headers={"X-Forwarded-For": "203.0.113.7"}, source=BALANCER)
    assert status == 200 and _seen(body)["x-forwarded-for"] == [f"203.0.113.7,{BALANCER}"]
