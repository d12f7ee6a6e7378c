"""mTLS xDS with a real gRPC server and client: a client without our certificate gets nothing (the handshake
fails), and a certified proxy may read only its own node's resources (SDS secrets included)."""
from __future__ import annotations

import asyncio

import grpc
import pytest
from envoy.extensions.transport_sockets.tls.v3 import secret_pb2
from envoy.service.discovery.v3 import ads_pb2_grpc
from envoy.service.discovery.v3 import discovery_pb2 as pb

from kgw_controller.ads import SnapshotCache, XdsServer
from kgw_controller.xds_auth import (
    AuthenticatedAdsServicer,
    CertAuthority,
    cert_valid_for,
    node_identity,
    server_credentials,
)

SECRET = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
NODE_A, NODE_B = "kgw~team-a~gw", "kgw~team-b~gw"


async def _fetch(port: int, node: str, creds) -> list:
    """Ask for node's SDS secrets over one delta stream; the responses received within 2 s."""
    async with (grpc.aio.secure_channel(f"127.0.0.1:{port}", creds, options=[
            ("grpc.ssl_target_name_override", "127.0.0.1")]) if creds else
            grpc.aio.insecure_channel(f"127.0.0.1:{port}")) as ch:
        stub = ads_pb2_grpc.AggregatedDiscoveryServiceStub(ch)
        req = pb.DeltaDiscoveryRequest(node={"id": node, "cluster": node}, type_url=SECRET,
                                       resource_names_subscribe=["tls"])
        call = stub.DeltaAggregatedResources(iter([req]))
        out = []
        try:
            async with asyncio.timeout(2):
                async for resp in call:
                    out.append(resp)
        except TimeoutError:
            call.cancel()
        return out


async def _serve(body):
    """Run body(server, ca) against a fresh mTLS xDS server holding one SDS secret for NODE_A."""
    ca = CertAuthority.generate()
    cache = SnapshotCache()
    secret = secret_pb2.Secret(name="tls")
    secret.tls_certificate.private_key.inline_string = "TOP SECRET KEY"
    cache.set_snapshot(NODE_A, {SECRET: {"tls": secret}})
    srv = XdsServer(cache, "127.0.0.1:0", credentials=server_credentials(ca, ["127.0.0.1"]),
                    servicer=AuthenticatedAdsServicer)
    await srv.start()
    try:
        return await body(srv, ca)
    finally:
        await srv.stop(0)


def run(body):
    return asyncio.run(asyncio.wait_for(_serve(body), 20))


def _client_creds(ca: CertAuthority, cn: str | None, signer: CertAuthority | None = None):
    if cn is None:
        return grpc.ssl_channel_credentials(root_certificates=ca.cert_pem)
    cert, key = (signer or ca).issue(cn)
    return grpc.ssl_channel_credentials(root_certificates=ca.cert_pem, private_key=key, certificate_chain=cert)


def test_certified_node_gets_its_own_secret():
    async def body(srv, ca):
        return await _fetch(srv.port, NODE_A, _client_creds(ca, NODE_A))
    got = run(body)
    assert got and got[0].resources[0].name == "tls"
    assert b"TOP SECRET KEY" in got[0].resources[0].resource.value


@pytest.mark.parametrize("case", ["plaintext", "tls-without-cert", "cert-from-another-ca", "other-node-cert"])
def test_unauthenticated_or_other_clients_get_nothing(case):
    async def body(srv, ca):
        creds = {"plaintext": None, "tls-without-cert": _client_creds(ca, None),
                 "cert-from-another-ca": _client_creds(ca, NODE_A, signer=CertAuthority.generate()),
                 "other-node-cert": _client_creds(ca, NODE_B)}[case]
        return await _fetch(srv.port, NODE_A, creds)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        got = run(body)
        raise AssertionError(f"stream was not refused; got {len(got)} responses")
    expected = grpc.StatusCode.PERMISSION_DENIED if case == "other-node-cert" else grpc.StatusCode.UNAVAILABLE
    assert err.value.code() == expected


def test_certificates_are_checked_against_the_ca():
    ca, other = CertAuthority.generate(), CertAuthority.generate()
    cert, _ = ca.issue(NODE_A)
    assert cert_valid_for(cert, ca.cert_pem)
    assert not cert_valid_for(cert, other.cert_pem)
    assert not cert_valid_for(cert, ca.cert_pem, min_days=400)  # issued for 365 days
    assert CertAuthority.from_secret_data(ca.to_secret_data()) == ca


def test_nodes_with_names_too_long_for_a_common_name_are_certified_by_digest():
    """A Gateway's namespace and name (63 + 253 characters) do not fit a 64-character CN: the proxy's
    certificate names a digest of its node id, and the server accepts exactly that node."""
    long_node = "kgw~gateway-conformance-infra~" + "g" * 60
    assert len(node_identity(long_node)) <= 64 and node_identity(long_node) != node_identity(long_node + "x")
    assert node_identity(NODE_A) == NODE_A  # short ids stay readable

    async def body(srv, ca):
        cache_secret = secret_pb2.Secret(name="tls")
        cache_secret.tls_certificate.private_key.inline_string = "LONG NODE KEY"
        srv.cache.set_snapshot(long_node, {SECRET: {"tls": cache_secret}})
        mine = await _fetch(srv.port, long_node, _client_creds(ca, node_identity(long_node)))
        try:
            await _fetch(srv.port, long_node + "x", _client_creds(ca, node_identity(long_node)))
        except grpc.aio.AioRpcError as e:
            return mine, e.code()
        return mine, None
    got, refused = run(body)
    assert got and b"LONG NODE KEY" in got[0].resources[0].resource.value
    assert refused == grpc.StatusCode.PERMISSION_DENIED
