"""Status checks of the upstream L4 tests, as the upstream helpers make them (utils/kubernetes): a route's
condition for one parent Gateway, listeners all ready (RoutesAndParentMustBeAccepted), zero attached routes."""
from __future__ import annotations

import collections
import concurrent.futures

from conf_infra import INFRA


def parent(gw, kind: str, route: str, gateway: str) -> dict:
    status = gw.status_of(kind, INFRA, route)
    return next(p for p in status["parents"] if p["parentRef"]["name"] == gateway)


def condition(entry: dict, ctype: str) -> tuple[str, str]:
    return next((c["status"], c["reason"]) for c in entry["conditions"] if c["type"] == ctype)


def assert_route(gw, kind: str, route: str, gateway: str, timeout: float = 10.0, **expected: tuple[str, str]
                 ) -> dict:
    """e.g. assert_route(gw, "TCPRoute", "r", "g", Accepted=("True", "Accepted")), polled until it holds or
    `timeout` passes, as the upstream *RouteMustHaveCondition helpers poll; every condition observed the route's
    current generation."""
    def holds():
        try:
            entry = parent(gw, kind, route, gateway)
        except (KeyError, StopIteration):  # no status (yet) for this parent
            return None
        return entry if all(condition(entry, t) == want for t, want in expected.items()) else None
    try:
        entry = gw.wait_for(holds, timeout=timeout, what=f"{kind} {route} conditions {expected}")
    except AssertionError:
        entry = parent(gw, kind, route, gateway)
    for ctype, want in expected.items():
        assert condition(entry, ctype) == want, f"{kind} {route} on {gateway}: {entry['conditions']}"
    generation = gw.generation_of(kind, INFRA, route)
    assert {c["observedGeneration"] for c in entry["conditions"]} == {generation}, entry["conditions"]
    assert entry["controllerName"] == "kgateway.dev/kgateway"
    return entry


def assert_gateway_ready(gw, gateway: str) -> None:
    """Every listener Accepted, Programmed and ResolvedRefs True (the upstream GatewayAnd*RoutesMustBeAccepted)."""
    for ls in gw.status_of("Gateway", INFRA, gateway)["listeners"]:
        got = {c["type"]: c["status"] for c in ls["conditions"]}
        assert all(got[t] == "True" for t in ("Accepted", "Programmed", "ResolvedRefs")), (gateway, ls)


def assert_zero_routes(gw, gateway: str) -> None:
    """GatewayMustHaveZeroRoutes: no listener in status, or exactly one with 0 attached routes."""
    listeners = gw.status_of("Gateway", INFRA, gateway)["listeners"]
    assert len(listeners) <= 1 and all(ls["attachedRoutes"] == 0 for ls in listeners), listeners


def listener(gw, gateway: str, name: str) -> dict:
    return next(ls for ls in gw.status_of("Gateway", INFRA, gateway)["listeners"] if ls["name"] == name)


def backend_of(pod: str) -> str:
    """The upstream extractBackendName: "<service>-<replicaset>-<pod>" -> "<service>"."""
    return "-".join(pod.split("-")[:-2])


def assert_weighted(send, expected: dict[str, float], total: int = 500, tolerance: float = 0.05,
                    tries: int = 3) -> None:
    """The upstream weight.TestWeightedDistribution: `total` requests (10 at a time), every backend within
    `tolerance` of its share, no other backend; retried as upstream does when a sample falls outside."""
    last = None
    for _ in range(tries):
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            seen = collections.Counter(backend_of(p) for p in pool.map(lambda _: send(), range(total)))
        assert set(seen) <= set(expected), f"unexpected backends: {seen}"
        last = {b: seen[b] / total for b in expected}
        if all(abs(last[b] - share) <= tolerance for b, share in expected.items()) and \
                {b for b in seen} == {b for b, share in expected.items() if share > 0}:
            return
    raise AssertionError(f"weighted distribution {last} is not within {tolerance} of {expected}")
