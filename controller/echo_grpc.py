"""A gRPC echo upstream (HTTP/2 cleartext) for GRPCRoute examples and tests.

Every method of every service is answered: the response message is the JSON description of the call
(`{"method": "/pkg.Service/Method", "metadata": {name: [values]}, "request": <request bytes as text>,
"namespace", "service", "pod"}`), like the HTTP echo's JSON. Request metadata `x-echo-set-header: k:v,...`
is returned as initial response metadata. Clients call it with identity (bytes) serializers, so no .proto
is needed on either side.

The upstream conformance service `gateway_api_conformance.echo_basic.grpcecho.GrpcEcho` is answered as the
upstream grpcecho server answers it: `Echo` and `EchoTwo` return the protobuf EchoResponse (echo_grpc_proto.py)
whose assertions carry the fully qualified method, the request headers, the :authority and the server's
namespace, service and pod; `EchoThree` (and any other method of that service) is UNIMPLEMENTED.
"""
from __future__ import annotations

import json
import os
from concurrent import futures

import grpc

from . import echo_grpc_proto as pb


class _Echo(grpc.GenericRpcHandler):
    def __init__(self, identity: dict) -> None:
        self.identity = identity

    def service(self, details):
        method = details.method
        if method.startswith(f"/{pb.SERVICE}/"):
            return self._conformance(method) if method.rsplit("/", 1)[1] in pb.ANSWERED else None

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

    def _conformance(self, method: str):
        def unary(request, context):
            response = pb.EchoResponse()
            assertions = response.assertions
            assertions.fully_qualified_method = method
            for key, value in context.invocation_metadata():
                assertions.headers.add(key=key, value=value if isinstance(value, str) else value.decode("latin-1"))
            # grpcio keeps the :authority only in the call details; "" if a release moves it
            details = getattr(getattr(context, "_rpc_event", None), "call_details", None)
            assertions.authority = (getattr(details, "host", b"") or b"").decode("latin-1")
            assertions.context.namespace = self.identity["namespace"]
            assertions.context.service_name = self.identity["service"]
            assertions.context.pod = self.identity["pod"]
            response.request.CopyFrom(request)
            return response

        return grpc.unary_unary_rpc_method_handler(unary, request_deserializer=pb.EchoRequest.FromString,
                                                   response_serializer=pb.EchoResponse.SerializeToString)


def start(host: str, port: int, namespace: str = "default", service: str = "grpc-echo",
          pod: str | None = None) -> tuple[grpc.Server, int]:
    """Start a gRPC echo server in background threads; returns (server, bound port). Stop with server.stop(0)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((_Echo({"namespace": namespace, "service": service,
                                            "pod": pod or f"{service}-{os.getpid()}"}),))
    bound = server.add_insecure_port(f"{host}:{port}")
    server.start()
    return server, bound
