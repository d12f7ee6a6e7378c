"""Upstream v1.6.1 `GatewayInvalidParametersRef`: a parametersRef to an unknown group/kind rejects the Gateway
(Accepted=False InvalidParameters), with every condition at the latest generation. A missing or invalid
GatewayParameters rejects it too: tests/controller/translate golden `gateway-invalid-parameters-ref`."""
import pytest
from conf_infra import INFRA

pytestmark = pytest.mark.e2e


def test_GatewayInvalidParametersRef(gw):
    status = gw.status_of("Gateway", INFRA, "gateway-invalid-parameters-ref")
    conds = {c["type"]: c for c in status["conditions"]}
    assert (conds["Accepted"]["status"], conds["Accepted"]["reason"]) == ("False", "InvalidParameters")
    assert "invalid.io/InvalidParameters" in conds["Accepted"]["message"]
    assert (conds["Programmed"]["status"], conds["Programmed"]["reason"]) == ("False", "Invalid")
    assert {c["observedGeneration"] for c in status["conditions"]} == {1}
    assert "addresses" not in status  # it binds nothing
    assert "gateway-conformance-infra/gateway-invalid-parameters-ref" not in gw.admin("/status")[1]["gateways"]
