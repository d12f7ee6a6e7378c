"""The objects of the upstream v1.6.1 TLS tests, upstream names: `BackendTLSPolicy*`, the Gateway backend
client certificate (`GatewayTLSBackendClientCertificate`, `GatewayInvalidTLSBackendConfiguration`) and the
frontend client certificate validation tests (`GatewayFrontend*`, `GatewayInvalidFrontend*`).

Upstream Services select the `tls-backend` pods; here each gets an EndpointSlice naming the harness's TLS echo
backend (conf_pki.TLS_BACKENDS), so the manifests that hold Services are functions of the backend port.
"""
from __future__ import annotations

from conf_infra import INFRA, WEB
from conf_pki import TLS_BACKENDS
from conf_upstream import gateway

_SAME = "allowedRoutes: {namespaces: {from: Same}}"
_VALIDITY_TLS = ('tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, '
                 f"namespace: {INFRA}}}]}}")
_CHECKS_CA = '{group: "", kind: ConfigMap, name: tls-checks-ca-certificate}'


def tls_service(name: str, ports: list[str], backend_port: int, backend: str = "tls-backend",
                app_protocol: bool = False, service_ports: list[int] | None = None) -> str:
    """A Service whose named ports (443, 8443, ... unless `service_ports`) reach `backend`'s TLS port."""
    numbers = service_ports or [443 + 8000 * i for i in range(len(ports))]
    extra = ", appProtocol: HTTPS" if app_protocol else ""
    svc_ports = ", ".join(f"{{name: {p}, protocol: TCP, port: {n}, targetPort: 8443{extra}}}"
                          for p, n in zip(ports, numbers, strict=True))
    slice_ports = ", ".join(f"{{name: {p}, port: {backend_port}}}" for p in ports)
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {INFRA}}}
spec: {{selector: {{app: {backend}}}, ports: [{svc_ports}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}-1, namespace: {INFRA}, labels: {{kubernetes.io/service-name: {name}}}}}
addressType: IPv4
ports: [{slice_ports}]
endpoints: [{{addresses: [{TLS_BACKENDS[backend][1]}], conditions: {{ready: true}}}}]
---
"""


def policy(name: str, service: str, validation: str, section: str | None = None, generation: int = 1) -> str:
    sec = f", sectionName: {section}" if section else ""
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {{name: {name}, namespace: {INFRA}, generation: {generation}}}
spec:
  targetRefs: [{{group: "", kind: Service, name: {service}{sec}}}]
  validation: {validation}
---
"""


def exact_route(name: str, parent: str, host: str, rules: list[tuple[str, str, int]]) -> str:
    """rules: (exact path, Service, port)."""
    out = f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {INFRA}}}
spec:
  parentRefs: [{{name: {parent}, namespace: {INFRA}}}]
  hostnames: [{host}]
  rules:
