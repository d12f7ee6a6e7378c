"""A Gateway's `spec.tls`: client certificate validation on its HTTPS listeners (`frontend`: a default and
per-port settings) and the certificate it presents to TLS backends (`backend.clientCertificateRef`).

Frontend: every HTTPS listener on a port gets that port's setting, else the default. Its caCertificateRefs
name ConfigMaps or Secrets (`ca.crt`), in the Gateway's namespace or one whose ReferenceGrant allows it. A ref
that cannot be used makes the listener's ResolvedRefs False (InvalidCACertificateKind, InvalidCACertificateRef,
RefNotPermitted); with none usable the listener is not accepted (NoValidCACertificate) and serves nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..ir import SecretIR
from ..models import Gateway
from ..models.gateway import FrontendTLSValidation
from ..resources import Resources
from . import conditions as c
from .ca_certificates import CA_KINDS, ca_bundle
from .tls import pem_problem, secret_value

if TYPE_CHECKING:
    from .gateways import ListenerState

R_INVALID_CA_REF, R_INVALID_CA_KIND = "InvalidCACertificateRef", "InvalidCACertificateKind"
R_NO_VALID_CA = "NoValidCACertificate"
R_INVALID_CLIENT_CERT = "InvalidClientCertificateRef"
INSECURE_FRONTEND = "InsecureFrontendValidationMode"
R_CONFIGURATION_CHANGED = "ConfigurationChanged"


@dataclass
class ClientValidation:
    """What an HTTPS listener asks of clients: certificates chaining to `ca` (an SDS validation context)."""

    ca: SecretIR
    insecure_fallback: bool


def _frontend_for(gw: Gateway, port: int) -> tuple[FrontendTLSValidation | None, str]:
    """The validation setting of a port, and where it is written (for messages)."""
    frontend = gw.spec.tls.frontend if gw.spec.tls else None
    if frontend is None:
        return None, ""
    for i, per_port in enumerate(frontend.per_port):
        if per_port.port == port:
            return per_port.tls.validation, f"spec.tls.frontend.perPort[{i}]"
    return frontend.default.validation, "spec.tls.frontend.default"


def apply_frontend_validation(gw: Gateway, listeners: list[ListenerState], resources: Resources, grants) -> None:
    """Set each HTTPS listener's client validation, its ResolvedRefs problems, and refuse it without a CA."""
    for ls in listeners:
        if ls.spec.protocol != "HTTPS" or not ls.accepted[0]:
            continue
        validation, where = _frontend_for(gw, ls.spec.port)
        if validation is None:
            continue
        bundles, problems = [], []
        for i, ref in enumerate(validation.ca_certificate_refs):
            at = f"{where}.validation.caCertificateRefs[{i}]"
            ns = ref.namespace or gw.namespace
            if (ref.group, ref.kind) not in CA_KINDS:
                problems.append((R_INVALID_CA_KIND, f"{at}: kind {ref.group or 'core'}/{ref.kind} is not supported "
                                                    "(ConfigMap or Secret)"))
            elif ns != gw.namespace and not grants.allows(gw.namespace, "Gateway", ns, ref.kind, ref.name):
                problems.append((c.R_REF_NOT_PERMITTED, f"{at}: {ref.kind} {ns}/{ref.name} is in another namespace "
                                                        "and no ReferenceGrant allows it"))
            else:
                pem, problem = ca_bundle(resources, ref.group, ref.kind, ns, ref.name)
                if problem:
                    problems.append((R_INVALID_CA_REF, f"{at}: {problem}"))
                else:
                    bundles.append(pem.strip())
        ls.ref_problems.extend(problems)
        if not bundles:
            ls.accepted = (False, R_NO_VALID_CA, f"{where}: no usable CA certificate for client validation")
            continue
        ca = SecretIR(f"frontend-ca:{ls.spec.port}", trusted_ca="\n".join(bundles) + "\n")
        ls.client_validation = ClientValidation(ca, validation.mode == "AllowInsecureFallback")


def insecure_frontend_condition(gw: Gateway, cond: c.Conditions) -> dict | None:
    """InsecureFrontendValidationMode=True while any frontend setting lets unverified clients in."""
    frontend = gw.spec.tls.frontend if gw.spec.tls else None
    if frontend is None:
        return None
    settings = [("spec.tls.frontend.default", frontend.default.validation)] + [
        (f"spec.tls.frontend.perPort[{i}]", p.tls.validation) for i, p in enumerate(frontend.per_port)]
    insecure = [where for where, v in settings if v is not None and v.mode == "AllowInsecureFallback"]
    if not insecure:
        return None
    return cond(INSECURE_FRONTEND, True, R_CONFIGURATION_CHANGED,
                "clients without a valid certificate are let in (AllowInsecureFallback): " + ", ".join(insecure))


def backend_client_certificate(gw: Gateway, resources: Resources, grants) -> tuple[SecretIR | None, tuple[str, str]]:
    """(the certificate the Gateway presents to TLS backends, ("", "") or (reason, message) when its
    spec.tls.backend.clientCertificateRef cannot be used)."""
    backend = gw.spec.tls.backend if gw.spec.tls else None
    ref = backend.client_certificate_ref if backend else None
    if ref is None:
        return None, ("", "")
    where = "spec.tls.backend.clientCertificateRef"
    ns = ref.namespace or gw.namespace
    if (ref.group, ref.kind) != ("", "Secret"):
        return None, (R_INVALID_CLIENT_CERT, f"{where}: kind {ref.group or 'core'}/{ref.kind} is not supported")
    if ns != gw.namespace and not grants.allows(gw.namespace, "Gateway", ns, "Secret", ref.name):
        return None, (c.R_REF_NOT_PERMITTED,
                      f"{where}: Secret {ns}/{ref.name} is in another namespace and no ReferenceGrant allows it")
    secret = resources.secrets.get((ns, ref.name))
    if secret is None:
        return None, (R_INVALID_CLIENT_CERT, f"{where}: Secret {ns}/{ref.name} not found")
    cert, key = secret_value(secret, "tls.crt"), secret_value(secret, "tls.key")
    problem = pem_problem(cert, key)
    if problem:
        return None, (R_INVALID_CLIENT_CERT, f"{where}: Secret {ns}/{ref.name}: {problem}")
    return SecretIR(f"{ns}/{ref.name}", cert or "", key or ""), ("", "")
