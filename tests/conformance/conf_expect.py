"""One request and its expected outcome, checked as the upstream suite's `http.ExpectedResponse` is checked
(conformance/utils/http: MakeRequest + CompareRoundTrip): the status; for a 200 the backend (pod name prefix),
its namespace, the path (with query), host, method and headers it received and the response headers; for a
redirect the Location's scheme, host, port and path, defaults taken from the request as upstream does.

The request goes to a Gateway of conf_upstream.UPSTREAM_ADDRESSES on the listener's port; with no Host given the
client sends the Gateway's address, as the upstream client does for port 80.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from conf_assert import assert_conditions
from conf_infra import INFRA
from conf_upstream import UPSTREAM_ADDRESSES


@dataclass
class Expect:
    path: str
    backend: str = ""  # the answering pod's name starts with it (every 200 is checked)
    status: int | tuple[int, ...] = 200
    method: str = "GET"
    host: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    namespace: str = INFRA
    # what the backend received (ExpectedRequest); None: as sent
    backend_path: str | None = None
    backend_host: str | None = None
    backend_headers: dict[str, str] = field(default_factory=dict)
    absent_backend_headers: tuple[str, ...] = ()
    # BackendSetResponseHeaders: the echo sets them on its answer
    echo_set: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    absent_response_headers: tuple[str, ...] = ()
    # RedirectRequest: scheme, host, port, path of the Location; None: not checked
    redirect: dict[str, str] | None = None

    def __str__(self) -> str:
        extra = "".join(f" {k}={v}" for k, v in self.headers.items())
        return f"{self.method} {self.host or ''}{self.path}{extra} -> {self.status} {self.backend}".strip()


def expect(gw, gateway: str, case: Expect, port: int = 80):
    address = UPSTREAM_ADDRESSES[gateway]
    headers = dict(case.headers)
    if case.echo_set:
        headers["X-Echo-Set-Header"] = ",".join(f"{k}:{v}" for k, v in case.echo_set.items())
    resp = gw.request(case.host or address, case.path, case.method, headers, port=port, address=address)
    statuses = case.status if isinstance(case.status, tuple) else (case.status,)
    assert resp.status in statuses, f"{case}: status {resp.status}, body {resp.body[:300]!r}"
    if resp.status in (200, 204):
        _check_backend(case, resp)
    elif 300 <= resp.status < 400 and case.redirect is not None:
        _check_redirect(case, resp.headers.get("location", ""), address)
    return resp


def _check_backend(case: Expect, resp) -> None:
    echoed = resp.echoed()
    assert echoed["pod"].startswith(case.backend), f"{case}: answered by {echoed['pod']}"
    assert echoed["namespace"] == case.namespace, f"{case}: namespace {echoed['namespace']}"
    assert echoed["path"] == (case.backend_path or case.path), f"{case}: backend saw path {echoed['path']}"
    assert echoed["method"] == case.method, f"{case}: backend saw method {echoed['method']}"
    if case.backend_host:
        assert echoed["host"] == case.backend_host, f"{case}: backend saw host {echoed['host']}"
    seen = {name.lower(): ",".join(values) for name, values in echoed["headers"].items()}
    for name, value in case.backend_headers.items():
        assert seen.get(name.lower()) == value, f"{case}: backend header {name}: {seen}"
    for name in case.absent_backend_headers:
        assert name.lower() not in seen, f"{case}: backend header {name} must be absent: {seen}"
    for name, value in case.response_headers.items():
        assert resp.headers.get(name.lower()) == value, f"{case}: response header {name}: {resp.headers}"
    for name in case.absent_response_headers:
        assert name.lower() not in resp.headers, f"{case}: response header {name} must be absent: {resp.headers}"


def _check_redirect(case: Expect, location: str, address: str) -> None:
    url = urllib.parse.urlsplit(location)
    want = {"scheme": "http", "path": case.path.split("?")[0], **case.redirect}
    if "host" in want:
        assert url.hostname == want["host"], f"{case}: Location {location}"
    assert url.scheme == want["scheme"], f"{case}: Location {location}"
    assert url.path == want["path"], f"{case}: Location {location}"
    default = {"http": "80", "https": "443"}[url.scheme]
    got = str(url.port) if url.port else ""
    assert got == want["port"] if "port" in want else got in ("", default), f"{case}: Location {location}"


def expect_all(gw, gateway: str, cases: list[Expect], port: int = 80) -> None:
    """Every case, as upstream runs each as a subtest: all failures are reported, not only the first."""
    failures = []
    for case in cases:
        try:
            expect(gw, gateway, case, port)
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, "\n".join(failures)


def parent_status(gw, route: str, gateway: str, route_ns: str = INFRA, kind: str = "HTTPRoute") -> dict:
    for entry in gw.status_of(kind, route_ns, route).get("parents", []):
        if entry["parentRef"]["name"] == gateway and entry["parentRef"].get("namespace", route_ns) == INFRA:
            return entry
    raise AssertionError(f"{kind} {route_ns}/{route}: no status for parent {gateway}")


def route_has(gw, route: str, gateway: str, ctype: str, status: str, reason: str | None = None,
              route_ns: str = INFRA, kind: str = "HTTPRoute") -> None:
    """HTTPRouteMustHaveCondition (reason None: any), for the parent entry of that Gateway."""
    entry = parent_status(gw, route, gateway, route_ns, kind)
    assert entry["controllerName"] == "kgateway.dev/kgateway", entry
    assert_conditions(entry["conditions"], [(ctype, status, reason)], f"{kind} {route} on {gateway}")


def accepted(gw, gateway: str, *routes: str, route_ns: str = INFRA, kind: str = "HTTPRoute") -> None:
    """GatewayAndRoutesMustBeAccepted + HTTPRouteMustHaveResolvedRefsConditionsTrue for each route."""
    status = gw.status_of("Gateway", INFRA, gateway)
    assert_conditions(status["conditions"], [("Accepted", "True", None), ("Programmed", "True", None)], gateway)
    for name in routes:
        route_has(gw, name, gateway, "Accepted", "True", "Accepted", route_ns, kind)
        route_has(gw, name, gateway, "ResolvedRefs", "True", "ResolvedRefs", route_ns, kind)


def not_accepted_anywhere(gw, route: str, route_ns: str = INFRA) -> None:
    """HTTPRouteMustHaveNoAcceptedParents: no parent, or exactly one with Accepted=False."""
    parents = gw.status_of("HTTPRoute", route_ns, route).get("parents", [])
    assert len(parents) <= 1, parents
    for entry in parents:
        assert_conditions(entry["conditions"], [("Accepted", "False", None)], route)


def attached(gw, gateway: str) -> list[int]:
    return [ls["attachedRoutes"] for ls in gw.status_of("Gateway", INFRA, gateway).get("listeners", [])]


def zero_routes(gw, gateway: str) -> None:
    """GatewayMustHaveZeroRoutes: no listener, or exactly one with attachedRoutes 0."""
    listeners = attached(gw, gateway)
    assert listeners in ([], [0]), f"{gateway}: attachedRoutes per listener {listeners}"


MAX_TEST_RETRIES = 10  # upstream weight.MaxTestRetries: a distribution check is tried up to this many times


def weighted(send, weights: dict[str, float], total: int = 500, tolerance: float = 0.05) -> None:
    """TestWeightedDistribution: `total` requests (send() -> the answering backend), each backend's share
    within `tolerance` of its weight; as upstream, a miss is tried again, up to MAX_TEST_RETRIES rounds."""
    misses = []
    for _ in range(MAX_TEST_RETRIES):
        seen: dict[str, int] = {}
        for i in range(total):
            backend = send(i)
            seen[backend] = seen.get(backend, 0) + 1
        if set(seen) <= set(weights) and all(abs(seen.get(b, 0) / total - w) <= tolerance for b, w in weights.items()):
            return
        misses.append(seen)
    raise AssertionError(f"no round within {tolerance}: {misses}")
