"""A cluster's TLS to its backends (BackendTLSPolicy): SNI, CA bundle over SDS (or the proxy's system bundle),
the names the backend's certificate must hold, and the Gateway's client certificate when it has one."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.extensions.transport_sockets.tls.v3 import common_pb2, secret_pb2, tls_pb2
from envoy.type.matcher.v3 import string_pb2

from ..ir import UpstreamTLSIR
from .common import ads_source, packed

TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls"
# wellKnownCACertificates: System. The Debian/Ubuntu path, which the Envoy image (and kgw's Dockerfile base) use.
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
_SAN_TYPES = {"DNS": common_pb2.SubjectAltNameMatcher.DNS, "URI": common_pb2.SubjectAltNameMatcher.URI}


def _san_matchers(tls: UpstreamTLSIR) -> list[common_pb2.SubjectAltNameMatcher]:
    return [common_pb2.SubjectAltNameMatcher(san_type=_SAN_TYPES[san.type],
                                             matcher=string_pb2.StringMatcher(exact=san.value))
            for san in tls.subject_alt_names]


def upstream_tls_socket(tls: UpstreamTLSIR, http2: bool) -> base_pb2.TransportSocket:
    ctx = tls_pb2.UpstreamTlsContext(sni=tls.sni)
    common = ctx.common_tls_context
    common.alpn_protocols.append("h2" if http2 else "http/1.1")
    if tls.system_ca:
        common.validation_context.trusted_ca.filename = SYSTEM_CA_BUNDLE
        common.validation_context.match_typed_subject_alt_names.extend(_san_matchers(tls))
    else:
        common.combined_validation_context.default_validation_context.match_typed_subject_alt_names.extend(
            _san_matchers(tls))
        common.combined_validation_context.validation_context_sds_secret_config.CopyFrom(
            secret_pb2.SdsSecretConfig(name=tls.ca_secret, sds_config=ads_source()))
    if tls.client_certificate:
        common.tls_certificate_sds_secret_configs.append(
            secret_pb2.SdsSecretConfig(name=tls.client_certificate, sds_config=ads_source()))
    return base_pb2.TransportSocket(name=TLS_TRANSPORT_SOCKET, typed_config=packed(ctx))
