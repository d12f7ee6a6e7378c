"""TrafficPolicy oauth2: Envoy's oauth2 filter (the OIDC authorization-code flow), one instance per
GatewayExtension a connection manager's routes use, listed off and switched on per route (an empty
FilterConfig: the instance's configuration is the provider's). The client secret and the cookie-signing key
are SDS secrets served on the ADS stream, named "oauth2/client_secret/<ns>/<Secret>" and
"oauth2/hmac_secret/<ns>/<Secret>" as kgateway names them."""
from __future__ import annotations

import base64

from envoy.config.core.v3 import base_pb2, http_uri_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.filters.http.oauth2.v3 import oauth_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.extensions.transport_sockets.tls.v3 import secret_pb2
from envoy.type.matcher.v3 import path_pb2, regex_pb2, string_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ads.types import SECRET
from ...ir import RouteIR
from ...ir_security import OAuth2IR
from ..common import ads_source, duration, packed
from ..context import XdsContext
from .optional import listed_off
from .scope import HcmScope

PREFIX = "kgw.oauth2/"
TOKEN_ENDPOINT_TIMEOUT_MS = 15_000  # kgateway's
_SAME_SITE = {"Lax": oauth_pb2.CookieConfig.LAX, "Strict": oauth_pb2.CookieConfig.STRICT,
              "None": oauth_pb2.CookieConfig.NONE}
_COOKIE_CONFIGS = ("bearer_token", "oauth_hmac", "oauth_expires", "id_token", "refresh_token", "oauth_nonce",
                   "code_verifier")


def filter_name(o: OAuth2IR) -> str:
    return PREFIX + o.extension


def _oauth2(route: RouteIR) -> OAuth2IR | None:
    return route.ext.oauth2 if route.ext else None


def _exact_path(path: str) -> path_pb2.PathMatcher:
    return path_pb2.PathMatcher(path=string_pb2.StringMatcher(exact=path))


def _sds(name: str) -> secret_pb2.SdsSecretConfig:
    return secret_pb2.SdsSecretConfig(name=name, sds_config=ads_source())


def _header(name: str, kind: str, value: str) -> rc.HeaderMatcher:
    match = (string_pb2.StringMatcher(safe_regex=regex_pb2.RegexMatcher(regex=value)) if kind == "RegularExpression"
             else string_pb2.StringMatcher(exact=value))
    return rc.HeaderMatcher(name=name, string_match=match)


def config(o: OAuth2IR) -> oauth_pb2.OAuth2:
    creds = oauth_pb2.OAuth2Credentials(client_id=o.client_id, token_secret=_sds(o.client_secret_sds),
                                        hmac_secret=_sds(o.hmac_sds), cookie_domain=o.cookie_domain,
                                        cookie_names=oauth_pb2.OAuth2Credentials.CookieNames(**o.cookie_names))
    out = oauth_pb2.OAuth2Config(
        token_endpoint=http_uri_pb2.HttpUri(uri=o.token_endpoint, cluster=o.cluster,
                                            timeout=duration(TOKEN_ENDPOINT_TIMEOUT_MS)),
        authorization_endpoint=o.authorization_endpoint, end_session_endpoint=o.end_session_endpoint,
        credentials=creds, redirect_uri=o.redirect_uri, redirect_path_matcher=_exact_path(o.redirect_path),
        signout_path=_exact_path(o.logout_path), forward_bearer_token=o.forward_access_token,
        # an Authorization header the client sent (basic auth, say) goes upstream unless the access token
        # replaces it (kgateway's choice)
        preserve_authorization_header=not o.forward_access_token, auth_scopes=o.scopes,
        disable_access_token_set_cookie=o.disable_access_token_cookie,
        disable_id_token_set_cookie=o.disable_id_token_cookie,
        disable_refresh_token_set_cookie=o.disable_refresh_token_cookie,
        deny_redirect_matcher=[_header(*h) for h in o.deny_redirect])
    if o.same_site is not None:
        same = oauth_pb2.CookieConfig(same_site=_SAME_SITE[o.same_site])
        out.cookie_configs.CopyFrom(oauth_pb2.CookieConfigs(**{f"{c}_cookie_config": same for c in _COOKIE_CONFIGS}))
    return oauth_pb2.OAuth2(config=out)


def _generic(name: str, b64: str) -> secret_pb2.Secret:
    return secret_pb2.Secret(name=name, generic_secret=secret_pb2.GenericSecret(
        secret=base_pb2.DataSource(inline_bytes=base64.b64decode(b64))))


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    providers = {filter_name(o): o for o in map(_oauth2, scope.routes) if o is not None}
    return [listed_off(name, config(providers[name])) for name in sorted(providers)]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    o = _oauth2(route)
    # a FilterConfig whose `config` is set but empty switches the filter on with its listener configuration
    return {} if o is None else {filter_name(o): packed(rc.FilterConfig(config=any_pb2.Any()))}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    secrets: dict[str, Message] = {}
    for o in filter(None, map(_oauth2, ctx.routes)):
        secrets[o.client_secret_sds] = _generic(o.client_secret_sds, o.client_secret)
        secrets[o.hmac_sds] = _generic(o.hmac_sds, o.hmac_secret)
    return {SECRET: secrets} if secrets else {}
