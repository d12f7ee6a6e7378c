"""A field kgw does not implement is reported, never dropped: for every kind kgw configures itself from, an
unknown field (at the top of `spec` or deep inside it) makes the object invalid, with its status saying which
field and why; core kinds keep ignoring what is not kgw's configuration; the CRDs keep unknown fields so a
cluster shows them to kgw."""
from __future__ import annotations

import pathlib

import pytest
import yaml

from kgw_controller import crdgen
from kgw_controller.models import BY_KIND_GROUP, KINDS
from kgw_controller.models.unsupported import UNSUPPORTED, field_path
from kgw_controller.resources import Resources
from kgw_controller.translate import translate

ROOT = pathlib.Path(__file__).resolve().parents[3]
GW, KGW = "gateway.networking.k8s.io/v1", "gateway.kgateway.dev/v1alpha1"
ROUTE_REF = {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "r"}
GATEWAY_REF = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}

# A valid object of every kind whose fields are kgw's configuration, and a path deep inside it for a typo.
VALID = {
    "GatewayClass": ({"controllerName": "kgateway.dev/kgateway",
                      "parametersRef": {"group": "gateway.kgateway.dev", "kind": "GatewayParameters", "name": "p"}},
                     ["parametersRef"]),
    "Gateway": ({"gatewayClassName": "kgw", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
                ["listeners", 0]),
    "HTTPRoute": ({"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]},
                  ["rules", 0, "backendRefs", 0]),
    "GRPCRoute": ({"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]},
                  ["rules", 0]),
    "ReferenceGrant": ({"from": [{"group": "", "kind": "Service", "namespace": "x"}],
                        "to": [{"group": "", "kind": "Service"}]}, ["to", 0]),
    "RoutePolicy": ({"targetRefs": [ROUTE_REF], "timeout": 1}, ["targetRefs", 0]),
    "TrafficPolicy": ({"targetRefs": [ROUTE_REF], "retry": {"retryOn": ["5xx"]}}, ["retry"]),
    "DirectResponse": ({"status": 200}, []),
    "Backend": ({"type": "Static", "static": {"hosts": [{"host": "a", "port": 1}]}}, ["static", "hosts", 0]),
    "HTTPListenerPolicy": ({"targetRefs": [GATEWAY_REF], "accessLog": [{"fileSink": {"path": "/x"}}]},
                           ["accessLog", 0, "fileSink"]),
    "ListenerPolicy": ({"targetRefs": [GATEWAY_REF], "perConnectionBufferLimitBytes": 1}, []),
    "GatewayParameters": ({"kube": {"deployment": {"replicas": 1}}}, ["kube", "deployment"]),
    "BackendConfigPolicy": ({"targetRefs": [{"group": "", "kind": "Service", "name": "s"}],
                             "outlierDetection": {"consecutive5xx": 1}}, ["outlierDetection"]),
    "ListenerSet": ({"parentRef": {"name": "gw"}, "listeners": [{"name": "l", "port": 80, "protocol": "HTTP"}]},
                    ["listeners", 0]),
    "TLSRoute": ({"parentRefs": [{"name": "gw"}], "hostnames": ["a.example.com"],
                  "rules": [{"backendRefs": [{"name": "s", "port": 443}]}]}, ["rules", 0, "backendRefs", 0]),
    "TCPRoute": ({"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]},
                 ["rules", 0]),
    "UDPRoute": ({"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "s", "port": 53}]}]},
                 ["parentRefs", 0]),
    "BackendTLSPolicy": ({"targetRefs": [{"group": "", "kind": "Service", "name": "s"}],
                          "validation": {"hostname": "a.example.com", "wellKnownCACertificates": "System"}},
                         ["validation"]),
    "GatewayExtension": ({"jwt": {"providers": [{"name": "p", "jwks": {"local": {"inline": "{}"}}}]}},
                         ["jwt", "providers", 0, "jwks"]),
}
CORE = {"Service", "EndpointSlice", "Namespace", "Secret", "ConfigMap"}


def _doc(kind: str, spec: dict) -> dict:
    model = next(m for m in KINDS if kind == m.KIND)
    return {"apiVersion": model.API_VERSIONS[0], "kind": kind, "metadata": {"name": "o", "namespace": "default"},
            "spec": spec}


def _set(spec: dict, path: list, key: str) -> dict:
    out = yaml.safe_load(yaml.safe_dump(spec))
    node = out
    for part in path:
        node = node[part]
    node[key] = True
    return out


def test_every_configuration_kind_is_covered():
    assert set(VALID) | CORE == {m.KIND for m in KINDS}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_unknown_fields_are_refused_with_their_path(kind):
    spec, deep = VALID[kind]
    ok, errors = Resources.from_objects([_doc(kind, spec)])
    assert errors == [] and not ok.invalid, [str(e) for e in errors]
    for path in ([], deep):
        res, errors = Resources.from_objects([_doc(kind, _set(spec, path, "someNewField"))])
        want = ".".join(["spec", *(f"[{p}]" if isinstance(p, int) else p for p in path), "someNewField"])
        want = want.replace(".[", "[")
        assert [e.field for e in errors] == [want], [str(e) for e in errors]
        assert "unknown field: kgw does not implement it" in errors[0].message
        assert [i.kind for i in res.invalid] == [kind]


def test_invalid_policies_report_on_their_targets():
    doc = _doc("TrafficPolicy", {"targetRefs": [ROUTE_REF, GATEWAY_REF], "extProc": {"extensionRef": {"name": "o"}}})
    res, _ = Resources.from_objects([doc])
    [status] = [s for s in translate(res).statuses if s["kind"] == "TrafficPolicy"]
    assert status["apiVersion"] == KGW
    assert [a["ancestorRef"]["kind"] for a in status["status"]["ancestors"]] == ["HTTPRoute", "Gateway"]
    accepted = status["status"]["ancestors"][0]["conditions"][0]
    assert (accepted["status"], accepted["reason"]) == ("False", "Invalid")
    assert "spec.extProc: not supported by kgw" in accepted["message"]
    other, _ = Resources.from_objects([_doc("Backend", {"type": "Static", "static": {"hosts": [], "x": 1}})])
    [status] = [s for s in translate(other).statuses if s["kind"] == "Backend"]
    assert status["status"]["conditions"][0]["reason"] == "Invalid"


def test_core_kinds_ignore_what_is_not_kgws_configuration():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "managedFields": [{}]},
           "spec": {"ports": [{"port": 80, "someNewField": 1}], "sessionAffinity": "None"}, "status": {"x": 1}}
    res, errors = Resources.from_objects([svc])
    assert errors == [] and ("default", "s") in res.services


def test_status_and_metadata_extras_are_not_errors():
    doc = _doc("TrafficPolicy", VALID["TrafficPolicy"][0])
    doc["status"] = {"ancestors": []}
    doc["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    _, errors = Resources.from_objects([doc])
    assert errors == []


def test_unsupported_kgateway_fields_say_why_and_are_documented():
    rows = [line for line in (ROOT / "docs" / "kgateway-api.md").read_text().splitlines()
            if line.startswith("|") and "| no |" in line]
    for (kind, path), why in UNSUPPORTED.items():
        parts = path.removeprefix("spec.").split(".")
        assert why and any(f"`{parts[0]}" in row and parts[-1] in row for row in rows), (kind, path)
    assert field_path(("spec", "headerModifiers", "request", "set", 3, "secretRef")) == \
        "spec.headerModifiers.request.set[].secretRef"
    res, errors = Resources.from_objects([_doc("TrafficPolicy", {
        "targetRefs": [ROUTE_REF], "headerModifiers": {"request": {"set": [{"name": "a", "secretRef": {}}]}}})])
    assert any("header values from Secrets are not implemented" in e.message for e in errors)


def test_crds_keep_unknown_fields_at_every_level():
    def objects(node, path="spec"):
        if isinstance(node, dict):
            if "properties" in node:
                yield path, node
            for key, value in node.items():
                yield from objects(value, f"{path}.{key}")
        elif isinstance(node, list):
            for v in node:
                yield from objects(v, path)

    for text in crdgen.files().values():
        crd = yaml.safe_load(text)
        spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        for path, node in objects(spec):
            assert node.get("x-kubernetes-preserve-unknown-fields") is True, (crd["spec"]["names"]["kind"], path)
            assert "additionalProperties" not in node or node["additionalProperties"] is not False


def test_by_kind_group_names_every_kind():
    assert {m.KIND for m in BY_KIND_GROUP.values()} == {m.KIND for m in KINDS}
