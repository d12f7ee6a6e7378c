"""OAuth2 translation as pure functions: the callback path taken from redirectURI, cookie names unique per
extension, the filter's place in the order, the per-route switch Envoy reads as "on", the SDS secrets, and
problems that name the field and never the secret."""
from __future__ import annotations

import base64

from envoy.config.route.v3 import route_components_pb2 as rc

from kgw_controller.ads.types import SECRET
from kgw_controller.resources import Resources
from kgw_controller.translate import translate
from kgw_controller.translate.policies.oauth2 import cookie_suffix, redirect_path
from kgw_controller.xdsgen import httpfilters, to_xds
from kgw_controller.xdsgen.context import XdsContext

KGW = "gateway.kgateway.dev/v1alpha1"
CLIENT_SECRET, HMAC = "very-secret-client-value", b"\x00\x01hmac-key-bytes\xff" * 2


def _objects(oauth2: dict, client_secret: dict | None = None, hmac: bool = True) -> list[dict]:
    provider = {"backendRef": {"group": "gateway.kgateway.dev", "kind": "Backend", "name": "idp"},
                "authorizationEndpoint": "https://idp.test/authorize", "tokenEndpoint": "https://idp.test/token",
                "credentials": {"clientID": "app", "clientSecretRef": {"name": "client"}}, **oauth2}
    docs = [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "kgw"},
         "spec": {"controllerName": "kgateway.dev/kgateway"}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw"},
         "spec": {"gatewayClassName": "kgw", "listeners": [{"name": "http", "port": 8080, "protocol": "HTTP"}]}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web"},
         "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "echo", "port": 80}]}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "echo"}, "spec": {"ports": [{"port": 80}]}},
        {"apiVersion": KGW, "kind": "Backend", "metadata": {"name": "idp"},
         "spec": {"type": "Static", "static": {"hosts": [{"host": "idp.test", "port": 443}]}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "client"},
         "stringData": client_secret if client_secret is not None else {"client-secret": CLIENT_SECRET}},
        {"apiVersion": KGW, "kind": "GatewayExtension", "metadata": {"name": "sso"}, "spec": {"oauth2": provider}},
        {"apiVersion": KGW, "kind": "TrafficPolicy", "metadata": {"name": "p"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "web"}],
                  "oauth2": {"extensionRef": {"name": "sso"}}}},
    ]
    if hmac:
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "oauth2-hmac-secret"},
                     "data": {"hmac-secret": base64.b64encode(HMAC).decode()}})
    return docs


def _translate(oauth2: dict, **kw):
    res, errors = Resources.from_objects(_objects(oauth2, **kw))
    assert errors == [], [str(e) for e in errors]
    return translate(res)


def _messages(result) -> str:
    return " | ".join(str(s["status"]) for s in result.statuses if s["kind"] in ("GatewayExtension", "TrafficPolicy"))


def test_the_callback_path_is_the_redirect_uris_path():
    assert redirect_path("%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/redirect") == "/oauth2/redirect"
    assert redirect_path("https://app.test/a/cb?x=1#f") == "/a/cb"
    assert redirect_path("https://app.test") is None
    assert redirect_path("/just/a/path") is None


def test_cookie_names_are_unique_per_extension():
    assert cookie_suffix("default/sso") != cookie_suffix("other/sso")
    assert cookie_suffix("default/sso") == cookie_suffix("default/sso")


def test_oauth2_runs_first_among_authentication_filters():
    names = [getattr(m, "__name__", getattr(m, "name", "")).rsplit(".", 1)[-1] for m in httpfilters.ORDER]
    assert names.index("cors") < names.index("oauth2") < names.index("jwt_authn") < names.index("ext_authz")


def test_the_route_switches_the_filter_on_and_the_secrets_go_over_sds():
    result = _translate({})
    [ir] = result.gateways.values()
    [route] = ir.routes()
    assert route.ext.oauth2 is not None and CLIENT_SECRET not in repr(route.ext.oauth2)
    [(name, config)] = httpfilters.per_route_configs(XdsContext.of(ir), route).items()
    assert name == "kgw.oauth2/default/sso"
    switch = rc.FilterConfig()
    assert config.Unpack(switch) and switch.HasField("config") and not switch.disabled  # set but empty: on
    secrets = to_xds(ir)[SECRET]
    assert secrets["oauth2/client_secret/default/client"].generic_secret.secret.inline_bytes == CLIENT_SECRET.encode()
    assert secrets["oauth2/hmac_secret/default/oauth2-hmac-secret"].generic_secret.secret.inline_bytes == HMAC


def test_problems_name_the_field_and_never_the_secret():
    msg = _messages(_translate({}, client_secret={"wrong-key": CLIENT_SECRET}))
    assert "spec.oauth2.credentials.clientSecretRef: Secret default/client has no key client-secret" in msg
    assert CLIENT_SECRET not in msg
    msg = _messages(_translate({}, client_secret={"client-secret": ""}))
    assert "Secret default/client key client-secret is empty" in msg
    msg = _messages(_translate({}, hmac=False))
    assert "spec.oauth2 (the key that signs session cookies): Secret default/oauth2-hmac-secret not found" in msg
    msg = _messages(_translate({"issuerURI": "https://idp.test", "authorizationEndpoint": None}))
    assert "spec.oauth2.issuerURI: kgw does not discover endpoints" in msg
    msg = _messages(_translate({"redirectURI": "https://app.test"}))
    assert "spec.oauth2.redirectURI: 'https://app.test' needs a scheme and a path" in msg
    for result in (_translate({}, hmac=False), _translate({"logoutPath": "x"})):
        [ir] = result.gateways.values()
        [route] = ir.routes()
        assert route.direct_response_status == 500 and route.ext is None  # never served unprotected
