"""Why kgw refuses a field: kgateway fields kgw deliberately leaves out, with the reason, and the message for a
field nobody defines. Models refuse unknown fields (meta.K8sModel); resources.py turns pydantic's
`extra_forbidden` error into `message(kind, loc)`. docs/kgateway-api.md lists the same fields (a test checks
that every entry here is there)."""
from __future__ import annotations

from collections.abc import Iterable

_GWE = ("kgw implements GatewayExtensions of type JWT, ExtAuth and OAuth2; {what} needs an external service kgw "
        "does not configure")
_EXTENSION = ("needs a GatewayExtension of type ExtProc (an external processing service), which kgw does not "
              "configure; kgw rules programs (`transformation.rules`) run in the proxy instead")

# (kind, field path with `[]` for list items) -> why kgw leaves it out
UNSUPPORTED: dict[tuple[str, str], str] = {
    **{(kind, path): why for kind in ("TrafficPolicy", "RoutePolicy") for path, why in {
        "spec.extProc": _EXTENSION,
        "spec.rateLimit.global": "global rate limiting needs a rate limit service (a GatewayExtension, a kind "
                                 "kgw does not read); `rateLimit.local` is supported",
        "spec.headerModifiers.filterStage": "kgw applies header modifiers at one fixed stage (before the "
                                            "rules filter)",
        "spec.headerModifiers.request.set[].secretRef": "header values from Secrets are not implemented; set "
                                                       "`value`",
        "spec.headerModifiers.request.add[].secretRef": "header values from Secrets are not implemented; set "
                                                       "`value`",
        "spec.headerModifiers.response.set[].secretRef": "header values from Secrets are not implemented; set "
                                                        "`value`",
        "spec.headerModifiers.response.add[].secretRef": "header values from Secrets are not implemented; set "
                                                        "`value`",
    }.items()},
    **{("GatewayExtension", f"spec.{field}"): _GWE.format(what=what) for field, what in (
        ("extProc", "external processing"),
        ("rateLimit", "global rate limiting"))},
    ("GatewayExtension", "spec.oauth2.jwt"): "verifying the flow's tokens as JWTs is not implemented "
                                             "(Envoy's oauth2 filter does not); set forwardAccessToken and add a "
                                             "jwtAuth policy: the JWT filter runs after oauth2 and verifies the "
                                             "access token it forwards",
    **{("GatewayExtension", f"spec.extAuth.{svc}.retry"): "retries of the authorization service are not "
       "implemented (Envoy's ext_authz retries only its HTTP service)" for svc in ("grpcService", "httpService")},
    ("BackendConfigPolicy", "spec.tls"): "TLS origination from a BackendConfigPolicy is not implemented; kgw's "
                                         "Backend `static.tls` covers SNI and skip-verify",
    ("BackendConfigPolicy", "spec.loadBalancer.zoneAware"): "zone-aware routing needs the proxy's own zone, which "
                                                            "kgw's proxies do not know",
}


def field_path(loc: Iterable) -> str:
    """('spec', 'set', 0, 'secretRef') -> 'spec.set[].secretRef' (the table's form)."""
    out = ""
    for part in loc:
        out += "[]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def message(kind: str, loc: Iterable) -> str:
    why = UNSUPPORTED.get((kind, field_path(loc)))
    if why:
        return f"not supported by kgw: {why}"
    return "unknown field: kgw does not implement it (docs/kgateway-api.md and docs/gateway-api.md list what it does)"
