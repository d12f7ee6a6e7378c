"""ReferenceGrant for a cross-namespace backendRef and for a cross-namespace certificateRef: creating the
grant makes the reference work live, deleting it takes it away again (with the matching conditions)."""
import ssl

import pytest
from conf_infra import APP, INFRA
from conf_routes import BACKEND_GRANT, CERT_GRANT

pytestmark = pytest.mark.e2e


def _resolved(gw, name):
    conds = gw.status_of("HTTPRoute", INFRA, name)["parents"][0]["conditions"]
    return next((c["status"], c["reason"]) for c in conds if c["type"] == "ResolvedRefs")


def test_backend_grant_added_and_removed_live(gw):
    assert gw.request("cross.example.com", "/").status == 500
    assert _resolved(gw, "cross-namespace") == ("False", "RefNotPermitted")
    gw.write("grant-backend.yaml", BACKEND_GRANT)
    resp = gw.wait_for(lambda: (r := gw.request("cross.example.com", "/")).status == 200 and r, what="grant")
    assert resp.echoed()["service"] == "web-backend"
    assert _resolved(gw, "cross-namespace") == ("True", "ResolvedRefs")
    gw.remove("grant-backend.yaml")
    gw.wait_for(lambda: gw.request("cross.example.com", "/").status == 500, what="grant removal")
    assert _resolved(gw, "cross-namespace") == ("False", "RefNotPermitted")


def _listener(gw, name):
    listeners = gw.status_of("Gateway", INFRA, "conformance")["listeners"]
    ls = next(x for x in listeners if x["name"] == name)
    return {c["type"]: (c["status"], c["reason"]) for c in ls["conditions"]}


def test_certificate_grant_added_and_removed_live(gw):
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        gw.https("c.example.org", "c.example.org", port=444, timeout=2)
    assert _listener(gw, "https-c")["ResolvedRefs"] == ("False", "RefNotPermitted")
    gw.write("grant-cert.yaml", CERT_GRANT)
    resp = gw.wait_for(lambda: gw.https("c.example.org", "c.example.org", port=444, timeout=2), what="TLS on 444")
    assert resp.status == 200 and resp.headers["x-test-peer-cert-cn"] == "c.example.org"
    assert _listener(gw, "https-c")["ResolvedRefs"] == ("True", "ResolvedRefs")
    gw.remove("grant-cert.yaml")

    def refused():
        try:
            gw.https("c.example.org", "c.example.org", port=444, timeout=2)
        except (ssl.SSLError, ConnectionError, OSError):
            return True
        return False
    gw.wait_for(refused, what="listener removal")
    assert _listener(gw, "https-c")["Programmed"] == ("False", "Invalid")
    assert APP in str(gw.status_of("Gateway", INFRA, "conformance"))
