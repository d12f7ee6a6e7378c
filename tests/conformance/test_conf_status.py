"""GatewayClass and Gateway status as written to the API: conditions, reasons, observedGeneration, addresses."""
import pytest
from conf_infra import INFRA

pytestmark = pytest.mark.e2e


def _conds(status):
    return {c["type"]: (c["status"], c["reason"], c["observedGeneration"]) for c in status["conditions"]}


def test_gateway_class_status(gw):
    assert _conds(gw.status_of("GatewayClass", "", "kgw-conformance")) == {
        "Accepted": ("True", "Accepted", 1), "SupportedVersion": ("True", "SupportedVersion", 1)}


def test_gateway_status(gw):
    status = gw.status_of("Gateway", INFRA, "conformance")
    assert status["addresses"] == [gw.gateway_address()]
    conds = _conds(status)
    generation = gw.generation_of("Gateway", INFRA, "conformance")  # 3 in the manifest; the server's own
    # https-c has no permitted certificate until its ReferenceGrant exists, so not every listener is valid
    assert conds["Accepted"][0] == "True" and conds["Accepted"][2] == generation
    assert conds["Programmed"] == ("True", "Programmed", generation)
    http = next(ls for ls in status["listeners"] if ls["name"] == "http")
    assert {c["type"]: (c["status"], c["reason"]) for c in http["conditions"]} == {
        "Accepted": ("True", "Accepted"), "Conflicted": ("False", "NoConflicts"),
        "Programmed": ("True", "Programmed"), "ResolvedRefs": ("True", "ResolvedRefs")}