"""
    for path, svc, port in rules:
        out += (f"  - matches: [{{path: {{type: Exact, value: {path}}}}}]\n"
                f"    backendRefs: [{{group: \"\", kind: Service, name: {svc}, port: {port}}}]\n")
    return out + "---\n"


def _checks(hostname: str, refs: str = _CHECKS_CA, sans: str = "") -> str:
    return f"{{caCertificateRefs: [{refs}], hostname: {hostname}{sans}}}"


# --- BackendTLSPolicy -----------------------------------------------------------------------------------------
RECONCILE_CM = "tls-checks-ca-certificate-reconcile-test"


def backend_tls_policy(port: int, reconcile_ca: str = "tls-checks-ca-certificate", generation: int = 1) -> str:
    """BackendTLSPolicy; `reconcile_ca` is the ConfigMap the reconcile-test policy names."""
    services = "".join(tls_service(name, ["btls"], port, app_protocol=app) for name, app in (
        ("backendtlspolicy-test", False), ("backendtlspolicy-host-mismatch-test", True),
        ("backendtlspolicy-cert-mismatch-test", True), ("backendtlspolicy-reconcile-test", False)))
    return (
        exact_route("backendtlspolicy", "same-namespace", "abc.example.com", [
            ("/backendtlspolicy", "backendtlspolicy-test", 443),
            ("/backendtlspolicy-host-mismatch", "backendtlspolicy-host-mismatch-test", 443),
            ("/backendtlspolicy-cert-mismatch", "backendtlspolicy-cert-mismatch-test", 443),
            ("/backendtlspolicy-reconcile-test", "backendtlspolicy-reconcile-test", 443)])
        + exact_route("backendtlspolicy-reencrypt", "same-namespace-with-https-listener", "https-listener.org",
                      [("/backendtlspolicy", "backendtlspolicy-test", 443)])
        + services
        + policy("normative-test", "backendtlspolicy-test", _checks("abc.example.com"), "btls")
        + policy("host-mismatch", "backendtlspolicy-host-mismatch-test", _checks("mismatch.example.com"), "btls")
        + policy("cert-mismatch", "backendtlspolicy-cert-mismatch-test",
                 _checks("abc.example.com", '{group: "", kind: ConfigMap, name: mismatch-ca-certificate}'), "btls")
        + policy("reconcile-test", "backendtlspolicy-reconcile-test",
                 _checks("abc.example.com", f'{{group: "", kind: ConfigMap, name: {reconcile_ca}}}'), "btls",
                 generation=generation)
    )


_SANS = {  # policy -> subjectAltNames
    "san-dns": '[{type: Hostname, hostname: "abc.example.com"}]',
    "san-dns-mismatch": '[{type: Hostname, hostname: "dce.example.com"}]',
    "san-uri": '[{type: URI, uri: "spiffe://abc.example.com/test-identity"}]',
    "san-uri-mismatch": '[{type: URI, uri: "spiffe://def.example.com/test-identity"}]',
    "multiple-sans": '[{type: URI, uri: "spiffe://abc.example.com/test-identity"}, '
                     '{type: Hostname, hostname: "abc.example.com"}]',
    "multiple-mismatch-sans": '[{type: URI, uri: "spiffe://def.example.com/test-identity"}, '
                              '{type: Hostname, hostname: "def.example.com"}]',
}


def san_service(name: str) -> str:
    return f"backendtlspolicy-{name}-test"


def backend_tls_policy_san(port: int) -> str:
    return (
        exact_route("backendtlspolicy-san-test", "same-namespace", "abc.example.com",
                    [(f"/backendtlspolicy-{name}", san_service(name), 443) for name in _SANS])
        + "".join(tls_service(san_service(name), ["btls"], port, app_protocol=name != "san-dns") for name in _SANS)
        + "".join(policy(name, san_service(name), _checks("abc.example.com", sans=f", subjectAltNames: {sans}"), "btls")
                  for name, sans in _SANS.items())
    )


def backend_tls_policy_conflict_resolution(port: int) -> str:
    without, with_, not_ = ("backendtlspolicy-conflicted-without-section-name-test",
                            "backendtlspolicy-conflicted-with-section-name-test",
                            "backendtlspolicy-not-conflicted-test")
    return (
        exact_route("backendtlspolicy-conflict-resolution", "same-namespace", "abc.example.com", [
            ("/backendtlspolicy-conflicted-without-section-name", without, 443),
            ("/backendtlspolicy-conflicted-with-section-name", with_, 443),
            ("/backendtlspolicy-not-conflicted-with-section-name", not_, 443),
            ("/backendtlspolicy-not-conflicted-without-section-name", not_, 8443)])
        + tls_service(without, ["https"], port)
        + tls_service(with_, ["https-1", "https-2"], port, service_ports=[443, 8443])
        + tls_service(not_, ["https-1", "https-2"], port, service_ports=[443, 8443])
        + policy("conflicted-without-section-name-1", without, _checks("other.example.com"))
        + policy("conflicted-without-section-name-2", without, _checks("abc.example.com"))
        + policy("conflicted-with-section-name-1", with_, _checks("other.example.com"), "https-1")
        + policy("conflicted-with-section-name-2", with_, _checks("abc.example.com"), "https-1")
        + policy("not-conflicted-with-section-name", not_, _checks("other.example.com"), "https-1")
        + policy("not-conflicted-without-section-name", not_, _checks("abc.example.com"))
    )


def backend_tls_policy_invalid_ca_certificate_ref(port: int) -> str:
    return (
        exact_route("backendtlspolicy-invalid-ca-certificate-ref", "same-namespace", "abc.example.com", [
            (f"/backendtlspolicy-{name}", f"backendtlspolicy-{name}-test", 443)
            for name in ("nonexistent-ca-certificate-ref", "malformed-ca-certificate-ref")])
        + "".join(tls_service(f"backendtlspolicy-{name}-test", ["https"], port, app_protocol=True)
                  for name in ("nonexistent-ca-certificate-ref", "malformed-ca-certificate-ref"))
        + policy("nonexistent-ca-certificate-ref", "backendtlspolicy-nonexistent-ca-certificate-ref-test",
                 _checks("abc.example.com", '{group: "", kind: ConfigMap, name: nonexistent-ca-certificate}'))
        + policy("malformed-ca-certificate-ref", "backendtlspolicy-malformed-ca-certificate-ref-test",
                 _checks("abc.example.com", '{group: "", kind: ConfigMap, name: malformed-ca-certificate}'))
        + f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: malformed-ca-certificate, namespace: {INFRA}}}\n"
          "data: {}\n---\n"
    )


def backend_tls_policy_invalid_kind(port: int) -> str:
    return (
        exact_route("backendtlspolicy-invalid-kind-test", "same-namespace", "abc.example.com",
                    [("/backendtlspolicy-invalid-kind", "backendtlspolicy-invalid-kind-test", 443)])
        + tls_service("backendtlspolicy-invalid-kind-test", ["https"], port, app_protocol=True)
        + policy("invalid-kind", "backendtlspolicy-invalid-kind-test",
                 _checks("abc.example.com", "{group: invalid.io, kind: InvalidKind, name: invalid-kind}"))
    )


def backend_tls_policy_observed_generation_bump(hostname: str = "abc.example.com", generation: int = 1) -> str:
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: backendtlspolicy-observed-generation-bump, namespace: {INFRA}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules: [{{backendRefs: [{{name: observed-generation-bump-test, port: 443}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: observed-generation-bump-test, namespace: {INFRA}}}
spec:
  selector: {{app: observed-generation-bump-test}}
  ports: [{{name: https, protocol: TCP, port: 443, targetPort: 8443}}]
---
""" + policy("observed-generation-bump", "observed-generation-bump-test", _checks(hostname), "https", generation)


