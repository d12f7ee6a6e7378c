"""The messages of the Gateway API conformance gRPC echo service (`gateway_api_conformance.echo_basic.grpcecho`,
conformance/echo-basic/grpcecho.proto of gateway-api v1.6.1), built from a descriptor written here with the
protobuf runtime, so neither a .proto file nor generated code is needed.

    EchoResponse{assertions: Assertions{fully_qualified_method, headers: [Header{key, value}], authority,
                 context: Context{namespace, ingress, service_name, pod}, tls_assertions}, request: EchoRequest{}}
"""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PACKAGE = "gateway_api_conformance.echo_basic.grpcecho"
SERVICE = f"{PACKAGE}.GrpcEcho"
# Echo and EchoTwo answer; EchoThree is declared by the service but intentionally unimplemented
ANSWERED = ("Echo", "EchoTwo")

_STRING, _MESSAGE = descriptor_pb2.FieldDescriptorProto.TYPE_STRING, descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
_OPTIONAL, _REPEATED = (descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
                        descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED)
# message -> [(field, number, type, repeated?, message type)]
_MESSAGES: dict[str, list[tuple[str, int, int, bool, str]]] = {
    "Header": [("key", 1, _STRING, False, ""), ("value", 2, _STRING, False, "")],
    "Context": [("namespace", 1, _STRING, False, ""), ("ingress", 2, _STRING, False, ""),
                ("service_name", 3, _STRING, False, ""), ("pod", 4, _STRING, False, "")],
    "TLSAssertions": [("version", 1, _STRING, False, ""), ("negotiated_protocol", 2, _STRING, False, ""),
                      ("server_name", 3, _STRING, False, ""), ("cipher_suite", 4, _STRING, False, ""),
                      ("peer_certificates", 5, _STRING, True, "")],
    "Assertions": [("fully_qualified_method", 1, _STRING, False, ""), ("headers", 2, _MESSAGE, True, "Header"),
                   ("authority", 3, _STRING, False, ""), ("context", 4, _MESSAGE, False, "Context"),
                   ("tls_assertions", 5, _MESSAGE, False, "TLSAssertions")],
    "EchoRequest": [],
    "EchoResponse": [("assertions", 1, _MESSAGE, False, "Assertions"), ("request", 2, _MESSAGE, False, "EchoRequest")],
}


def _file() -> descriptor_pb2.FileDescriptorProto:
    out = descriptor_pb2.FileDescriptorProto(name="kgw/grpcecho.proto", package=PACKAGE, syntax="proto3")
    for name, fields in _MESSAGES.items():
        message = out.message_type.add(name=name)
        for field, number, kind, repeated, type_name in fields:
            message.field.add(name=field, number=number, type=kind, label=_REPEATED if repeated else _OPTIONAL,
                              type_name=f".{PACKAGE}.{type_name}" if type_name else None)
    service = out.service.add(name="GrpcEcho")
    for method in (*ANSWERED, "EchoThree"):
        service.method.add(name=method, input_type=f".{PACKAGE}.EchoRequest", output_type=f".{PACKAGE}.EchoResponse")
    return out


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())
EchoRequest = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.EchoRequest"))
EchoResponse = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.EchoResponse"))
