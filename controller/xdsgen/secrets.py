"""SDS: an HTTPS listener's certificate and key, named "<namespace>/<secret>" like the Kubernetes Secret, or a
CA bundle (a validation context) for client or backend certificates."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.extensions.transport_sockets.tls.v3 import common_pb2, secret_pb2

from ..ir import SecretIR


def secret(ir: SecretIR) -> secret_pb2.Secret:
    if ir.trusted_ca:
        return secret_pb2.Secret(name=ir.name, validation_context=common_pb2.CertificateValidationContext(
            trusted_ca=base_pb2.DataSource(inline_string=ir.trusted_ca)))
    return secret_pb2.Secret(name=ir.name, tls_certificate=common_pb2.TlsCertificate(
        certificate_chain=base_pb2.DataSource(inline_string=ir.certificate_chain),
        private_key=base_pb2.DataSource(inline_string=ir.private_key)))
