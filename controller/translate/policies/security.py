"""A TrafficPolicy's security fields -> typed IR settings (controller/ir_security.py), resolving what they
refer to: GatewayExtensions (JWT providers, OAuth2 providers: oauth2.py), Secrets (htpasswd, API keys) and
ConfigMaps (JWKS).

Problems name the field and never quote a credential: statuses are read by more people than Secrets are.
A policy with a problem is not applied and its routes answer 500 (routepolicy.py), so a route never looks
protected while it is not."""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from ... import cel
from ...envoy_regex import regex_problem
from ...ir_security import (
    AclDenyIR,
    AclIR,
    ApiKeyAuthIR,
    ApiKeySourceIR,
    BasicAuthIR,
    CidrAuthorizationIR,
    CsrfIR,
    ExtAuthBodyIR,
    ExtAuthIR,
    ExtAuthServiceIR,
    JwtIR,
    JwtProviderIR,
    OAuth2IR,
)
from ...models.httproute import duration_ms
from ..options import NO_OIDC, OidcConfigurations
from .acl import Network, denied_by_label, flatten, parse_cidr
from .backends import extension_backend
from .jwks import jwks_problem
from .oauth2 import extension_oauth2, oauth2_setting

# Envoy's basic_auth reads htpasswd lines `user:{SHA}<base64 of a SHA-1 digest>` and nothing else
_HTPASSWD = re.compile(r"^([^:\s]+):\{SHA\}([A-Za-z0-9+/]{27}=)$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass
class SecuritySettings:
    jwt: JwtIR | None = None
    ext_auth: ExtAuthIR | None = None
    basic_auth: BasicAuthIR | None = None
    api_key_auth: ApiKeyAuthIR | None = None
    rbac: CidrAuthorizationIR | None = None
    acl: AclIR | None = None
    csrf: CsrfIR | None = None
    oauth2: OAuth2IR | None = None
    remote_clusters: list[str] = field(default_factory=list)  # Backends JWKS and authorization go through


def secret_text(secret, key: str) -> str | None:
    if key in secret.string_data:
        return secret.string_data[key]
    if key in secret.data:
        return base64.b64decode(secret.data[key]).decode(errors="replace")
    return None


def _cidrs(values: list[str], where: str, problems: list[str]) -> list[str]:
    out = []
    for i, text in enumerate(values):
        try:
            out.append(str(parse_cidr(text)))
        except ValueError:
            problems.append(f"{where}[{i}]: {text!r} is not an IP address or CIDR with zero host bits")
    return out


def extension_jwt(ext, resources, problems: list[str], where: str) -> JwtIR:
    """The JWT providers of a GatewayExtension; `where` prefixes each problem (the field that led here)."""
    ns = ext.namespace
    out = JwtIR(requirement=f"{ns}/{ext.name}", allow_missing=ext.spec.jwt.validation_mode == "AllowMissing")
    for i, p in enumerate(ext.spec.jwt.providers):
        field_ = f"{where}spec.jwt.providers[{i}]"
        ir = JwtProviderIR(f"{ns}/{ext.name}/{p.name}", p.issuer, list(p.audiences or ()),
                           forward_token=bool(p.forward_token),
                           claims_to_headers=[(c.name, c.header.lower()) for c in p.claims_to_headers or ()])
        if p.token_source is not None:
            ts = p.token_source
            if ts.header is not None:
                ir.header, ir.prefix = ts.header.header.lower(), ts.header.prefix
            ir.query = ts.query_parameter
        local, remote = p.jwks.local, p.jwks.remote
        if local is not None:
            text, src = _local_jwks(local, ns, resources, f"{field_}.jwks.local", problems)
            if text is not None:
                why = jwks_problem(text)
                if why:
                    problems.append(f"{src}: the JWKS {why}")
                else:
                    ir.local_jwks = text
        elif remote is not None:
            cluster, why = extension_backend(resources, remote.backend_ref, ns, f"{field_}.jwks.remote.backendRef",
                                             "fetches remote JWKS")
            if why:
                problems.append(why)
            if cluster:
                ir.remote_url, ir.remote_cluster = remote.url, cluster
                ir.cache_duration_ms = duration_ms(remote.cache_duration) if remote.cache_duration else None
        out.providers.append(ir)
    if not out.providers:
        problems.append(f"{where}spec.jwt.providers: no providers (every request would be refused)")
    return out


def _local_jwks(local, ns: str, resources, where: str, problems: list[str]) -> tuple[str | None, str]:
    if local.inline is not None:
        return local.inline, f"{where}.inline"
    if local.config_map_ref is not None:
        name = local.config_map_ref.name
        cm = resources.config_maps.get((ns, name))
        if cm is None:
            problems.append(f"{where}.configMapRef: ConfigMap {ns}/{name} not found")
            return None, ""
        if "jwks" not in cm.data:
            problems.append(f"{where}.configMapRef: ConfigMap {ns}/{name} has no data key `jwks`")
            return None, ""
        return cm.data["jwks"], f"{where}.configMapRef (ConfigMap {ns}/{name})"
    name = local.secret_ref.name
    secret = resources.secrets.get((ns, name))
    text = secret_text(secret, "jwks") if secret is not None else None
    if text is None:
        problems.append(f"{where}.secretRef: Secret {ns}/{name} " + ("not found" if secret is None
                                                                     else "has no data key `jwks`"))
    return text, f"{where}.secretRef (Secret {ns}/{name})"


def _body(b) -> ExtAuthBodyIR | None:
    return ExtAuthBodyIR(b.max_request_bytes, b.allow_partial_message, b.pack_as_bytes) if b is not None else None


def extension_ext_auth(ext, resources, problems: list[str]) -> ExtAuthServiceIR | None:
    """A GatewayExtension's authorization service, reached through a kgateway Backend (as remote JWKS are)."""
    p = ext.spec.ext_auth
    grpc = p.grpc_service is not None
    svc = p.grpc_service if grpc else p.http_service
    where = f"spec.extAuth.{'grpcService' if grpc else 'httpService'}.backendRef"
    cluster, why = extension_backend(resources, svc.backend_ref, ext.namespace, where,
                                     "reaches authorization services")
    if why:
        problems.append(why)
        return None
    out = ExtAuthServiceIR(f"{ext.namespace}/{ext.name}", cluster, grpc,
                           headers_to_forward=[h.lower() for h in p.headers_to_forward], fail_open=p.fail_open,
                           clear_route_cache=p.clear_route_cache, status_on_error=p.status_on_error,
                           stat_prefix=p.stat_prefix, percentage_enabled=p.percentage_enabled,
                           body=_body(p.with_request_body))
    if svc.request_timeout:
        out.timeout_ms = duration_ms(svc.request_timeout)
    if grpc:
        out.authority = p.grpc_service.authority
    else:
        http = p.http_service
        out.path_prefix = http.path_prefix
        if http.authorization_request is not None:
            out.headers_to_add = sorted((k.lower(), v) for k, v in http.authorization_request.headers_to_add.items())
        r = http.authorization_response
        if r is not None:
            out.headers_to_backend = [h.lower() for h in r.headers_to_backend]
            out.headers_to_client = [h.lower() for h in r.headers_to_client]
            out.headers_to_client_on_success = [h.lower() for h in r.headers_to_client_on_success]
    return out


def _extension(where: str, ns: str, name: str, resources, attr: str, type_name: str, problems: list[str]):
    """The GatewayExtension a policy's `extensionRef` names, if it exists and is of the wanted type."""
    ext = resources.gateway_extensions.get((ns, name))
    if ext is None or getattr(ext.spec, attr) is None:
        problems.append(f"{where}.extensionRef: GatewayExtension {ns}/{name} "
                        + ("not found" if ext is None else f"is not of type {type_name}"))
        return None
    return ext


def _ext_auth(spec, policy, resources, problems: list[str]) -> ExtAuthIR | None:
    ea = spec.ext_auth
    if ea.disable is not None:
        return ExtAuthIR(disabled=True)
    ref = ea.extension_ref
    ns = ref.namespace or policy.namespace
    ext = _extension("spec.extAuth", ns, ref.name, resources, "ext_auth", "ExtAuth", problems)
    if ext is None:
        return None
    mine: list[str] = []
    service = extension_ext_auth(ext, resources, mine)
    if service is None:
        problems.append(f"spec.extAuth.extensionRef: GatewayExtension {ns}/{ref.name} is invalid ({'; '.join(mine)})")
        return None
    return ExtAuthIR(service, dict(sorted(ea.context_extensions.items())), _body(ea.with_request_body))


def _jwt(spec, policy, resources, problems: list[str]) -> JwtIR | None:
    ja = spec.jwt_auth
    if ja.disable is not None:
        return JwtIR(disabled=True)
    ref = ja.extension_ref
    ns = ref.namespace or policy.namespace
    ext = _extension("spec.jwtAuth", ns, ref.name, resources, "jwt", "JWT", problems)
    if ext is None:
        return None
    mine: list[str] = []
    out = extension_jwt(ext, resources, mine, "")
    if mine:
        problems.append(f"spec.jwtAuth.extensionRef: GatewayExtension {ns}/{ref.name} is invalid ({'; '.join(mine)})")
        return None
    return out


def htpasswd_problems(text: str, where: str) -> list[str]:
    """Lines Envoy would refuse, by number and user name (never the hash)."""
    out, users = [], set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _HTPASSWD.match(line.strip())
        user = line.split(":", 1)[0].strip()
        if m is None:
            out.append(f"{where} line {n} (user {user!r}): not `user:{{SHA}}<base64 SHA-1>`, the only format "
                       "Envoy's basic auth reads")
        elif user in users:
            out.append(f"{where} line {n}: user {user!r} is listed twice")
        users.add(user)
    if not users:
        out.append(f"{where}: no users")
    return out


def _basic(spec, policy, resources, problems: list[str]) -> BasicAuthIR | None:
    ba = spec.basic_auth
    if ba.disable is not None:
        return BasicAuthIR(disabled=True)
    if ba.users is not None:
        text, where = "\n".join(ba.users), "spec.basicAuth.users"
    else:
        ref = ba.secret_ref
        ns = ref.namespace or policy.namespace
        where = f"spec.basicAuth.secretRef (Secret {ns}/{ref.name}, key {ref.key})"
        if ns != policy.namespace:
            problems.append(f"spec.basicAuth.secretRef: Secret {ns}/{ref.name} is in another namespace (kgw reads "
                            "Secrets in the policy's own namespace)")
            return None
        secret = resources.secrets.get((ns, ref.name))
        found = secret_text(secret, ref.key) if secret is not None else None
        if found is None:
            problems.append(f"spec.basicAuth.secretRef: Secret {ns}/{ref.name} "
                            + ("not found" if secret is None else f"has no key {ref.key}"))
            return None
        text = found
    bad = htpasswd_problems(text, where)
    if bad:
        problems.extend(bad)
        return None
    return BasicAuthIR("\n".join(line.strip() for line in text.splitlines() if line.strip()))


def _api_keys(spec, policy, resources, problems: list[str]) -> ApiKeyAuthIR | None:
    ak = spec.api_key_auth
    if ak.disable is not None:
        return ApiKeyAuthIR(disabled=True)
    ns = policy.namespace
    if ak.secret_ref is not None:
        ref = ak.secret_ref
        if (ref.namespace or ns) != ns:
            problems.append(f"spec.apiKeyAuth.secretRef: Secret {ref.namespace}/{ref.name} is in another namespace "
                            "(kgw reads Secrets in the policy's own namespace)")
            return None
        secret = resources.secrets.get((ns, ref.name))
        if secret is None:
            problems.append(f"spec.apiKeyAuth.secretRef: Secret {ns}/{ref.name} not found")
            return None
        secrets = [secret]
        where = "spec.apiKeyAuth.secretRef"
    else:
        labels = ak.secret_selector.match_labels
        secrets = [s for (sns, _), s in sorted(resources.secrets.items())
                   if sns == ns and all(s.metadata.labels.get(k) == v for k, v in labels.items())]
        where = "spec.apiKeyAuth.secretSelector"
    credentials: list[tuple[str, str]] = []
    owner: dict[str, str] = {}
    for secret in secrets:
        for client in sorted({*secret.data, *secret.string_data}):
            key = secret_text(secret, client) or ""
            if not key.strip():
                problems.append(f"{where}: Secret {ns}/{secret.name} key {client!r} is empty")
                continue
            if key in owner:
                problems.append(f"{where}: clients {owner[key]!r} and {client!r} have the same API key")
                continue
            owner[key] = client
            credentials.append((client, key))
    if not credentials and not problems:
        problems.append(f"{where}: no API keys found (every request would be refused)")
    sources = [ApiKeySourceIR(s.header.lower() if s.header else None, s.query, s.cookie) for s in ak.key_sources]
    return ApiKeyAuthIR(credentials, sources or [ApiKeySourceIR(header="api-key")], bool(ak.forward_credential),
                        ak.client_id_header.lower() if ak.client_id_header else None)


def _rbac(spec, problems: list[str]) -> CidrAuthorizationIR:
    p = spec.rbac.policy
    for i, text in enumerate(p.match_expressions or ()):
        why = cel.problem(text)
        if why:
            problems.append(f"spec.rbac.policy.matchExpressions[{i}]: {why}")
    for i, path in enumerate(p.paths or ()):
        why = regex_problem(path.value) if path.type == "RegularExpression" else ""
        if why:
            problems.append(f"spec.rbac.policy.paths[{i}].value: {why}")
    return CidrAuthorizationIR(spec.rbac.action,
                               _cidrs(p.allowed_cidrs or [], "spec.rbac.policy.allowedCIDRs", problems),
                               _cidrs(p.blocked_cidrs or [], "spec.rbac.policy.blockedCIDRs", problems),
                               list(p.methods or ()), [(h.name.lower(), list(h.values)) for h in p.headers or ()],
                               list(p.match_expressions or ()), [(m.type, m.value) for m in p.paths or ()],
                               [(c.name.split("."), c.value_type == "StringArray", list(c.values))
                                for c in (p.jwt.claims if p.jwt else ())])


def _acl(spec, problems: list[str]) -> AclIR:
    acl = spec.acl
    rules: list[tuple[Network, bool, str]] = []
    seen: dict[Network, tuple[str, bool]] = {}
    for ri, rule in enumerate(acl.rules):
        for ci, text in enumerate(rule.cidrs):
            where = f"spec.acl.rules[{ri}].cidrs[{ci}]"
            try:
                net = parse_cidr(text)
            except ValueError:
                problems.append(f"{where}: {text!r} is not an IP address or CIDR with zero host bits")
                continue
            allow = rule.action == "allow"
            if net in seen and seen[net][1] != allow:
                problems.append(f"{where}: {net} is also in {seen[net][0]} with the other action")
                continue
            seen[net] = (where, allow)
            rules.append((net, allow, rule.name or "rule"))
    default_allow = acl.default_action == "allow"
    out = AclIR(default_allow, [str(n) for n in flatten([r[:2] for r in rules], default_allow)])
    d = acl.deny_response
    if d is not None:
        values = [(f"spec.acl.denyResponse.headers[{i}].value", h.value) for i, h in enumerate(d.headers)]
        if d.add_blocked_by_header:  # the header's value is a rule's name
            values += [(f"spec.acl.rules[{i}].name", r.name) for i, r in enumerate(acl.rules) if r.name]
        problems.extend(f"{where}: {value!r} has a control character, which no header value may have"
                        for where, value in values if _CONTROL.search(value))
        out.deny = AclDenyIR(d.status_code or 403, [(h.name.lower(), h.value) for h in d.headers],
                             d.add_blocked_by_header.lower() if d.add_blocked_by_header else None)
        if d.add_blocked_by_header:  # one group per deciding rule, so the refusal can name it
            out.deny.denied = [(label, [str(n) for n in nets]) for label, nets in denied_by_label(rules, default_allow)]
    return out


def _csrf(spec, problems: list[str]) -> CsrfIR:
    c = spec.csrf
    out = CsrfIR()
    if c.percentage_shadowed is not None:  # shadow mode: evaluate and count, never refuse
        out.enabled_percent, out.shadow_percent = 0, c.percentage_shadowed
    elif c.percentage_enabled is not None:
        out.enabled_percent = c.percentage_enabled
    for i, m in enumerate(c.additional_origins):
        kind = next(k for k in ("exact", "prefix", "suffix", "contains", "safe_regex") if getattr(m, k) is not None)
        value = getattr(m, kind)
        if kind == "safe_regex":
            problem = regex_problem(value)
            if problem:
                problems.append(f"spec.csrf.additionalOrigins[{i}].safeRegex: {problem}")
        out.origins.append((kind, value, m.ignore_case))
    return out


def security_settings(policy, resources, oidc: OidcConfigurations = NO_OIDC) -> tuple[SecuritySettings, list[str]]:
    spec, problems = policy.spec, list[str]()
    out = SecuritySettings()
    if spec.jwt_auth is not None:
        out.jwt = _jwt(spec, policy, resources, problems)
        if out.jwt is not None:
            out.remote_clusters = [p.remote_cluster for p in out.jwt.providers if p.remote_cluster]
    if spec.ext_auth is not None:
        out.ext_auth = _ext_auth(spec, policy, resources, problems)
        if out.ext_auth is not None and out.ext_auth.service is not None:
            out.remote_clusters.append(out.ext_auth.service.cluster)
    if spec.basic_auth is not None:
        out.basic_auth = _basic(spec, policy, resources, problems)
    if spec.api_key_auth is not None:
        out.api_key_auth = _api_keys(spec, policy, resources, problems)
    if spec.rbac is not None:
        out.rbac = _rbac(spec, problems)
    if spec.acl is not None:
        out.acl = _acl(spec, problems)
    if spec.csrf is not None:
        out.csrf = _csrf(spec, problems)
    if spec.oauth2 is not None:
        out.oauth2 = oauth2_setting(spec, policy, resources, oidc, _extension, problems)
        if out.oauth2 is not None:
            out.remote_clusters.append(out.oauth2.cluster)
    return out, problems


def extension_status_problem(ext, resources, oidc: OidcConfigurations = NO_OIDC) -> str:
    problems: list[str] = []
    if ext.spec.jwt is not None:
        extension_jwt(ext, resources, problems, "")
    elif ext.spec.oauth2 is not None:
        extension_oauth2(ext, resources, oidc, problems)
    else:
        extension_ext_auth(ext, resources, problems)
    return "; ".join(problems)

