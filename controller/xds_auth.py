"""mTLS for xDS. The controller keeps a CA (in a Secret), issues each proxy a client certificate whose common
name is its node id (`kgw~<ns>~<gateway>`), and serves xDS only over TLS that requires such a certificate.
A stream is further bound to the identity in the certificate: a proxy may fetch only its own node's
resources, so one Gateway's TLS secrets (SDS) never reach another Gateway's proxy, let alone a stranger."""
from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import logging
import typing
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes, PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .ads import AdsServicer
from .ads.streams import DeltaStream, SotwStream

log = logging.getLogger("kgw.xds_auth")
CA_DAYS, CERT_DAYS = 3650, 365


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _can_issue(key: PrivateKeyTypes) -> typing.TypeGuard[CertificateIssuerPrivateKeyTypes]:
    return isinstance(key, typing.get_args(CertificateIssuerPrivateKeyTypes))


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass(frozen=True)
class CertAuthority:
    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def generate(cls, common_name: str = "kgw-xds-ca") -> CertAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(_now() - datetime.timedelta(minutes=5))
                .not_valid_after(_now() + datetime.timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        return cls(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))

    def issue(self, common_name: str, hosts: Sequence[str] = (), server: bool = False,
              days: int = CERT_DAYS) -> tuple[bytes, bytes]:
        """(cert PEM, key PEM) signed by this CA; `hosts` become DNS/IP SANs."""
        ca_cert = x509.load_pem_x509_certificate(self.cert_pem)
        ca_key = serialization.load_pem_private_key(self.key_pem, None)
        if not _can_issue(ca_key):  # what sign() below would refuse, with the same exception type
            raise TypeError(f"the xDS CA key ({type(ca_key).__name__}) cannot sign certificates")
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for h in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                sans.append(x509.DNSName(h))
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
             .issuer_name(ca_cert.subject).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(_now() - datetime.timedelta(minutes=5))
             .not_valid_after(_now() + datetime.timedelta(days=days))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = b.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)

    def to_secret_data(self) -> dict:
        return {"tls.crt": base64.b64encode(self.cert_pem).decode(), "tls.key": base64.b64encode(self.key_pem).decode()}

    @classmethod
    def from_secret_data(cls, data: dict) -> CertAuthority:
        return cls(base64.b64decode(data["tls.crt"]), base64.b64decode(data["tls.key"]))


def cert_valid_for(cert_pem: bytes, ca_pem: bytes, min_days: float = 30) -> bool:
    """Is this certificate signed by this CA and good for at least `min_days` more?"""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        ca = x509.load_pem_x509_certificate(ca_pem)
        cert.verify_directly_issued_by(ca)
    except Exception:
        return False
    return cert.not_valid_after_utc - _now() > datetime.timedelta(days=min_days)


def server_credentials(ca: CertAuthority, hosts: list[str]) -> grpc.ServerCredentials:
    cert, key = ca.issue("kgw-xds", hosts, server=True)
    # require_client_auth: the TLS handshake itself refuses a client without a certificate from our CA.
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca.cert_pem, require_client_auth=True)


_CN_MAX = 64  # X.509 upper bound for a common name


def node_identity(node_id: str) -> str:
    """The common name a proxy's client certificate carries for its node id: the id itself when it fits,
    else a digest of it (a Gateway's namespace and name can be 63 + 253 characters)."""
    if len(node_id) <= _CN_MAX:
        return node_id
    return "kgw~sha256~" + hashlib.sha256(node_id.encode()).hexdigest()[:48]


def peer_identity(context) -> str | None:
    names = (context.auth_context() or {}).get("x509_common_name") or []
    return names[0].decode() if names else None


class AuthenticatedAdsServicer(AdsServicer):
    """Serves a stream only to the node named in its client certificate."""

    async def _checked(self, requests, context):
        identity = peer_identity(context)
        it = requests.__aiter__()
        try:
            first = await it.__anext__()
        except StopAsyncIteration:
            return None
        if identity is None or node_identity(first.node.id) != identity:
            log.warning("xDS stream refused: node %r, certificate %r", first.node.id, identity)
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"node id {first.node.id!r} does not match the client certificate")

        async def rest():
            yield first
            async for req in it:
                if req.node.id and node_identity(req.node.id) != identity:
                    return  # a node switch mid-stream ends the stream
                yield req
        return rest()

    async def StreamAggregatedResources(self, request_iterator, context):
        reqs = await self._checked(request_iterator, context)
        if reqs is not None:
            async for resp in SotwStream(self.cache).run(reqs, context):
                yield resp

    async def DeltaAggregatedResources(self, request_iterator, context):
        reqs = await self._checked(request_iterator, context)
        if reqs is not None:
            async for resp in DeltaStream(self.cache).run(reqs, context):
                yield resp
