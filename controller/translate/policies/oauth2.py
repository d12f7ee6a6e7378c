"""A GatewayExtension's OAuth2 provider -> OAuth2IR (Envoy's oauth2 filter runs the authorization-code flow),
as kgateway translates it: the token endpoint through a kgateway Backend, the client secret from the Secret
`clientSecretRef` names (key `client-secret`), cookie names unique to the extension, the callback path taken
from `redirectURI`.

Endpoints left out are taken from the issuer's discovery document, which the control plane reads (as
kgateway's does: controller/oidc_discovery.py) and hands in as `TranslateOptions.oidc`; until it has been
read, or when it cannot be, the provider is invalid and says why. kgw difference (docs/security.md): the key
that signs the session cookies is the Secret `oauth2-hmac-secret` (key `hmac-secret`) in the
GatewayExtension's namespace (kgateway keeps one in its own namespace; `kgw up` has none). Problems name the
field and never quote a secret."""
from __future__ import annotations

import base64
import hashlib
import re

from ...envoy_regex import regex_problem
from ...ir_security import OAuth2IR
from ...models import KGW_GROUP
from ..options import OidcConfiguration, OidcConfigurations
from .backends import backend_cluster, extension_backend

CLIENT_SECRET_KEY = "client-secret"
HMAC_SECRET, HMAC_KEY = "oauth2-hmac-secret", "hmac-secret"
DEFAULT_REDIRECT_URI = "%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/redirect"
# Envoy CookieNames field -> kgateway's cookie name prefix (a suffix unique to the extension follows)
COOKIE_PREFIXES = {"bearer_token": "AccessToken", "id_token": "IdToken", "refresh_token": "RefreshToken",
                   "oauth_hmac": "OauthHMAC", "oauth_expires": "OauthExpires", "oauth_nonce": "OauthNonce",
                   "code_verifier": "OauthCodeVerifier"}
_REQ_OPERATOR = re.compile(r"%REQ\([A-Za-z0-9:_\-.]+\)%")
_COOKIE_NAME = re.compile(r"^[!#$&'*+\-.^_`|~0-9A-Za-z]+$")  # an RFC 6265 token


def _secret_bytes(secret, key: str) -> bytes | None:
    if key in secret.string_data:
        return secret.string_data[key].encode()
    if key in secret.data:
        return base64.b64decode(secret.data[key])
    return None


def _secret(resources, ns: str, name: str, key: str, where: str, problems: list[str]) -> str:
    """base64 of a Secret key's bytes ("" and a problem when missing or empty)."""
    secret = resources.secrets.get((ns, name))
    value = _secret_bytes(secret, key) if secret is not None else None
    if not value:
        problems.append(f"{where}: Secret {ns}/{name} " + ("not found" if secret is None else
                                                           f"has no key {key}" if value is None else
                                                           f"key {key} is empty"))
        return ""
    return base64.b64encode(value).decode()


def redirect_path(uri: str) -> str | None:
    """The path of a redirect URI (Envoy's callback matcher), or None when it has no scheme or no path."""
    _, sep, rest = uri.partition("://")
    _, slash, path = rest.partition("/")
    if not sep or not slash:
        return None
    return "/" + re.split(r"[?#]", path, maxsplit=1)[0]


def cookie_suffix(extension: str) -> str:
    return hashlib.sha256(extension.encode()).hexdigest()[:16]


def _redirect(p, problems: list[str]) -> tuple[str, str]:
    uri = p.redirect_uri if p.redirect_uri is not None else DEFAULT_REDIRECT_URI
    path = redirect_path(uri)
    if path is None:
        problems.append(f"spec.oauth2.redirectURI: {uri!r} needs a scheme and a path (scheme://host/path)")
    elif "%" in _REQ_OPERATOR.sub("", uri):
        problems.append(f"spec.oauth2.redirectURI: {uri!r}: `%` may only start a %REQ(header)% operator (Envoy "
                        "formats the URI per request)")
    elif "%" in path:
        problems.append(f"spec.oauth2.redirectURI: the path of {uri!r} must be literal (it is the callback's path)")
    return uri, path or ""


def _cookies(p, extension: str, out: OAuth2IR, problems: list[str]) -> None:
    suffix = cookie_suffix(extension)
    out.cookie_names = {k: f"{v}-{suffix}" for k, v in COOKIE_PREFIXES.items()}
    c = p.cookies
    if c is None:
        return
    for field, alias, value in (("bearer_token", "accessToken", c.names and c.names.access_token),
                                ("id_token", "idToken", c.names and c.names.id_token)):
        if value:
            if not _COOKIE_NAME.match(value):
                problems.append(f"spec.oauth2.cookies.names.{alias}: {value!r} is not a cookie name")
            out.cookie_names[field] = value
    out.cookie_domain = c.domain or ""
    out.same_site = c.same_site
    out.disable_access_token_cookie = bool(c.disable_access_token_set_cookie)
    out.disable_id_token_cookie = bool(c.disable_id_token_set_cookie)
    out.disable_refresh_token_cookie = bool(c.disable_refresh_token_set_cookie)


