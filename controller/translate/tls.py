"""HTTPS listeners: certificateRefs -> SDS secrets, with the Gateway API's ReferenceGrant rule for Secrets.

A certificateRef must name a core Secret (kind Secret, group ""), in the Gateway's namespace or in one
whose ReferenceGrant allows Gateways of this namespace, holding PEM `tls.crt` and `tls.key`. Anything else
makes the listener's ResolvedRefs False (InvalidCertificateRef, or RefNotPermitted for a missing grant);
a listener left with no usable certificate is not programmed.
"""
from __future__ import annotations

import base64
import binascii

from ..ir import SecretIR
from ..models import Gateway, Listener
from ..resources import Resources
from . import conditions as c

R_INVALID_CERTIFICATE_REF = "InvalidCertificateRef"


def _value(secret, key: str) -> str | None:
    if key in secret.string_data:
        return secret.string_data[key]
    raw = secret.data.get(key)
    if raw is None:
        return None
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _is_pem(text: str | None, what: str) -> bool:
    return bool(text) and "-----BEGIN " in text and f"{what}-----" in text


def listener_certificates(gw: Gateway, listener: Listener, resources: Resources, grants
                          ) -> tuple[list[SecretIR], list[tuple[str, str]]]:
    """(usable secrets, [(reason, message)] for every certificateRef that cannot be used)."""
    secrets: list[SecretIR] = []
    problems: list[tuple[str, str]] = []
    refs = listener.tls.certificate_refs if listener.tls else []
    if not refs:
        problems.append((R_INVALID_CERTIFICATE_REF, "an HTTPS listener needs tls.certificateRefs"))
    for i, ref in enumerate(refs):
        where = f"tls.certificateRefs[{i}]"
        ns = ref.namespace or gw.namespace
        if (ref.group, ref.kind) != ("", "Secret"):
            problems.append((R_INVALID_CERTIFICATE_REF, f"{where}: kind {ref.group or 'core'}/{ref.kind} is not supported"))
            continue
        if ns != gw.namespace and not grants.allows(gw.namespace, "Gateway", ns, "Secret", ref.name):
            problems.append((c.R_REF_NOT_PERMITTED,
                             f"{where}: Secret {ns}/{ref.name} is in another namespace and no ReferenceGrant allows it"))
            continue
        secret = resources.secrets.get((ns, ref.name))
        if secret is None:
            problems.append((R_INVALID_CERTIFICATE_REF, f"{where}: Secret {ns}/{ref.name} not found"))
            continue
        cert, key = _value(secret, "tls.crt"), _value(secret, "tls.key")
        if not _is_pem(cert, "CERTIFICATE") or not _is_pem(key, "PRIVATE KEY"):
            problems.append((R_INVALID_CERTIFICATE_REF,
                             f"{where}: Secret {ns}/{ref.name} has no PEM tls.crt and tls.key"))
            continue
        secrets.append(SecretIR(f"{ns}/{ref.name}", cert, key))
    return secrets, problems
