"""Upstream v1.6.1 `BackendTLSPolicy*` tests: TLS from the Gateway to `tls-backend` (the SNI it sees is the
policy's hostname), a hostname or CA that does not match fails, SAN validation (DNS, URI, several), conflict
resolution, invalid CA references and kinds (5xx, Accepted=False NoValidCACertificate), the reconciliation of a
CA ConfigMap's content, observedGeneration. Statuses are checked per ancestor Gateway, as upstream does."""
import conf_upstream_tls as m
import pytest
from conf_assert import assert_conditions
from conf_infra import INFRA
from conf_pki import config_map_yaml
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
HTTP, HTTPS = UPSTREAM_ADDRESSES["same-namespace"], UPSTREAM_ADDRESSES["same-namespace-with-https-listener"]
ACCEPTED = [("Accepted", "True", "Accepted"), ("ResolvedRefs", "True", "ResolvedRefs")]
INVALID_CA = [("Accepted", "False", "NoValidCACertificate"), ("ResolvedRefs", "False", "InvalidCACertificateRef")]


def policy_conditions(gw, name: str, expected: list[tuple], gateway: str = "same-namespace") -> None:
    """BackendTLSPolicyMustHaveCondition: every ancestor at the latest generation, and the Gateway's has these."""
    status = gw.status_of("BackendTLSPolicy", INFRA, name)
    generation = gw.generation_of("BackendTLSPolicy", INFRA, name)
    for ancestor in status["ancestors"]:
        assert {c["observedGeneration"] for c in ancestor["conditions"]} == {generation}, ancestor
    mine = [a for a in status["ancestors"] if a["ancestorRef"]["name"] == gateway
            and a["ancestorRef"].get("namespace", INFRA) == INFRA]
    assert mine, f"BackendTLSPolicy {name} has no ancestor {gateway}: {status}"
    assert mine[0]["ancestorRef"]["kind"] == "Gateway" and mine[0]["controllerName"] == "kgateway.dev/kgateway"
    assert_conditions(mine[0]["conditions"], expected, f"BackendTLSPolicy {name}")


def via_tls(gw, path: str, sni: str, host: str = "abc.example.com") -> None:
    """200 from tls-backend, which saw the policy's hostname as SNI."""
    resp = gw.wait_for(lambda: (r := gw.request(host, path, address=HTTP)).status == 200 and r, what=path)
    seen = resp.echoed()
    assert seen["service"] == "tls-backend" and seen["path"] == path and seen["tls"]["serverName"] == sni, seen


def fails(gw, path: str, host: str = "abc.example.com", statuses=(500, 502, 503)) -> None:
    for _ in range(3):  # upstream asks for a consistent failure
        assert gw.request(host, path, address=HTTP).status in statuses, path


def test_BackendTLSPolicy(gw):
    port = gw.backend_port
    with gw.applied("backendtlspolicy.yaml", m.backend_tls_policy(port)):
        # re-encrypt: an HTTPS listener in front, TLS again to the backend
        policy_conditions(gw, "normative-test", ACCEPTED, "same-namespace-with-https-listener")
        resp = gw.wait_for(lambda: (r := gw.https("https-listener.org", "https-listener.org", "/backendtlspolicy",
                                                  address=HTTPS)).status == 200 and r, what="re-encrypt")
        assert resp.echoed()["tls"]["serverName"] == "abc.example.com" and resp.echoed()["path"] == "/backendtlspolicy"
        # plain HTTP in front
        policy_conditions(gw, "normative-test", ACCEPTED)
        via_tls(gw, "/backendtlspolicy", "abc.example.com")
        policy_conditions(gw, "host-mismatch", ACCEPTED)
        fails(gw, "/backendtlspolicy-host-mismatch", host="abc.example.org", statuses=(404,))
        fails(gw, "/backendtlspolicy-host-mismatch")  # the certificate does not hold mismatch.example.com
        policy_conditions(gw, "cert-mismatch", ACCEPTED)
        fails(gw, "/backendtlspolicy-cert-mismatch")
        # a CA ConfigMap's content is followed
        policy_conditions(gw, "reconcile-test", ACCEPTED)
        via_tls(gw, "/backendtlspolicy-reconcile-test", "abc.example.com")
        gw.apply("backendtlspolicy.yaml", m.backend_tls_policy(port, m.RECONCILE_CM, generation=2))
        policy_conditions(gw, "reconcile-test", INVALID_CA)
        fails(gw, "/backendtlspolicy-reconcile-test")
        ca = gw.pki.ca_pem["tls-checks-ca-certificate"]
        with gw.applied("reconcile-ca.yaml", config_map_yaml(m.RECONCILE_CM, INFRA, ca)):
            policy_conditions(gw, "reconcile-test", ACCEPTED)
            via_tls(gw, "/backendtlspolicy-reconcile-test", "abc.example.com")
            gw.apply("reconcile-ca.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {m.RECONCILE_CM}, "
                                          f"namespace: {INFRA}}}\ndata: {{ca.crt: ''}}\n")
            policy_conditions(gw, "reconcile-test", INVALID_CA)
            fails(gw, "/backendtlspolicy-reconcile-test")
            gw.apply("reconcile-ca.yaml", config_map_yaml(m.RECONCILE_CM, INFRA, ca))
            policy_conditions(gw, "reconcile-test", ACCEPTED)
            via_tls(gw, "/backendtlspolicy-reconcile-test", "abc.example.com")


