"""Calls through the Gateway with grpcio and identity serializers (the gRPC echo answers JSON bytes)."""
from __future__ import annotations

import json

import grpc
from conf_infra import GATEWAY_ADDRESS


def call(gw, method: str, authority: str, metadata=(), tls_ca: str | None = None, port: int = 80):
    """(echo JSON, initial metadata dict, status code) of one unary call."""
    target = f"{GATEWAY_ADDRESS}:{gw.port(port)}"
    options = [("grpc.default_authority", authority)]
    if tls_ca:
        with open(tls_ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        options.append(("grpc.ssl_target_name_override", authority))
        channel = grpc.secure_channel(target, creds, options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)
    with channel:
        stub = channel.unary_unary(method)  # no serializers: bytes in, bytes out
        try:
            body, rpc = stub.with_call(b"ping", metadata=list(metadata), timeout=5)
        except grpc.RpcError as e:
            return None, {}, e.code()
        return json.loads(body), dict(rpc.initial_metadata()), grpc.StatusCode.OK
