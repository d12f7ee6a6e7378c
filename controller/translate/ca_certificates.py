"""CA certificate bundles from ConfigMaps or Secrets (key `ca.crt`), as BackendTLSPolicy and a Gateway's
client certificate validation reference them. A bundle is used only if it holds PEM certificates that parse
(Envoy refuses a validation context it cannot load, and would then serve nothing)."""
from __future__ import annotations

import functools

from cryptography import x509

from ..resources import Resources
from .tls import secret_value

CA_KEY = "ca.crt"
# (group, kind) -> the Resources field holding them
CA_KINDS = {("", "ConfigMap"): "config_maps", ("", "Secret"): "secrets"}


@functools.lru_cache(maxsize=256)
def pem_certificates_problem(pem: str) -> str:
    try:
        x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return f"{CA_KEY} holds no PEM certificate"
    return ""


def ca_bundle(resources: Resources, group: str, kind: str, namespace: str, name: str) -> tuple[str, str]:
    """(PEM bundle, "") or ("", why it cannot be used). The kind must be one of CA_KINDS (callers report
    other kinds with their own reason)."""
    where = f"{kind} {namespace}/{name}"
    obj = getattr(resources, CA_KINDS[(group, kind)]).get((namespace, name))
    if obj is None:
        return "", f"{where} not found"
    pem = obj.data.get(CA_KEY) if kind == "ConfigMap" else secret_value(obj, CA_KEY)
    if not pem:
        return "", f"{where} has no {CA_KEY}"
    problem = pem_certificates_problem(pem)
    return ("", f"{where}: {problem}") if problem else (pem, "")
