"""The gRPC echo answers the upstream conformance service with its protobuf EchoResponse (what the upstream
GRPCRoute tests assert on) and every other method with JSON."""
import json

import grpc
import pytest

from kgw_controller import echo_grpc
from kgw_controller import echo_grpc_proto as pb


@pytest.fixture
def channel():
    server, port = echo_grpc.start("127.0.0.1", 0, namespace="ns", service="grpc-infra-backend-v1", pod="pod-1")
    ch = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.default_authority", "foo.bar.com")])
    try:
        yield ch
    finally:
        ch.close()
        server.stop(0)


def _call(channel, method):
    stub = channel.unary_unary(f"/{pb.SERVICE}/{method}", request_serializer=pb.EchoRequest.SerializeToString,
                               response_deserializer=pb.EchoResponse.FromString)
    return stub(pb.EchoRequest(), metadata=[("version", "two")], timeout=5)


@pytest.mark.parametrize("method", ["Echo", "EchoTwo"])
def test_conformance_methods_answer_echo_response(channel, method):
    assertions = _call(channel, method).assertions
    assert assertions.fully_qualified_method == f"/{pb.SERVICE}/{method}"
    assert assertions.authority == "foo.bar.com"
    assert ("version", "two") in [(h.key, h.value) for h in assertions.headers]
    assert (assertions.context.namespace, assertions.context.service_name, assertions.context.pod) == (
        "ns", "grpc-infra-backend-v1", "pod-1")


def test_echo_three_is_unimplemented(channel):
    with pytest.raises(grpc.RpcError) as err:
        _call(channel, "EchoThree")
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_other_methods_still_answer_json(channel):
    body = json.loads(channel.unary_unary("/echo.Echo/Say")(b"ping", timeout=5))
    assert body["method"] == "/echo.Echo/Say" and body["request"] == "ping" and body["pod"] == "pod-1"
