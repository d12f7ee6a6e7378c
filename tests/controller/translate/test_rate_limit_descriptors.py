"""Two local rate-limit descriptors with the same entries make Envoy refuse the whole listener ("duplicate
descriptor in the local rate descriptor"; found by test_xds_property): kgw reports the policy instead."""
from __future__ import annotations

from kgw_controller.resources import Resources
from kgw_controller.translate import translate

ROUTE_REF = {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "r"}


def _policy(descriptors: list[dict]) -> dict:
    bucket = {"maxTokens": 5, "fillInterval": "1s"}
    return {"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "TrafficPolicy",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"targetRefs": [ROUTE_REF], "rateLimit": {"local": {
                "tokenBucket": bucket,
                "descriptors": [{"entries": e, "tokenBucket": bucket} for e in descriptors]}}}}


def test_descriptors_with_the_same_entries_are_reported_by_index():
    same = [[{"key": "tenant", "value": "acme"}, {"key": "plan"}],
            [{"key": "plan"}, {"value": "acme", "key": "tenant"}]]
    res, errors = Resources.from_objects([_policy(same)])
    assert [e.field for e in errors] == ["spec.rateLimit.local"], [str(e) for e in errors]
    assert "descriptors[1] has the same entries as descriptors[0]" in errors[0].message
    [status] = [s for s in translate(res).statuses if s["kind"] == "TrafficPolicy"]
    assert status["status"]["ancestors"][0]["conditions"][0]["reason"] == "Invalid"


def test_descriptors_that_differ_in_one_value_are_accepted():
    res, errors = Resources.from_objects([_policy([[{"key": "tenant", "value": "acme"}],
                                                  [{"key": "tenant", "value": "gold"}],
                                                  [{"key": "tenant"}]])])
    assert errors == [] and not res.invalid
