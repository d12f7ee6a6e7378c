"""kgateway Backend (Static, AWS Lambda) as an HTTPRoute backendRef, and DirectResponse as an ExtensionRef
filter. Both plug into route translation through its registries (translate/backends.py, extensions.py)."""
from __future__ import annotations

import base64
from urllib.parse import urlsplit

from ...ir_ext import BackendClusterIR, LambdaIR, RouteExtIR
from ...models import KGW_GROUP
from ...netaddr import is_ip
from ...resources import Resources
from .. import conditions as c
from ..backends import BACKEND_KINDS, ResolvedBackend
from ..extensions import EXTENSION_FILTERS, ExtensionRefError, RouteContext, TerminalMutation, UnresolvedExtensionRef

SECRET_KEYS = ("accessKey", "secretKey", "sessionToken")  # kgateway's key names in the credentials Secret


def backend_cluster_name(namespace: str, name: str) -> str:
    return f"backend/{namespace}/{name}"


def _secret_value(secret, key: str) -> str | None:
    if key in secret.string_data:
        return secret.string_data[key]
    if key in secret.data:
        return base64.b64decode(secret.data[key]).decode(errors="replace")
    return None


def backend_cluster(resources: Resources, namespace: str, name: str) -> tuple[BackendClusterIR | None, str]:
    """(cluster, "") for a usable Backend, else (None, why not)."""
    be = resources.backends.get((namespace, name))
    if be is None:
        return None, f"Backend {namespace}/{name} not found"
    cname = backend_cluster_name(namespace, name)
    if be.spec.type == "Static":
        st = be.spec.static
        hosts = [(h.host, h.port) for h in st.hosts]
        tls = st.tls
        return BackendClusterIR(cname, hosts, dns=not all(is_ip(h) for h, _ in hosts), tls=tls is not None,
                                sni=(tls.sni or "") if tls else "",
                                insecure_skip_verify=bool(tls and tls.insecure_skip_verify)), ""
    aws = be.spec.aws
    lam = aws.lambda_
    region = lam.region or aws.region
    arn = f"arn:aws:lambda:{region}:{aws.account_id}:function:{lam.function_name}"
    if lam.qualifier:
        arn += f":{lam.qualifier}"
    if lam.endpoint_url:
        url = urlsplit(lam.endpoint_url)
        https = url.scheme == "https"
        host, port = url.hostname or "", url.port or (443 if https else 80)
        authority = url.netloc.rsplit("@", 1)[-1]
    else:
        https, host, port = True, f"lambda.{region}.amazonaws.com", 443
        authority = host
    creds: dict[str, str] = {}
    if aws.auth is not None:
        ref = aws.auth.secret_ref
        secret = resources.secrets.get((namespace, ref.name))
        if secret is None:
            return None, f"Backend {namespace}/{name}: Secret {namespace}/{ref.name} not found"
        values = {k: _secret_value(secret, k) for k in SECRET_KEYS}
        missing = [k for k in SECRET_KEYS[:2] if not values[k]]
        if missing:
            return None, f"Backend {namespace}/{name}: Secret {namespace}/{ref.name} has no {', '.join(missing)}"
        access_key, secret_key = values["accessKey"], values["secretKey"]
        assert access_key and secret_key  # `missing` is empty
        creds = {"access_key_id": access_key, "secret_access_key": secret_key,
                 "session_token": values["sessionToken"] or ""}
    cluster = BackendClusterIR(cname, [(host, port)], dns=not is_ip(host), tls=https, sni=host if https else "")
    cluster.lambda_ = LambdaIR(arn, lam.invocation_mode, authority, **creds)
    return cluster, ""


def extension_backend(resources: Resources, ref, namespace: str, where: str, purpose: str) -> tuple[str, str]:
    """The cluster of a GatewayExtension's `backendRef` (a kgateway Backend: kgw reaches identity providers and
    key servers through one), and why it cannot be used ("" when it can) naming `where`."""
    if (ref.group, ref.kind) != (KGW_GROUP, "Backend"):
        return "", (f"{where}: kgw {purpose} through a kgateway Backend (group {KGW_GROUP}, kind Backend), "
                    f"not a {ref.kind}")
    _, why = backend_cluster(resources, ref.namespace or namespace, ref.name)
    return backend_cluster_name(ref.namespace or namespace, ref.name), f"{where}: {why}" if why else ""


def _resolve_backend(ref, ctx: RouteContext) -> ResolvedBackend:
    ns = ref.namespace or ctx.namespace
    if ns != ctx.namespace:
        raise ExtensionRefError(c.R_REF_NOT_PERMITTED,
                                f"Backend {ns}/{ref.name} is in another namespace (kgw resolves Backends in the "
                                f"route's own namespace)")
    cluster, problem = backend_cluster(ctx.resources, ns, ref.name)
    if cluster is None:
        raise ExtensionRefError(c.R_BACKEND_NOT_FOUND, problem)
    return ResolvedBackend(cluster.name)


def route_ext(ir) -> RouteExtIR:
    if ir.ext is None:
        ir.ext = RouteExtIR()
    return ir.ext


def _direct_response(ref, ctx: RouteContext):
    dr = ctx.resources.direct_responses.get((ctx.namespace, ref.name))
    if dr is None:  # the rule answers 500, as kgateway does; the route stays accepted (ResolvedRefs=False)
        raise UnresolvedExtensionRef(c.R_BACKEND_NOT_FOUND, f"DirectResponse {ctx.namespace}/{ref.name} not found")

    def mutate(ir) -> None:
        if ir.backends:  # kgateway: a DirectResponse and backendRefs on one rule conflict (status on both)
            ir.backends, ir.direct_response_status = [], 500
            return
        ir.direct_response_status = dr.spec.status
        route_ext(ir).direct_body = dr.spec.body or ""

    return TerminalMutation(mutate)  # the rule needs no backend: it answers by itself


def register() -> None:
    BACKEND_KINDS[(KGW_GROUP, "Backend")] = _resolve_backend
    EXTENSION_FILTERS[(KGW_GROUP, "DirectResponse")] = _direct_response
