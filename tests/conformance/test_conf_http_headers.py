"""RequestHeaderModifier / ResponseHeaderModifier (set, add, remove; case-insensitive names; multi-value)
on rules and on backendRefs."""
import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e
H = "headers.example.com"

CASES = [
    Case("request: set adds a missing header", H, "/request",
         backend_headers={"X-Header-Set": "set-overwrites-values", "X-Header-Add": "add-appends-values"}),
    Case("request: set overwrites, add appends, remove removes", H, "/request",
         headers={"x-header-set": "original", "X-Header-Add": "original", "X-Header-Remove": "gone",
                  "X-Header-Keep": "kept"},
         backend_headers={"X-Header-Set": "set-overwrites-values", "X-Header-Add": "original,add-appends-values",
                          "X-Header-Keep": "kept"},
         absent_backend_headers=["X-Header-Remove"]),
    Case("request: names are matched case-insensitively", H, "/request",
         headers={"X-HEADER-SET": "original", "x-header-remove": "gone"},
         backend_headers={"X-Header-Set": "set-overwrites-values"}, absent_backend_headers=["X-Header-Remove"]),
    Case("response: set, add, remove", H, "/response",
         headers={"X-Echo-Set-Header": "X-Header-Set:original,X-Header-Add:original,X-Header-Remove:gone"},
         response_headers={"X-Header-Set": "set-overwrites-values", "X-Header-Add": "original,add-appends-values"},
         absent_response_headers=["X-Header-Remove"]),
    Case("response: set and add without upstream values", H, "/response",
         response_headers={"X-Header-Set": "set-overwrites-values", "X-Header-Add": "add-appends-values"}),
    Case("backendRef-level request and response header filters", H, "/backend-filters",
         backend_headers={"X-Backend": "v1"}, response_headers={"X-Backend-Response": "v1"}),
    # Values are literal: Envoy's %VAR% substitutions never apply, and a lone % is not refused.
    Case("values are literal", H, "/literal", backend_headers={"X-Percent": "50% of %DOWNSTREAM_REMOTE_ADDRESS%"},
         response_headers={"X-Percent": "100%"}),
    # Envoy refuses a route table that changes Host: that rule answers 500 (status says why), the rest is served.
    Case("a modifier that changes Host makes its rule answer 500", H, "/host", status=500, backend=None),
]


def test_host_modifier_is_reported(gw):
    (parent,) = gw.status_of("HTTPRoute", "gateway-conformance-infra", "headers")["parents"]
    conds = {c["type"]: c for c in parent["conditions"]}
    assert conds["Accepted"]["status"] == "True" and conds["PartiallyInvalid"]["status"] == "True"
    assert "the Host header cannot be changed by a header modifier" in conds["PartiallyInvalid"]["message"]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_header_modifiers(gw, case):
    check(gw, case)
