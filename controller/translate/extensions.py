"""Registries that let other kinds plug into route translation without editing it.

- `EXTENSION_FILTERS[(group, kind)]`: how an `ExtensionRef` filter of that kind changes a route. The handler
  gets the reference and a `RouteContext` and returns a function applied to every RouteIR of the rule, or
  raises `ExtensionRefError` (the rule then answers 500, as the spec requires for a filter that cannot be
  applied, and ResolvedRefs names the reason).
- `BACKEND_KINDS[(group, kind)]`: how a backendRef of that kind becomes a cluster (core Service is built in).

Nothing is registered for ExtensionRef filters here: kgw core supports no custom filter kind yet, so every
ExtensionRef is reported as unsupported (`InvalidKind`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..ir import RouteIR
from ..resources import Resources
from .grants import GrantIndex


class ExtensionRefError(Exception):
    """A filter/backend reference that cannot be used: `reason` is a Gateway API condition reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class UnresolvedExtensionRef(ExtensionRefError):
    """A filter of a supported kind whose object does not exist: the rule stays valid and answers 500, like a
    backendRef that does not resolve (ResolvedRefs=False), rather than being an invalid rule."""


@dataclass
class RouteContext:
    """What a handler may look at: the route's kind and namespace, every input, ReferenceGrants."""

    kind: str  # "HTTPRoute" | "GRPCRoute"
    namespace: str
    resources: Resources
    grants: GrantIndex
    h2_clusters: set[str] = field(default_factory=set)  # clusters that must speak HTTP/2 to their backends


RouteMutation = Callable[[RouteIR], None]


class TerminalMutation:
    """A RouteMutation after which the rule needs no backend: it answers by itself (filters.py reads
    `terminal`)."""

    terminal = True

    def __init__(self, mutate: RouteMutation) -> None:
        self.mutate = mutate

    def __call__(self, ir: RouteIR) -> None:
        self.mutate(ir)

ExtensionFilterHandler = Callable[[object, RouteContext], RouteMutation]
EXTENSION_FILTERS: dict[tuple[str, str], ExtensionFilterHandler] = {}

