"""Reusing per-route translations across reloads (`TranslateCache`).

The rule, kept deliberately simple so that it is easy to see it is sound:

- A route's `RouteEntry` (its RouteIRs, clusters, invalid rules, ResolvedRefs, the clusters it makes HTTP/2)
  is a function of the route object and of the rest of the snapshot. It is reused only when the HTTPRoute /
  GRPCRoute is the *same* Python object as last time (the source caches keep unchanged documents as the same
  objects; models are never mutated) AND every other input is unchanged: for every field of `Resources`
  other than `http_routes` / `grpc_routes`, the same keys mapped to `is`-identical objects (tuples: the same
  objects in the same order; `origins`: equal file names for every non-route object), AND the
  `TranslateOptions` are equal. Otherwise every route is translated again, as without a cache.
- Policies (RoutePolicy, TrafficPolicy, ...) are inputs like any other: a policy added, changed or removed
  makes the next call translate every route again. They never edit a stored entry: policy application works
  on copies of the entries it changes (translate/policies/routepolicy.py `RouteEdits`), so what is stored is
  exactly what route translation produced.

The previous snapshot is held (not just ids) so that identity comparisons can never be fooled by a recycled
`id()`. The cache is an explicit object owned by one caller (the runner) rather than a module-level memo, so
independent callers (tests, the Kubernetes controller, several runners) never share or evict each other's
state, and `translate(resources, options)` without a cache stays exactly as it was.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..resources import Resources

_ROUTE_FIELDS = ("http_routes", "grpc_routes")
_OTHER_FIELDS = tuple(f.name for f in dataclasses.fields(Resources) if f.name not in _ROUTE_FIELDS)
_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(b.get(k, _MISSING) is v for k, v in a.items())
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


_ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")


def _same_origins(a: Mapping, b: Mapping) -> bool:
    """origins ((kind, ns, name) -> file, for messages): equal values for every non-route object. Route
    entries are left out: they come and go with the routes themselves (translate reads no origin today;
    a route in another file is another document, hence another object, and is translated again anyway)."""
    if a is b:
        return True
    a = {k: v for k, v in a.items() if k[0] not in _ROUTE_KINDS}
    b = {k: v for k, v in b.items() if k[0] not in _ROUTE_KINDS}
    return a == b


class TranslateCache:
    """Per-route translations of the last `translate` call, for the next one. Not thread-safe: one caller."""

    def __init__(self) -> None:
        self._resources: Resources | None = None
        self._options: Any = None
        # (kind, namespace, name) -> (route object, RouteEntry, clusters the route makes HTTP/2)
        self._entries: dict[tuple[str, str, str], tuple[Any, Any, frozenset[str]]] = {}
        self.hits = 0  # routes reused by the last call (tests, debugging)

    def usable_for(self, resources: Resources, options: Any) -> bool:
        prev = self._resources
        if prev is None or not self._entries or options != self._options:
            return False
        for name in _OTHER_FIELDS:
            a, b = getattr(prev, name), getattr(resources, name)
            ok = _same_origins(a, b) if name == "origins" else _same(a, b)
            if not ok:
                return False
        return True

    def lookup(self, key: tuple[str, str, str], route: Any):
        hit = self._entries.get(key)
        if hit is not None and hit[0] is route:
            return hit[1], hit[2]
        return None

    def store(self, resources: Resources, options: Any, entries: dict) -> None:
        self._resources, self._options, self._entries = resources, options, entries

    def clear(self) -> None:
        self._resources, self._options, self._entries = None, None, {}