# --- Gateway backend client certificate ------------------------------------------------------------------------
def _client_cert_gateway(name: str, ref: str) -> str:
    return gateway(name, [("http", 80, "HTTP", None, _SAME)],
                   extra=f"  tls: {{backend: {{clientCertificateRef: {ref}}}}}\n")


def tls_backend_client_certificate(port: int) -> str:
    name = "gateway-tls-backend-client-certificate"
    return (
        _client_cert_gateway(name, '{group: "", kind: Secret, name: tls-checks-client-certificate}')
        + exact_route(name, name, "abc.example.com", [("/", "tls-backend-with-client-cert-validation", 443)])
        + policy("gateway-tls-backend-client-certificate-test", "tls-backend-with-client-cert-validation",
                 _checks("abc.example.com"))
        + tls_service("tls-backend-with-client-cert-validation", ["https"], port,
                      backend="tls-backend-with-client-cert-validation")
    )


INVALID_TLS_BACKEND_CONFIGURATION = {  # Gateway -> (clientCertificateRef, the ResolvedRefs reason upstream wants)
    "gateway-client-certificate-nonexistent-secret": (
        '{group: "", kind: Secret, name: nonexistent-certificate}', "InvalidClientCertificateRef"),
    "gateway-client-certificate-unsupported-group": (
        "{group: wrong.group.company.io, kind: Secret, name: tls-validity-checks-certificate}",
        "InvalidClientCertificateRef"),
    "gateway-client-certificate-unsupported-kind": (
        '{group: "", kind: WrongKind, name: tls-validity-checks-certificate}', "InvalidClientCertificateRef"),
    "gateway-client-certificate-malformed-secret": (
        '{group: "", kind: Secret, name: malformed-client-certificate}', "InvalidClientCertificateRef"),
    "gateway-client-certificate-missing-reference-grant": (
        f'{{group: "", kind: Secret, name: certificate, namespace: {WEB}}}', "RefNotPermitted"),
}
INVALID_TLS_BACKEND = "".join(_client_cert_gateway(name, ref)
                              for name, (ref, _) in INVALID_TLS_BACKEND_CONFIGURATION.items()) + f"""\
apiVersion: v1
kind: Secret
metadata: {{name: malformed-client-certificate, namespace: {INFRA}}}
type: Opaque
data: {{}}
---
"""


