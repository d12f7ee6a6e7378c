"""The objects of the upstream v1.6.1 GRPCRoute tests (test_upstream_grpcroute.py), upstream names, and the
client the upstream suite uses: the generated GrpcEcho stub, here grpcio with the EchoRequest / EchoResponse
messages of kgw_controller.echo_grpc_proto."""
from __future__ import annotations

import grpc
from conf_infra import INFRA
from conf_routes import route
from conf_upstream import UPSTREAM_ADDRESSES, gateway
from conf_upstream_httproute import parent, ref

from kgw_controller import echo_grpc_proto as pb

_SAME_NS = "allowedRoutes: {namespaces: {from: Same}}"


def grpc_route(name: str, rules: str, parents: str = parent("same-namespace")) -> str:
    return route(name, "  rules:\n" + rules, kind="GRPCRoute", parent=parents)


def _method(method: str) -> str:
    return f"{{method: {{service: {pb.SERVICE}, method: {method}}}}}"


def _headers(**headers: str) -> str:
    return "{headers: [" + ", ".join(f"{{name: {k}, value: {v}}}" for k, v in headers.items()) + "]}"


def _rule(matches: list[str], backends: str, name: str = "") -> str:
    head = f"  - name: {name}\n    " if name else "  - "
    return head + (f"matches: [{', '.join(matches)}]\n    " if matches else "") + f"backendRefs: {backends}\n"


G1, G2, G3 = (f"[{ref(f'grpc-infra-backend-v{n}')}]" for n in (1, 2, 3))
EXACT_METHOD_MATCHING = grpc_route("exact-matching", _rule([_method("Echo")], G1) + _rule([_method("EchoTwo")], G2))
HEADER_MATCHING = grpc_route("grpc-header-matching", (
    _rule([_headers(version="one")], G1) + _rule([_headers(version="two")], G2)
    + _rule([_headers(version="two", color="orange")], G1)
    + _rule([_headers(color="blue"), _headers(color="green")], G1)
    + _rule([_headers(color="red"), _headers(color="yellow")], G2)))
_LHM = "grpcroute-listener-hostname-matching"
LISTENER_HOSTNAME_MATCHING = (
    gateway(_LHM, [(f"listener-{n}", 80, "HTTP", host, _SAME_NS)
                   for n, host in enumerate(("bar.com", "foo.bar.com", "*.bar.com", "*.foo.com"), 1)])
    + grpc_route("backend-v1", _rule([], G1), parents=parent(_LHM, sectionName="listener-1"))
    + grpc_route("backend-v2", _rule([], G2), parents=parent(_LHM, sectionName="listener-2"))
    + grpc_route("backend-v3", _rule([], G3), parents="parentRefs: [" + ", ".join(
        f"{{name: {_LHM}, namespace: {INFRA}, sectionName: listener-{n}}}" for n in (3, 4)) + "]")
)
NAMED_RULE = grpc_route("grpc-named-rules", _rule([_method("Echo")], G1, name="named-rule")
                        + _rule([_method("EchoTwo")], G2))
WEIGHT = grpc_route("weighted-backends", _rule([], "[" + ", ".join(
    ref(f"grpc-infra-backend-v{n}", weight=w) for n, w in ((1, 70), (2, 30), (3, 0))) + "]"))
GATEWAY_MANIFESTS = [LISTENER_HOSTNAME_MATCHING]


class EchoClient:
    """One channel to a Gateway's port-80 listener; `authority` as upstream's RequestMetadata.Authority."""

    def __init__(self, gw, gateway: str, authority: str | None = None):
        address = UPSTREAM_ADDRESSES[gateway]
        self.channel = grpc.insecure_channel(f"{address}:{gw.port(80)}",
                                             options=[("grpc.default_authority", authority or address)])

    def __enter__(self) -> EchoClient:
        return self

    def __exit__(self, *exc) -> None:
        self.channel.close()

    def call(self, method: str, metadata: dict[str, str] | None = None):
        """(status code, EchoResponse or None) of one unary call of GrpcEcho/`method`."""
        stub = self.channel.unary_unary(f"/{pb.SERVICE}/{method}", request_serializer=pb.EchoRequest.SerializeToString,
                                        response_deserializer=pb.EchoResponse.FromString)
        try:
            return grpc.StatusCode.OK, stub(pb.EchoRequest(), metadata=list((metadata or {}).items()), timeout=5)
        except grpc.RpcError as e:
            return e.code(), None
