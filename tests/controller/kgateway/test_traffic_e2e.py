"""TrafficPolicy and BackendConfigPolicy with a real Envoy, in both modes (`kgw up`, and `kgw controller`
against the API server): retries against a backend that fails the first attempts, 429s once the bucket is
empty (per rate-limit descriptor a rules program sets, too), a gzip response the client decodes, a fault
delay and abort, header modifiers; two endpoints for outlier detection, active health checks and sticky
sessions; and a policy kgw cannot apply, reported."""
import gzip
import http.client
import json
import threading
import time
import uuid

import pytest
from traffic_manifests import TRAFFIC, pair_yaml, resilience_yaml

from kgw_controller import echo

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _request(d, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", d.gw_port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def test_traffic_policies(deployed):
    d = deployed
    d.write("traffic.yaml", TRAFFIC)
    d.start()

    # retry: the backend fails the first two attempts with 503; three retries get the answer
    key = uuid.uuid4().hex
    status, body, headers = _request(d, f"/retry/x?uuid={key}&succeedAfter=2&responseCode=503")
    assert status == 200, (status, body)
    assert json.loads(body)["headers"]["X-Policy"] == ["retry"] and headers["x-served-by"] == "kgw"
    # the same flaky backend without a retry policy: the first failure reaches the client
    status, _, _ = _request(d, f"/noretry/x?uuid={uuid.uuid4().hex}&succeedAfter=2&responseCode=503")
    assert status == 503

    # local rate limit: three tokens, no refill within the test; then 429 with the x-ratelimit-* headers
    answers = [_request(d, "/limited") for _ in range(5)]
    assert [a[0] for a in answers] == [200, 200, 200, 429, 429]
    assert answers[-1][2]["x-ratelimit-limit"] == "3" and answers[-1][2]["x-ratelimit-remaining"] == "0"

    # rate-limit descriptors from rules: acme's own bucket (1), a bucket per other tenant (2 each)
    tenants = [_request(d, f"/tenants/{t}")[0] for t in ("acme", "acme", "globex", "globex", "globex", "initech")]
    assert tenants == [200, 429, 200, 200, 429, 200]
    # the descriptor reaches the backend as the header the limit read; a client cannot send its own (the
    # Gateway removes it): acme's bucket is empty, yet a request whose rules set no tenant passes
    status, body, _ = _request(d, "/tenants/hooli")
    assert status == 200 and json.loads(body)["headers"]["X-Kgw-Descriptor-Tenant"] == ["hooli"]
    status, body, _ = _request(d, "/tenants", {"x-kgw-descriptor-tenant": "acme"})
    assert status == 200 and "X-Kgw-Descriptor-Tenant" not in json.loads(body)["headers"]

    # compression: gzip when the client accepts it (decoded here), plain otherwise
    status, body, headers = _request(d, "/gzip/" + "x" * 200, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip", headers
    assert json.loads(gzip.decompress(body))["path"] == "/gzip/" + "x" * 200
    status, body, headers = _request(d, "/gzip/plain", {})
    assert "content-encoding" not in headers and json.loads(body)["path"] == "/gzip/plain"

    # fault injection: a fixed delay, and an abort that never reaches the backend
    t0 = time.monotonic()
    assert _request(d, "/delay")[0] == 200
    assert time.monotonic() - t0 >= 0.3  # 400 ms configured; Envoy's timer may fire a little early by our clock
    before = len(d.echo.seen)
    assert _request(d, "/abort")[0] == 418
    assert len(d.echo.seen) == before

    accepted = d.status_of("TrafficPolicy", "default", "limited")["ancestors"][0]["conditions"]
    assert [(c["type"], c["status"]) for c in accepted] == [("Accepted", "True"), ("Attached", "True")]

    # a field kgw does not implement: reported on the policy, and its route answers 500 (never unprotected)
    d.write("jwt.yaml", TRAFFIC.split("---")[0].replace("name: traffic", "name: secured")
            .replace("value: /", "value: /secured/") + """\
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: jwt, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: secured}]
  extProc: {extensionRef: {name: idp}}
""")
    d.wait_status("/secured/retry", 500)
    cond = d.status_of("TrafficPolicy", "default", "jwt")["ancestors"][0]["conditions"][0]
    assert cond["status"] == "False" and "spec.extProc: not supported by kgw" in cond["message"], cond


class _Failing(echo.EchoHandler):
    """Answers 503 to everything (health checks included) while `server.failing` is set."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if not self.server.failing:
            return self._answer()
        self._body()
        self._plain(503, "down")


@pytest.fixture
def pair(deployed):
    """Two endpoints of the Service `pair` on one port: a good echo on 127.0.0.1 and one on 127.0.0.2 that can
    be made to fail."""
    good = echo.start_in_thread("127.0.0.1", 0, service="pair", pod="good")
    port = good.server_address[1]
    bad = echo.EchoServer(("127.0.0.2", port), type("Handler", (_Failing,), {"identity": {"pod": "bad"}}))
    bad.failing = False
    threading.Thread(target=bad.serve_forever, daemon=True).start()
    deployed.write("pair.yaml", pair_yaml(port))
    yield deployed, good, bad
    for server in (good, bad):
        server.shutdown()
        server.server_close()


def _pods(d, n: int, headers: dict | None = None) -> list[str]:
    out = []
    for _ in range(n):
        status, body, _ = _request(d, "/pair", headers)
        out.append(json.loads(body)["pod"] if status == 200 else str(status))
    return out


def test_backend_resilience(pair):
    d, good, bad = pair
    # outlier detection: two 5xx in a row eject an endpoint for a minute
    d.write("resilience.yaml", resilience_yaml(
        "  outlierDetection: {consecutive5xx: 2, interval: 100ms, baseEjectionTime: 60s, maxEjectionPercent: 100}\n"
        "  loadBalancer: {healthyPanicThreshold: 0, roundRobin: {}}\n"))
    d.start()
    assert set(_pods(d, 10)) == {"good", "bad"}  # round robin over both
    bad.failing = True
    seen = _pods(d, 12)
    assert "503" in seen  # the failing endpoint answered until it was ejected
    assert _pods(d, 20) == ["good"] * 20, "the failing endpoint was not ejected"

    # active health checks: the endpoint whose /healthz fails takes no traffic
    d.write("resilience.yaml", resilience_yaml(
        "  healthCheck: {timeout: 1s, interval: 200ms, unhealthyThreshold: 1, healthyThreshold: 1,\n"
        "                http: {path: /healthz}}\n"
        "  loadBalancer: {healthyPanicThreshold: 0, roundRobin: {}}\n"))
    d.settle()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and set(_pods(d, 4)) != {"good"}:
        time.sleep(0.1)
    assert _pods(d, 20) == ["good"] * 20, "the endpoint failing its health check still takes traffic"
    bad.failing = False  # healthy again: back in rotation after a passing check
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "bad" not in _pods(d, 4):
        time.sleep(0.1)
    assert "bad" in _pods(d, 10)

    # sticky sessions, kgateway's way: a ring hash on a cookie Envoy generates (BackendConfigPolicy)
    d.write("resilience.yaml", resilience_yaml(
        "  loadBalancer: {ringHash: {hashPolicies: [{cookie: {name: kgw-hash, ttl: 1h}}]}}\n"))
    d.settle()
    _sticky(d, "kgw-hash")
    # HTTPRoute sessionPersistence: an experimental-channel field, which the cluster tier's standard-channel
    # CRDs do not have (its API server refuses it), so only where manifests are files
    if d.mode.name == "up":
        d.write("resilience.yaml", resilience_yaml("  connectTimeout: 2s\n", rule_extra=(
            "    sessionPersistence: {sessionName: kgw-sticky}\n")))
        d.settle()
        _sticky(d, "kgw-sticky")


def _sticky(d, cookie_name: str) -> None:
    """The first answer sets the cookie; 50 requests with it reach that endpoint; without it, both answer."""
    status, body, headers = _request(d, "/pair")
    assert status == 200 and f"{cookie_name}=" in headers.get("set-cookie", ""), headers
    cookie = headers["set-cookie"].split(";", 1)[0]
    first = json.loads(body)["pod"]
    assert _pods(d, 50, {"Cookie": cookie}) == [first] * 50
    assert set(_pods(d, 20)) == {"good", "bad"}
