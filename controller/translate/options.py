"""Inputs and outputs of translate()."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..ir import GatewayIR


@dataclass(frozen=True)
class OidcConfiguration:
    """What an OpenID provider's discovery document said (controller/oidc_discovery.py), or why it could not
    be read (`error`; "" and no endpoints: not answered yet)."""

    authorization_endpoint: str = ""
    token_endpoint: str = ""
    end_session_endpoint: str = ""
    error: str = ""


# (issuer URI, skip TLS verification) -> its configuration, as discovered when the translation starts
OidcConfigurations = Mapping[tuple[str, bool], OidcConfiguration]
NO_OIDC: OidcConfigurations = MappingProxyType({})


@dataclass(frozen=True)
class TranslateOptions:
    port_offset: int = 0
    # the rules filter build for Gateways whose GatewayParameters do not choose one (`kgw up --data-plane`)
    data_plane: str = "wasm"
    # A cluster's proxies are not root: listeners below 1024 bind port + 10000 (controller/proxyports.py).
    shift_privileged_ports: bool = False
    default_address: str = "127.0.0.1"
    controller_name: str = "kgateway.dev/kgateway"
    # Written as every condition's lastTransitionTime. Fixed by default so translate stays pure and goldens
    # stable; the status writer passes the current time and keeps the old one when a condition is unchanged.
    transition_time: str = "1970-01-01T00:00:00Z"
    # RoutePolicy programs last known good (program id -> bytecode), e.g. loaded from the state dir: a policy
    # whose new source does not compile keeps serving its entry here (docs/kgateway-api.md).
    # Not part of equality: it only stands in for a policy that does not compile, and the translate cache
    # compares options to decide whether route translations can be reused (routes never read it).
    last_good_programs: Mapping[str, bytes] = field(default_factory=dict, compare=False)
    # OAuth2 providers' endpoints discovered from their issuerURI (the control plane reads them, as kgateway's
    # does); part of equality: a new discovery result changes the translation.
    oidc: OidcConfigurations = field(default_factory=dict, hash=False)


@dataclass
class Translation:
    gateways: dict[str, GatewayIR] = field(default_factory=dict)  # "namespace/name" -> IR (programmed only)
    statuses: list[dict] = field(default_factory=list)  # {apiVersion, kind, namespace, name, status}
    programs: dict[str, bytes] = field(default_factory=dict)  # every RoutePolicy program in use (to persist)
