"""GRPCRoute: exact service/method, whole-service and regex matches, header matches, filters, weights,
over h2c and over TLS (HTTPS listener, ALPN h2), sharing the HTTPRoute translation."""
import grpc
import pytest
from conf_grpc import call

pytestmark = pytest.mark.e2e
H = "grpc.example.com"


@pytest.mark.parametrize("method,metadata,backend", [
    ("/echo.Echo/Say", [], "grpc-infra-backend-v1"),
    ("/echo.Echo/Say", [("version", "two")], "grpc-infra-backend-v2"),  # more header matches win
    ("/echo.Other/Anything", [], "grpc-infra-backend-v2"),
    ("/weighted.Svc/Call", [], "grpc-infra-backend-v1"),  # regex service; weight 0 backend gets nothing
], ids=["exact method", "header match", "whole service", "regex service"])
def test_grpc_routing_h2c(gw, method, metadata, backend):
    echoed, _, code = call(gw, method, H, metadata)
    assert code == grpc.StatusCode.OK
    assert echoed["service"] == backend and echoed["method"] == method


def test_grpc_unmatched_method_is_unimplemented(gw):
    # Envoy's 404 becomes gRPC status UNIMPLEMENTED for a gRPC client
    _, _, code = call(gw, "/echo.Echo/Other", H)
    assert code == grpc.StatusCode.UNIMPLEMENTED


def test_grpc_filters(gw):
    echoed, md, code = call(gw, "/echo.Other/X", H)
    assert code == grpc.StatusCode.OK
    assert echoed["metadata"]["x-added"] == ["added"]
    assert md["x-grpc-filter"] == "applied"


def test_grpc_over_tls(gw):
    echoed, _, code = call(gw, "/echo.Echo/Say", "a.example.org", tls_ca=gw.ca_file, port=443)
    assert code == grpc.StatusCode.OK and echoed["service"] == "grpc-infra-backend-v1"


def test_grpcroute_status(gw):
    status = gw.status_of("GRPCRoute", "gateway-conformance-infra", "grpc")
    assert [p["parentRef"]["sectionName"] for p in status["parents"]] == ["http", "https-a"]
    for parent in status["parents"]:
        conds = {c["type"]: (c["status"], c["reason"]) for c in parent["conditions"]}
        assert conds == {"Accepted": ("True", "Accepted"), "ResolvedRefs": ("True", "ResolvedRefs")}
