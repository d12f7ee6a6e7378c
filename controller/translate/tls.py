"""HTTPS listeners: certificateRefs -> SDS secrets, with the Gateway API's ReferenceGrant rule for Secrets.

A certificateRef must name a core Secret (kind Secret, group ""), in the Gateway's namespace or in one
whose ReferenceGrant allows Gateways of this namespace, holding a PEM certificate chain `tls.crt` and the
unencrypted PEM private key `tls.key` of its first certificate (parsed, as Envoy would). Anything else
makes the listener's ResolvedRefs False (InvalidCertificateRef, or RefNotPermitted for a missing grant);
a listener left with no usable certificate is not programmed.
"""
from __future__ import annotations

import base64
import binascii
import functools

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

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


@functools.lru_cache(maxsize=256)
def pem_problem(cert: str | None, key: str | None) -> str:
    """Why Envoy would refuse this certificate chain and key ("" when it takes them): an SDS secret Envoy
    cannot load is refused, and the listener would never serve."""
    if not cert or not key:
        return "has no tls.crt or no tls.key"
    try:
        chain = x509.load_pem_x509_certificates(cert.encode())
    except ValueError:
        return "tls.crt holds no PEM certificate"
    try:
        private = serialization.load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "tls.key holds no unencrypted PEM private key"
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if chain[0].public_key().public_bytes(*spki) != private.public_key().public_bytes(*spki):
        return "tls.key does not belong to the first certificate of tls.crt"
    return ""


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
            problems.append((R_INVALID_CERTIFICATE_REF,
                             f"{where}: kind {ref.group or 'core'}/{ref.kind} is not supported"))
            continue
        if ns != gw.namespace and not grants.allows(gw.namespace, "Gateway", ns, "Secret", ref.name):
            problems.append((c.R_REF_NOT_PERMITTED,
                             f"{where}: Secret {ns}/{ref.name} is in another namespace "
                             "and no ReferenceGrant allows it"))
            continue
        secret = resources.secrets.get((ns, ref.name))
        if secret is None:
            problems.append((R_INVALID_CERTIFICATE_REF, f"{where}: Secret {ns}/{ref.name} not found"))
            continue
        cert, key = _value(secret, "tls.crt"), _value(secret, "tls.key")
        problem = pem_problem(cert, key)
        if problem:
            problems.append((R_INVALID_CERTIFICATE_REF, f"{where}: Secret {ns}/{ref.name}: {problem}"))
            continue
        assert cert is not None and key is not None  # pem_problem() reports a missing one
        secrets.append(SecretIR(f"{ns}/{ref.name}", cert, key))
    return secrets, problems
