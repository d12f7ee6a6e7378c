"""acl `denyResponse` through a real Envoy, in both modes: the status and headers of a refusal, and the header
naming the rule that decided it (longest prefix; "rule" when unnamed, "default" for the default action); an
ACL without one still answers Envoy's 403, and an allowed request is untouched."""
import pytest
from security_client import send
from security_manifests import policy_yaml, route_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _acl(name: str, section: str, body: str) -> str:
    return "---\n" + policy_yaml(name, section, "  acl:\n" + body)


POLICIES = _acl("labelled", "acl", """\
    defaultAction: allow
    rules:
    - {name: loopback, cidrs: [127.0.0.0/8], action: deny}
    - {cidrs: [127.0.0.1/32], action: allow}
    - {cidrs: [127.0.0.3/32], action: deny}
    denyResponse:
      statusCode: 451
      headers: [{name: X-Why, value: "blocked 100%"}]
      addBlockedByHeader: X-Blocked-By
""") + _acl("by-default", "keys", """\
    defaultAction: deny
    rules: [{cidrs: [127.0.0.1/32], action: allow}]
    denyResponse: {addBlockedByHeader: x-blocked-by}
""") + _acl("plain", "basic", """\
    defaultAction: allow
    rules: [{cidrs: [127.0.0.2/32], action: deny}]
""")


def test_acl_deny_response(deployed):
    d = deployed
    d.write("sec.yaml", route_yaml() + POLICIES)
    d.start()
    d.wait_status("/open", 200)

    status, _, headers = send(d.gw_port, "/acl/x")
    assert status == 200 and "x-blocked-by" not in headers and "x-why" not in headers
    status, body, headers = send(d.gw_port, "/acl/x", source="127.0.0.2")
    assert (status, headers.get("x-blocked-by"), headers.get("x-why")) == (451, "loopback", "blocked 100%"), body
    status, _, headers = send(d.gw_port, "/acl/x", source="127.0.0.3")
    assert (status, headers.get("x-blocked-by")) == (451, "rule")

    assert send(d.gw_port, "/keys/x")[0] == 200
    status, _, headers = send(d.gw_port, "/keys/x", source="127.0.0.2")
    assert (status, headers.get("x-blocked-by")) == (403, "default")  # statusCode unset: 403

    # an ACL without denyResponse, and other routes, keep Envoy's answer
    status, body, headers = send(d.gw_port, "/basic/x", source="127.0.0.2")
    assert (status, body, "x-blocked-by" in headers) == (403, "RBAC: access denied", False)
    assert send(d.gw_port, "/open/x", source="127.0.0.3")[0] == 200
