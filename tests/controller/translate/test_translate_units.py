"""Unit tests of the pieces golden files exercise only indirectly."""
from __future__ import annotations

import pytest

from kgw_controller.envoy_regex import origin_pattern, regex_problem
from kgw_controller.ir import MatchIR, StringMatchIR
from kgw_controller.resources import Resources
from kgw_controller.translate import TranslateOptions, translate
from kgw_controller.translate.hostnames import intersect, matches
from kgw_controller.translate.routes import duration_ms, precedence


@pytest.mark.parametrize("pattern,host,expected", [
    ("*.example.com", "foo.example.com", True),
    ("*.example.com", "a.b.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "*.sub.example.com", True),
    ("*.example.com", "*.example.com", True),
    ("foo.example.com", "*.example.com", False),
    ("foo.com", "foo.com", True),
])
def test_hostname_matches(pattern, host, expected):
    assert matches(pattern, host) is expected


def test_intersection_rules_from_the_spec():
    assert intersect("*.example.com", ["test.example.com", "test.example.net"]) == ["test.example.com"]
    assert intersect("test.example.com", ["*.example.com"]) == ["test.example.com"]
    assert intersect(None, []) == [""]
    assert intersect("a.com", []) == ["a.com"]
    assert intersect("a.com", ["b.com"]) == []


def test_precedence_order():
    def m(path_type, path, method=None, headers=0, query=0):
        sm = [StringMatchIR(f"h{i}", "Exact", "v") for i in range(headers)]
        qm = [StringMatchIR(f"q{i}", "Exact", "v") for i in range(query)]
        return MatchIR(path_type, path, method, sm, qm)

    ordered = [m("Exact", "/a"), m("RegularExpression", "/a.*"), m("PathPrefix", "/abc"),
               m("PathPrefix", "/a", "GET"), m("PathPrefix", "/a", headers=2),
               m("PathPrefix", "/a", headers=1, query=3), m("PathPrefix", "/a", headers=1), m("PathPrefix", "/a")]
    assert sorted(ordered[::-1], key=precedence) == ordered


def test_regex_and_duration_helpers():
    assert regex_problem("/v[0-9]+") == ""
    assert duration_ms("1h2m3s4ms") == 3723004 and duration_ms("0s") == 0


@pytest.mark.parametrize("pattern,why", [
    ("(?!x)", "not valid RE2 (Envoy's regex engine): invalid perl operator: (?!"),  # look-around
    ("[", "not valid RE2 (Envoy's regex engine): missing ]: ["),
    ("/a\\Z", "invalid escape sequence: \\Z"),  # Python's re takes \Z, RE2 does not
    ("/(?>a)b", "invalid perl operator: (?>"),  # atomic group
    ("/a*+", "bad repetition operator: *+"),  # possessive
    ("/[a-z0-9]{1,64}", "RE2 program of size 196, over Envoy's limit of 100"),  # Envoy refuses: size > 100
])
def test_regexes_envoy_refuses_are_named(pattern, why):
    assert why in regex_problem(pattern)


def test_cors_origin_patterns():
    assert origin_pattern("https://www.foo.com") is None
    assert origin_pattern("*") == ".*"
    assert origin_pattern("https://*.bar.com") == "https://[^/]+\\.bar\\.com"
    assert "over Envoy's limit" in regex_problem(origin_pattern("https://*." + "x" * 100 + ".com"))


def test_translate_is_pure_and_options_apply():
    objs = [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "c"},
         "spec": {"controllerName": "example.com/other"}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "g"},
         "spec": {"gatewayClassName": "c", "listeners": [{"name": "h", "port": 80, "protocol": "HTTP"}]}},
    ]
    resources, _ = Resources.from_objects(objs)
    assert translate(resources).gateways == {}  # not our controller name
    opts = TranslateOptions(controller_name="example.com/other", port_offset=8000, default_address="127.0.0.9",
                            transition_time="2025-01-01T00:00:00Z")
    result = translate(resources, opts)
    [listener] = result.gateways["default/g"].listeners
    assert (listener.bind_address, listener.bind_port, listener.declared_port) == ("127.0.0.9", 8080, 80)
    gw_status = next(s for s in result.statuses if s["kind"] == "Gateway")
    assert gw_status["status"]["addresses"] == [{"type": "IPAddress", "value": "127.0.0.9"}]
    assert gw_status["status"]["conditions"][0]["lastTransitionTime"] == "2025-01-01T00:00:00Z"
    assert translate(resources, opts).statuses == result.statuses


def test_cluster_proxies_serve_privileged_ports_shifted_and_a_collision_is_reported():
    from kgw_controller.sources.files import parse_files
    from kgw_controller.translate import TranslateOptions, translate
    text = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kgw}
spec: {controllerName: kgateway.dev/kgateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: kgw
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: alt, port: 10080, protocol: HTTP}
  - {name: other, port: 81, protocol: HTTP}
"""
    resources, errors = parse_files({"gw.yaml": text})
    assert not errors
    plain = translate(resources).gateways["default/gw"]
    assert sorted(lis.bind_port for lis in plain.listeners) == [80, 81, 10080]  # kgw up binds what is declared
    shifted = translate(resources, TranslateOptions(shift_privileged_ports=True))
    ir = shifted.gateways["default/gw"]
    assert {(lis.declared_port, lis.bind_port) for lis in ir.listeners} == {(80, 10080), (81, 10081)}
    status = next(s["status"] for s in shifted.statuses if s["kind"] == "Gateway")
    alt = next(ls for ls in status["listeners"] if ls["name"] == "alt")
    accepted = next(c for c in alt["conditions"] if c["type"] == "Accepted")
    assert (accepted["status"], accepted["reason"]) == ("False", "PortUnavailable")
    assert "port 10080 is served on 10080, which port 80" in accepted["message"]


def test_cluster_proxies_keep_their_admin_and_readiness_ports():
    from kgw_controller.proxyports import READY_PORT
    from kgw_controller.sources.files import parse_files
    from kgw_controller.translate import TranslateOptions, translate
    from tests.support.manifests import gateway_yaml
    text = gateway_yaml([("ready", READY_PORT, "HTTP")])
    resources, _ = parse_files({"gw.yaml": text})
    status = next(s["status"] for s in translate(resources, TranslateOptions(shift_privileged_ports=True)).statuses
                  if s["kind"] == "Gateway")
    accepted = next(c for c in status["listeners"][0]["conditions"] if c["type"] == "Accepted")
    assert accepted["reason"] == "PortUnavailable" and "readiness port" in accepted["message"]
    assert "default/gw" in translate(resources).gateways  # kgw up's Envoys have no such listener
