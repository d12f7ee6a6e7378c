"""A gRPC echo upstream (HTTP/2 cleartext) for GRPCRoute examples and tests.

Every method of every service is answered: the response message is the JSON description of the call
(`{"method": "/pkg.Service/Method", "metadata": {name: [values]}, "request": <request bytes as text>,
"namespace", "service", "pod"}`), like the HTTP echo's JSON. Request metadata `x-echo-set-header: k:v,...`
is returned as initial response metadata. Clients call it with identity (bytes) serializers, so no .proto
is needed on either side.
"""
from __future__ import annotations

import json
import os
from concurrent import futures

import grpc


class _Echo(grpc.GenericRpcHandler):
    def __init__(self, identity: dict) -> None:
        self.identity = identity

    def service(self, details):
        method = details.method

        def unary(request: bytes, context) -> bytes:
            metadata: dict[str, list[str]] = {}
            for key, value in context.invocation_metadata():
                metadata.setdefault(key, []).append(value if isinstance(value, str) else value.decode("latin-1"))
            for item in ",".join(metadata.get("x-echo-set-header", [])).split(","):
                name, sep, value = item.partition(":")
                if sep and name.strip():
                    context.send_initial_metadata(((name.strip().lower(), value.strip()),))
            out = {"method": method, "metadata": metadata, "request": request.decode("utf-8", "replace"),
                   **self.identity}
            return json.dumps(out).encode()

        return grpc.unary_unary_rpc_method_handler(unary)


def start(host: str, port: int, namespace: str = "default", service: str = "grpc-echo",
          pod: str | None = None) -> tuple[grpc.Server, int]:
    """Start a gRPC echo server in background threads; returns (server, bound port). Stop with server.stop(0)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((_Echo({"namespace": namespace, "service": service,
                                            "pod": pod or f"{service}-{os.getpid()}"}),))
    bound = server.add_insecure_port(f"{host}:{port}")
    server.start()
    return server, bound