# --- frontend client certificate validation --------------------------------------------------------------------
def _frontend(default: str, per_port: list[tuple[int, str]], mode: str = "") -> str:
    mode_line = f"mode: {mode}, " if mode else ""
    out = f"  tls:\n    frontend:\n      default: {{validation: {{{mode_line}caCertificateRefs: [{default}]}}}}\n"
    if per_port:
        out += "      perPort:\n" + "".join(
            f"      - {{port: {p}, tls: {{validation: {{{mode_line}caCertificateRefs: [{ref}]}}}}}}\n"
            for p, ref in per_port)
    return out


def _cm(name: str, ns: str | None = None) -> str:
    return f'{{kind: ConfigMap, group: "", name: {name}' + (f", namespace: {ns}}}" if ns else "}")


def _route(name: str, gw: str, host: str | None, backend: str, section: str | None = None) -> str:
    sec = f", sectionName: {section}" if section else ""
    hosts = f"  hostnames: [{host}]\n" if host else ""
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {INFRA}}}
spec:
  parentRefs: [{{name: {gw}{sec}}}]
{hosts}  rules: [{{backendRefs: [{{name: {backend}, port: 8080}}]}}]
---
"""


_HTTPS = ("https", 443, "HTTPS", None, _SAME, _VALIDITY_TLS)
_HTTPS_8443 = ("https-with-hostname", 8443, "HTTPS", "second-example.org", _SAME, _VALIDITY_TLS)

INVALID_DEFAULT_FRONTEND_VALIDATION = (
    gateway("invalid-default-client-validation-config", [_HTTPS, ("http", 80, "HTTP", None, _SAME)],
            extra=_frontend(_cm("does-not-exist"), [(80, _cm("tls-validity-checks-per-port-ca-certificate"))]))
    + _route("invalid-default-client-validation-config", "invalid-default-client-validation-config", "example.org",
             "infra-backend-v1")
)


def _two_port_case(gw: str, routes: tuple[str, str], mode: str = "") -> str:
    return (
        gateway(gw, [_HTTPS, _HTTPS_8443], extra=_frontend(
            _cm("tls-validity-checks-ca-certificate"), [(8443, _cm("tls-validity-checks-per-port-ca-certificate"))],
            mode))
        + _route(routes[0], gw, "example.org", "infra-backend-v1")
        + _route(routes[1], gw, None, "infra-backend-v2", "https-with-hostname")
    )


FRONTEND_VALIDATION = _two_port_case("client-validation-default", (
    "client-certificate-validation-https-test", "client-certificate-validation-https-test-no-hostname"))
FRONTEND_VALIDATION_INSECURE_FALLBACK = _two_port_case("client-validation-insecure-fallback", (
    "client-cert-validation-insecure-fallback-test", "client-cert-validation-insecure-fallback-test-no-hostname"),
    "AllowInsecureFallback")

INVALID_FRONTEND_VALIDATION = gateway(
    "gateway-with-invalid-client-cert-validation", [
        _HTTPS,
        ("https-unresolved", 7443, "HTTPS", "first-example.org", _SAME, _VALIDITY_TLS),
        ("https-invalid-kind", 8443, "HTTPS", "second-example.org", _SAME, _VALIDITY_TLS),
        ("https-grant-missing", 6443, "HTTPS", "fourth-example.org", _SAME, _VALIDITY_TLS)],
    extra=_frontend(_cm("tls-validity-checks-ca-certificate"), [
        (7443, _cm("non-exisitng-cm")), (8443, '{kind: Service, group: "", name: infra-backend-v2}'),
        (6443, _cm("web-backend-cm", WEB))]),
) + _route("misconfigured-client-certificate-validation-https-test", "client-validation-invalid", "example.org",
           "infra-backend-v1")

# Gateways applied only while their test runs: the harness picks a port offset free for all of them.
ALL_MANIFESTS = [
    INVALID_TLS_BACKEND, INVALID_DEFAULT_FRONTEND_VALIDATION, FRONTEND_VALIDATION,
    FRONTEND_VALIDATION_INSECURE_FALLBACK, INVALID_FRONTEND_VALIDATION, tls_backend_client_certificate(1),
]
