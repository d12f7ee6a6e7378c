"""Upstream v1.6.1 Gateway TLS tests: client certificate validation on HTTPS listeners (`spec.tls.frontend`, by
default and per port, AllowInsecureFallback) with the statuses of invalid settings, and the client certificate
a Gateway presents to TLS backends (`spec.tls.backend.clientCertificateRef`) with the statuses of invalid
references. Each test applies its upstream objects (conf_upstream_tls.py) for its own duration."""
import http.client
import ssl

import conf_upstream_tls as m
import pytest
from conf_assert import READY, assert_conditions, assert_latest, listeners_have, route_accepted_by
from conf_infra import INFRA
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
DEFAULT_CLIENT, PER_PORT_CLIENT = ("tls-validity-checks-client-certificate",
                                   "tls-validity-checks-per-port-client-certificate")


def gateway(gw, name):
    status = gw.status_of("Gateway", INFRA, name)
    assert_latest(status, 1, name)
    return status


def served(gw, name, port, host, backend, client=None):
    resp = gw.wait_for(lambda: (r := gw.https(host, host, port=port, address=UPSTREAM_ADDRESSES[name],
                                              client_certificate=client)).status == 200 and r,
                       what=f"{host}:{port} with {client}")
    assert resp.echoed()["service"] == backend, resp.echoed()


def refused(gw, name, port, host, client=None) -> None:
    """MakeTLSRequestAndExpectFailureResponse: the handshake (or the first read, with TLS 1.3) fails."""
    with pytest.raises((ssl.SSLError, OSError, http.client.HTTPException)):
        gw.https(host, host, port=port, address=UPSTREAM_ADDRESSES[name], client_certificate=client)


def test_GatewayFrontendInvalidDefaultClientCertificateValidation(gw):
    name = "invalid-default-client-validation-config"
    with gw.applied(f"{name}.yaml", m.INVALID_DEFAULT_FRONTEND_VALIDATION):
        status = gateway(gw, name)
        listeners_have(status, READY, ["http"], name)
        listeners_have(status, [("ResolvedRefs", "False", "InvalidCACertificateRef"),
                                ("Accepted", "False", "NoValidCACertificate"), ("Programmed", "False", None)],
                       ["https"], name)
        resp = gw.request("example.org", "/", address=UPSTREAM_ADDRESSES[name])
        assert resp.status == 200 and resp.echoed()["service"] == "infra-backend-v1"
        refused(gw, name, 443, "example.org")


def test_GatewayFrontendClientCertificateValidation(gw):
    name = "client-validation-default"
    with gw.applied(f"{name}.yaml", m.FRONTEND_VALIDATION):
        for route in ("client-certificate-validation-https-test",
                      "client-certificate-validation-https-test-no-hostname"):
            route_accepted_by(gw, route, "Gateway", name)
        listeners_have(gateway(gw, name), READY, ["https", "https-with-hostname"], name)
        # default: the default CA's client certificate only
        served(gw, name, 443, "example.org", "infra-backend-v1", DEFAULT_CLIENT)
        refused(gw, name, 443, "example.org", PER_PORT_CLIENT)
        refused(gw, name, 443, "example.org")
        # port 8443: its own CA
        served(gw, name, 8443, "second-example.org", "infra-backend-v2", PER_PORT_CLIENT)
        refused(gw, name, 8443, "second-example.org", DEFAULT_CLIENT)


def test_GatewayFrontendClientCertificateValidationInsecureFallback(gw):
    name = "client-validation-insecure-fallback"
    with gw.applied(f"{name}.yaml", m.FRONTEND_VALIDATION_INSECURE_FALLBACK):
        for route in ("client-cert-validation-insecure-fallback-test",
                      "client-cert-validation-insecure-fallback-test-no-hostname"):
            route_accepted_by(gw, route, "Gateway", name)
        assert_conditions(gateway(gw, name)["conditions"],
                          [("InsecureFrontendValidationMode", "True", "ConfigurationChanged")], name)
        for client in (DEFAULT_CLIENT, PER_PORT_CLIENT, None):
            served(gw, name, 443, "example.org", "infra-backend-v1", client)
            served(gw, name, 8443, "second-example.org", "infra-backend-v2", client)


def test_GatewayInvalidFrontendClientCertificateValidation(gw):
    name = "gateway-with-invalid-client-cert-validation"
    with gw.applied(f"{name}.yaml", m.INVALID_FRONTEND_VALIDATION):
        status = gateway(gw, name)
        listeners_have(status, READY, ["https"], name)
        for listener, reason in (("https-unresolved", "InvalidCACertificateRef"),
                                 ("https-invalid-kind", "InvalidCACertificateKind"),
                                 ("https-grant-missing", "RefNotPermitted")):
            listeners_have(status, [("ResolvedRefs", "False", reason), ("Accepted", "False", "NoValidCACertificate"),
                                    ("Programmed", "False", None)], [listener], name)


def test_GatewayTLSBackendClientCertificate(gw):
    name = "gateway-tls-backend-client-certificate"
    with gw.applied(f"{name}.yaml", m.tls_backend_client_certificate(gw.backend_port)):
        route_accepted_by(gw, name, "Gateway", name)
        assert_conditions(gw.status_of("HTTPRoute", INFRA, name)["parents"][0]["conditions"],
                          [("ResolvedRefs", "True", None)], "route")
        policy = gw.status_of("BackendTLSPolicy", INFRA, "gateway-tls-backend-client-certificate-test")
        (ancestor,) = policy["ancestors"]
        assert ancestor["ancestorRef"]["name"] == name
        assert_conditions(ancestor["conditions"], [("Accepted", "True", "Accepted")], "policy")
        assert_conditions(gateway(gw, name)["conditions"], [("ResolvedRefs", "True", "ResolvedRefs")], name)
        # the backend requires a client certificate from its CA: it saw the Gateway's
        resp = gw.wait_for(lambda: (r := gw.request("abc.example.com", "/", address=UPSTREAM_ADDRESSES[name]))
                           .status == 200 and r, what="TLS backend with client certificate validation")
        seen = resp.echoed()
        assert seen["service"] == "tls-backend-with-client-cert-validation"
        expected = gw.pki.pem["tls-checks-client-certificate"][0]
        assert [c.strip() for c in seen["tls"]["peerCertificates"]] == [expected.strip()]


@pytest.mark.parametrize("name", sorted(m.INVALID_TLS_BACKEND_CONFIGURATION))
def test_GatewayInvalidTLSBackendConfiguration(gw, name):
    with gw.applied("gateway-invalid-tls-backend-configuration.yaml", m.INVALID_TLS_BACKEND):
        reason = m.INVALID_TLS_BACKEND_CONFIGURATION[name][1]
        assert_conditions(gateway(gw, name)["conditions"], [
            ("ResolvedRefs", "False", reason), ("Accepted", "True", "Accepted")], name)
