"""Upstream v1.6.1 `HTTPRouteRetry` (experimental channel): `retry.codes` and `retry.attempts` on Gateway
same-namespace, against the echo backend's retry simulation (the first N requests of a uuid fail with a
given status): a request succeeds when the backend recovers within the attempts, else the backend's error
reaches the client; a status not listed is never retried. Not upstream: a TCP reset is retried too (the
spec's SHOULD for connection errors), and the number of tries the backend saw is exact."""
import uuid

import pytest
from conf_upstream import RETRY, UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
ADDR = UPSTREAM_ADDRESSES["same-namespace"]
A3, ALL2 = "/retry/code-500-attempts-3", "/retry/code-all-attempts-2"

CASES = [  # (path, failing status, failures before success, status the client gets, failed tries the backend saw)
    (A3, 500, 2, 200, 2), (A3, 500, 4, 500, 4), (A3, 503, 2, 503, 1),
    (ALL2, 500, 1, 200, 1), (ALL2, 500, 3, 500, 3), (ALL2, 502, 1, 200, 1), (ALL2, 502, 3, 502, 3),
    (ALL2, 503, 1, 200, 1), (ALL2, 503, 3, 503, 3), (ALL2, 504, 1, 200, 1), (ALL2, 504, 3, 504, 3),
]


def failed_tries(gw, key):
    return gw.http_backends["infra-backend-v3"].attempts[key]


@pytest.mark.parametrize("path,code,fail,want,tries", CASES,
                         ids=[f"{p}-{c}-fails-{n}-gets-{w}" for p, c, n, w, _ in CASES])
def test_HTTPRouteRetry(gw, path, code, fail, want, tries):
    key = uuid.uuid4().hex
    resp = gw.request(f"{ADDR}:{gw.port(80)}", f"{path}?responseCode={code}&succeedAfter={fail}&uuid={key}",
                      address=ADDR)
    assert resp.status == want, resp.body[:200]
    if want == 200:
        assert resp.echoed()["service"] == "infra-backend-v3"
    assert failed_tries(gw, key) == tries  # attempts: 3 -> at most 4 tries; 503 not listed -> 1


def test_HTTPRouteRetry_connection_reset_is_retried(gw):
    key = uuid.uuid4().hex
    resp = gw.request(f"{ADDR}:{gw.port(80)}", f"{A3}?succeedAfter=2&uuid={key}", address=ADDR)
    assert resp.status == 200 and resp.echoed()["service"] == "infra-backend-v3"
    assert failed_tries(gw, key) == 2


def test_HTTPRouteRetry_status_is_accepted(gw):
    (parent,) = gw.status_of("HTTPRoute", "gateway-conformance-infra", "retries")["parents"]
    assert {c["type"]: c["status"] for c in parent["conditions"]} == {"Accepted": "True", "ResolvedRefs": "True"}


@pytest.fixture(scope="module", autouse=True)
def _experimental_channel(gw):
    if not gw.experimental_channel:
        pytest.skip("HTTPRoute retry is an experimental-channel field: the cluster tier installs the "
                    "standard-channel CRDs, whose schema refuses it")
    with gw.applied("upstream-httproute-retry.yaml", RETRY):
        yield
