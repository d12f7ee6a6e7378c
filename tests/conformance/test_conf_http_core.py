"""Core HTTPRoute matching (path Exact/PathPrefix, headers, query params, method, regex), named rules,
weights, and the spec's 500 for rules without a usable backend; 404 for no match."""
import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e
H = "match.example.com"

CASES = [
    Case("exact path", H, "/exact"),
    Case("exact path does not match a longer path", H, "/exact/more", status=404, backend=None),
    Case("prefix path", H, "/prefix", backend="infra-backend-v2"),
    Case("prefix matches whole segments", H, "/prefix/one/two", backend="infra-backend-v2"),
    Case("prefix with trailing slash", H, "/prefix/", backend="infra-backend-v2"),
    Case("prefix does not match a partial segment", H, "/prefixed", status=404, backend=None),
    Case("header match", H, "/headers", headers={"Version": "two"}, backend="infra-backend-v3"),
    Case("header names are case-insensitive", H, "/headers", headers={"vERSION": "two"}, backend="infra-backend-v3"),
    Case("header value mismatch", H, "/headers", headers={"Version": "one"}, status=404, backend=None),
    Case("query param match", H, "/query?animal=whale", backend="infra-backend-v3"),
    Case("query param mismatch", H, "/query?animal=dolphin", status=404, backend=None),
    Case("method match", H, "/method", method="POST", backend="infra-backend-v2"),
    Case("method mismatch", H, "/method", method="GET", status=404, backend=None),
    Case("regex path", H, "/regex/123", backend="infra-backend-v3"),
    Case("regex path is a full match", H, "/regex/12a", status=404, backend=None),
    Case("weight 0 gets no traffic", H, "/weights"),
    Case("rule without backendRefs answers 500", H, "/no-backend", status=500, backend=None),
    Case("rule with only a missing backend answers 500", H, "/missing-backend", status=500, backend=None),
    Case("unknown hostname", "nowhere.example.net", "/exact", status=404, backend=None),
    # The port in Host is ignored for matching (ignore_port_in_host_matching) and reaches the backend unchanged.
    Case("the port in Host is ignored", "match.example.com:80", "/exact"),
    Case("any port in Host is ignored", "match.example.com:1234", "/exact"),
    Case("a port does not make an unknown host known", "nowhere.example.net:80", "/exact", status=404, backend=None),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_core_matching(gw, case):
    check(gw, case)


def test_weighted_backends_share_traffic(gw):
    # weight 0 never receives traffic: 30 requests all land on v1 (with weight 1)
    services = {gw.request(H, "/weights").echoed()["service"] for _ in range(30)}
    assert services == {"infra-backend-v1"}


def test_named_rules_and_partial_failure_status(gw):
    status = gw.status_of("HTTPRoute", "gateway-conformance-infra", "core-matching")
    conds = {c["type"]: c for c in status["parents"][0]["conditions"]}
    assert conds["Accepted"]["status"] == "True"
    assert (conds["ResolvedRefs"]["status"], conds["ResolvedRefs"]["reason"]) == ("False", "BackendNotFound")
    assert "does-not-exist" in conds["ResolvedRefs"]["message"]
