"""Status assertions shaped like the upstream suite's helpers (conformance/utils/kubernetes/helpers.go): a
condition matches on type and status, and on reason unless the expectation leaves it out (None)."""
from __future__ import annotations

from conf_infra import INFRA

HTTPROUTE = [("gateway.networking.k8s.io", "HTTPRoute")]
# generateAcceptedListenerConditions
READY = [("ResolvedRefs", "True", None), ("Accepted", "True", None), ("Programmed", "True", None)]


def has(conditions: list[dict], ctype: str, status: str, reason: str | None = None) -> bool:
    return any(c["type"] == ctype and c["status"] == status and reason in (None, c["reason"]) for c in conditions)


def assert_conditions(conditions: list[dict], expected: list[tuple], what: str) -> None:
    for ctype, status, reason in expected:
        assert has(conditions, ctype, status, reason), f"{what}: no {ctype}={status} {reason or ''}: {conditions}"


def assert_latest(status: dict, generation: int, what: str) -> None:
    """Every condition observed the object's current generation (ConditionsHaveLatestObservedGeneration)."""
    seen = {c["observedGeneration"] for c in status.get("conditions", [])}
    assert seen == {generation}, f"{what}: observedGeneration {seen}, want {generation}"


def listeners_have(status: dict, expected: list[tuple], names: list[str], what: str) -> None:
    """ListenerSetListenersMustHaveConditions / GatewayListenersMustHaveConditions for the named listeners."""
    by_name = {ls["name"]: ls for ls in status.get("listeners", [])}
    for name in names:
        assert name in by_name, f"{what}: no listener {name}: {sorted(by_name)}"
        assert_conditions(by_name[name]["conditions"], expected, f"{what}/{name}")


def exact_listeners(status: dict, expected: list[tuple], what: str) -> None:
    """ListenerSetStatusMustHaveListeners: exactly these listeners, (name, kinds, conditions, attachedRoutes)."""
    actual = {ls["name"]: ls for ls in status.get("listeners", [])}
    assert sorted(actual) == sorted(e[0] for e in expected), f"{what}: listeners {sorted(actual)}"
    for name, kinds, conditions, attached in expected:
        ls = actual[name]
        got_kinds = {(k["group"], k["kind"]) for k in ls["supportedKinds"]}
        assert set(kinds) <= got_kinds and (kinds or not got_kinds), f"{what}/{name} kinds: {got_kinds}"
        assert_conditions(ls["conditions"], conditions, f"{what}/{name}")
        got = ls["attachedRoutes"]
        assert got == attached, f"{what}/{name}: attachedRoutes {got}, want {attached}"


def route_parent(gw, route: str, parent: str, ns: str = INFRA, route_ns: str = INFRA) -> dict:
    """The status entry of `route` for its parentRef named `parent` (HTTPRouteMustHaveCondition's match)."""
    parents = gw.status_of("HTTPRoute", route_ns, route)["parents"]
    for entry in parents:
        ref = entry["parentRef"]
        if ref["name"] == parent and ref.get("namespace", route_ns) == ns:
            return entry
    raise AssertionError(f"HTTPRoute {route_ns}/{route} has no parent {ns}/{parent}: {parents}")


def route_accepted_by(gw, route: str, kind: str, parent: str, ns: str = INFRA, route_ns: str = INFRA) -> None:
    """RoutesAndParentMustBeAccepted's route half: a parent entry for exactly that parent, Accepted=True."""
    entry = route_parent(gw, route, parent, ns, route_ns)
    assert (entry["parentRef"].get("group"), entry["parentRef"].get("kind")) == ("gateway.networking.k8s.io", kind)
    assert entry["controllerName"] == "kgateway.dev/kgateway"
    assert_conditions(entry["conditions"], [("Accepted", "True", "Accepted")], f"{route} on {parent}")