def discovery_key(ext, resources) -> tuple[str, bool] | None:
    """(issuer URI, skip TLS verification) when the provider leaves an endpoint to discovery (kgateway
    discovers when any of authorizationEndpoint, tokenEndpoint, endSessionEndpoint is unset), else None. The
    issuer is read directly by the control plane, verified unless the provider's Backend skips verification."""
    p = ext.spec.oauth2
    if p is None or p.issuer_uri is None or None not in (p.authorization_endpoint, p.token_endpoint,
                                                         p.end_session_endpoint):
        return None
    ref = p.backend_ref
    backend, _ = backend_cluster(resources, ref.namespace or ext.namespace, ref.name) \
        if (ref.group, ref.kind) == (KGW_GROUP, "Backend") else (None, "")
    return p.issuer_uri, bool(backend and backend.insecure_skip_verify)


def _endpoints(ext, resources, oidc: OidcConfigurations, problems: list[str]) -> tuple[str, str, str]:
    """(authorization, token, end session) endpoints: the provider's own, else discovered."""
    p = ext.spec.oauth2
    key = discovery_key(ext, resources)
    found = oidc.get(key, OidcConfiguration()) if key is not None else OidcConfiguration()
    out = (p.authorization_endpoint or found.authorization_endpoint, p.token_endpoint or found.token_endpoint,
           p.end_session_endpoint or found.end_session_endpoint)
    if key is not None and found.error:
        problems.append(f"spec.oauth2.issuerURI: OpenID discovery failed: {found.error} (retried)")
    elif key is not None and not (out[0] and out[1]):
        problems.append(f"spec.oauth2.issuerURI: the OpenID configuration of {key[0]} has not been discovered yet"
                        if not (found.authorization_endpoint or found.token_endpoint) else
                        f"spec.oauth2.issuerURI: the OpenID configuration of {key[0]} has no "
                        + " and ".join(f for f, v in (("authorization_endpoint", out[0]),
                                                      ("token_endpoint", out[1])) if not v))
    return out


def extension_oauth2(ext, resources, oidc: OidcConfigurations, problems: list[str]) -> OAuth2IR | None:
    """The OAuth2 provider of a GatewayExtension (None, with problems naming the fields, when unusable)."""
    p, ns = ext.spec.oauth2, ext.namespace
    extension = f"{ns}/{ext.name}"
    mine: list[str] = []
    authorization, token, end_session = _endpoints(ext, resources, oidc, mine)
    if "openid" not in (p.scopes or ()):  # Envoy refuses RP-initiated logout outside OpenID Connect
        if p.end_session_endpoint is not None:
            mine.append("spec.oauth2.endSessionEndpoint: needs `openid` in scopes (logout at the provider is "
                        "OpenID Connect's)")
        end_session = ""  # a discovered one is used with the openid scope only
    cluster, why = extension_backend(resources, p.backend_ref, ns, "spec.oauth2.backendRef",
                                     "reaches the token endpoint")
    if why:
        mine.append(why)
    secret_name = p.credentials.client_secret_ref.name
    client_secret = _secret(resources, ns, secret_name, CLIENT_SECRET_KEY, "spec.oauth2.credentials.clientSecretRef",
                            mine)
    hmac = _secret(resources, ns, HMAC_SECRET, HMAC_KEY, "spec.oauth2 (the key that signs session cookies)", mine)
    if not p.logout_path.startswith("/"):
        mine.append(f"spec.oauth2.logoutPath: {p.logout_path!r} is not a path (a path starts with /)")
    uri, path = _redirect(p, mine)
    out = OAuth2IR(extension, cluster, token, authorization,
                   p.credentials.client_id, f"oauth2/client_secret/{ns}/{secret_name}",
                   f"oauth2/hmac_secret/{ns}/{HMAC_SECRET}", uri, path, p.logout_path,
                   end_session_endpoint=end_session,
                   forward_access_token=bool(p.forward_access_token), scopes=list(p.scopes or ()),
                   client_secret=client_secret, hmac_secret=hmac)
    _cookies(p, extension, out, mine)
    for i, h in enumerate(p.deny_redirect.headers or () if p.deny_redirect else ()):
        why = regex_problem(h.value) if h.type == "RegularExpression" else ""
        if why:
            mine.append(f"spec.oauth2.denyRedirect.headers[{i}].value: {why}")
        out.deny_redirect.append((h.name.lower(), h.type, h.value))
    problems.extend(mine)
    return None if mine else out


def oauth2_setting(spec, policy, resources, oidc: OidcConfigurations, extension,
                   problems: list[str]) -> OAuth2IR | None:
    """TrafficPolicy `oauth2`: the provider of the GatewayExtension it references (`extension` looks it up)."""
    ref = spec.oauth2.extension_ref
    ns = ref.namespace or policy.namespace
    ext = extension("spec.oauth2", ns, ref.name, resources, "oauth2", "OAuth2", problems)
    if ext is None:
        return None
    mine: list[str] = []
    out = extension_oauth2(ext, resources, oidc, mine)
    if out is None:
        problems.append(f"spec.oauth2.extensionRef: GatewayExtension {ns}/{ref.name} is invalid ({'; '.join(mine)})")
    return out