def test_BackendTLSPolicySANValidation(gw):
    with gw.applied("backendtlspolicy-san.yaml", m.backend_tls_policy_san(gw.backend_port)):
        for name in ("san-dns", "san-uri", "multiple-sans"):
            policy_conditions(gw, name, [("Accepted", "True", "Accepted")])
            via_tls(gw, f"/backendtlspolicy-{name}", "abc.example.com")
        for name in ("san-dns-mismatch", "san-uri-mismatch", "multiple-mismatch-sans"):
            policy_conditions(gw, name, [("Accepted", "True", "Accepted")])
            fails(gw, f"/backendtlspolicy-{name}")


def test_BackendTLSPolicyConflictResolution(gw):
    conflicted = [("Accepted", "False", "Conflicted")]
    with gw.applied("backendtlspolicy-conflict-resolution.yaml",
                    m.backend_tls_policy_conflict_resolution(gw.backend_port)):
        for kind in ("without", "with"):
            policy_conditions(gw, f"conflicted-{kind}-section-name-1", [("Accepted", "True", "Accepted")])
            policy_conditions(gw, f"conflicted-{kind}-section-name-2", conflicted)
            via_tls(gw, f"/backendtlspolicy-conflicted-{kind}-section-name", "other.example.com")
        for kind in ("with", "without"):
            policy_conditions(gw, f"not-conflicted-{kind}-section-name", [("Accepted", "True", "Accepted")])
        # the port-specific policy for https-1, the Service-wide one for https-2
        via_tls(gw, "/backendtlspolicy-not-conflicted-with-section-name", "other.example.com")
        via_tls(gw, "/backendtlspolicy-not-conflicted-without-section-name", "abc.example.com")


def test_BackendTLSPolicyInvalidCACertificateRef(gw):
    with gw.applied("backendtlspolicy-invalid-ca-certificate-ref.yaml",
                    m.backend_tls_policy_invalid_ca_certificate_ref(gw.backend_port)):
        for name in ("nonexistent-ca-certificate-ref", "malformed-ca-certificate-ref"):
            policy_conditions(gw, name, INVALID_CA)
            fails(gw, f"/backendtlspolicy-{name}")
        route = gw.status_of("HTTPRoute", INFRA, "backendtlspolicy-invalid-ca-certificate-ref")
        assert_conditions(route["parents"][0]["conditions"], [("Accepted", "True", None)], "route")


def test_BackendTLSPolicyInvalidKind(gw):
    with gw.applied("backendtlspolicy-invalid-kind.yaml", m.backend_tls_policy_invalid_kind(gw.backend_port)):
        policy_conditions(gw, "invalid-kind", [("Accepted", "False", "NoValidCACertificate"),
                                               ("ResolvedRefs", "False", "InvalidKind")])
        fails(gw, "/backendtlspolicy-invalid-kind")


def test_BackendTLSPolicyObservedGenerationBump(gw):
    name = "backendtlspolicy-observed-generation-bump.yaml"
    with gw.applied(name, m.backend_tls_policy_observed_generation_bump()):
        policy_conditions(gw, "observed-generation-bump", [("Accepted", "True", None)])
        before = gw.generation_of("BackendTLSPolicy", INFRA, "observed-generation-bump")
        gw.apply(name, m.backend_tls_policy_observed_generation_bump("foo.example.com", generation=2))
        policy_conditions(gw, "observed-generation-bump", [("Accepted", "True", None)])
        assert gw.generation_of("BackendTLSPolicy", INFRA, "observed-generation-bump") != before
