"""OAuth2 translation as pure functions: the callback path taken from redirectURI, cookie names unique per
extension, the filter's place in the order, the per-route switch Envoy reads as "on", the SDS secrets,
problems that name the field and never the secret; and OpenID discovery: the document's checks, discovered
endpoints in translation, retries, and the snapshot re-yielded when a result changes."""
from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

from envoy.config.route.v3 import route_components_pb2 as rc

from kgw_controller.ads.types import SECRET
from kgw_controller.oidc_discovery import OidcDiscovery, parse_configuration, refreshed
from kgw_controller.resources import Resources
from kgw_controller.translate import TranslateOptions, translate
from kgw_controller.translate.options import OidcConfiguration
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
    assert "spec.oauth2.issuerURI: the OpenID configuration of https://idp.test has not been discovered yet" in msg
    msg = _messages(_translate({"endSessionEndpoint": "https://idp.test/bye"}))
    assert "spec.oauth2.endSessionEndpoint: needs `openid` in scopes" in msg
    msg = _messages(_translate({"redirectURI": "https://app.test"}))
    assert "spec.oauth2.redirectURI: 'https://app.test' needs a scheme and a path" in msg
    for result in (_translate({}, hmac=False), _translate({"logoutPath": "x"})):
        [ir] = result.gateways.values()
        [route] = ir.routes()
        assert route.direct_response_status == 500 and route.ext is None  # never served unprotected


# --- OpenID discovery (controller/oidc_discovery.py) ------------------------------------------------------

def test_a_discovery_document_is_checked_before_it_is_used():
    url = "https://idp.test/.well-known/openid-configuration"
    issuer = "https://idp.test"

    def parse(doc) -> OidcConfiguration:
        return parse_configuration(url, doc if isinstance(doc, bytes) else json.dumps(doc).encode(), issuer)
    good = {"issuer": issuer, "authorization_endpoint": "https://idp.test/a", "token_endpoint": "https://idp.test/t"}
    assert parse(good) == OidcConfiguration("https://idp.test/a", "https://idp.test/t")
    assert parse({**good, "issuer": issuer + "/"}).error == ""
    assert parse({**good, "end_session_endpoint": "https://idp.test/bye"}).end_session_endpoint == "https://idp.test/bye"
    assert parse({"issuer": issuer, "authorization_endpoint": "https://idp.test/a"}).error \
        == f"{url}: token_endpoint is missing"
    assert parse({**good, "token_endpoint": "http://idp.test/t"}).error == f"{url}: token_endpoint is not an https URL"
    # a document naming another issuer (or none) is not used
    assert parse({**good, "issuer": "https://evil.test"}).error \
        == f"{url}: issuer is 'https://evil.test', not 'https://idp.test'"
    assert parse({k: v for k, v in good.items() if k != "issuer"}).error == f"{url}: issuer is None, not 'https://idp.test'"
    assert parse(b"[1]").error == f"{url}: not a JSON object"
    assert parse(b"{nope").error.startswith(f"{url}: not JSON")
    assert "larger than" in parse(b" " * ((1 << 20) + 1)).error


def test_discovered_endpoints_fill_what_the_provider_leaves_out():
    issuer = {"issuerURI": "https://idp.test", "authorizationEndpoint": None, "tokenEndpoint": None,
              "scopes": ["openid"]}
    found = OidcConfiguration("https://idp.test/a", "https://idp.test/t", "https://idp.test/bye")
    res, _ = Resources.from_objects(_objects(issuer))
    [ir] = translate(res, TranslateOptions(oidc={("https://idp.test", False): found})).gateways.values()
    [route] = ir.routes()
    o = route.ext.oauth2
    assert (o.authorization_endpoint, o.token_endpoint, o.end_session_endpoint) == (
        "https://idp.test/a", "https://idp.test/t", "https://idp.test/bye")
    res, _ = Resources.from_objects(_objects({**issuer, "authorizationEndpoint": "https://login.test/own"}))
    [ir] = translate(res, TranslateOptions(oidc={("https://idp.test", False): found})).gateways.values()
    assert next(ir.routes()).ext.oauth2.authorization_endpoint == "https://login.test/own"  # explicit wins
    res, _ = Resources.from_objects(_objects(issuer))
    failed = OidcConfiguration(error="https://idp.test/.well-known/openid-configuration answered 503")
    result = translate(res, TranslateOptions(oidc={("https://idp.test", False): failed}))
    assert "spec.oauth2.issuerURI: OpenID discovery failed: https://idp.test/.well-known/openid-configuration " \
           "answered 503 (retried)" in _messages(result)
    assert next(next(iter(result.gateways.values())).routes()).direct_response_status == 500


def test_discovery_retries_until_the_provider_answers_and_says_so():
    answers = [OidcConfiguration(error="down"), OidcConfiguration("https://idp.test/a", "https://idp.test/t")]
    calls: list[tuple[str, bool]] = []

    def fetch(issuer: str, skip_verify: bool) -> OidcConfiguration:
        calls.append((issuer, skip_verify))
        return answers[min(len(calls), len(answers)) - 1]

    discovery = OidcDiscovery(fetch, refresh_s=60, retry_s=(0.01, 0.02))
    changed = threading.Event()
    discovery.on_change = changed.set
    res, _ = Resources.from_objects(_objects({"issuerURI": "https://idp.test", "authorizationEndpoint": None}))
    try:
        first = discovery.configurations(res)  # waits for the first answer
        assert first == {("https://idp.test", False): OidcConfiguration(error="down")}
        deadline = time.monotonic() + 5
        while discovery.configurations(res)[("https://idp.test", False)].error:
            assert time.monotonic() < deadline, calls
            time.sleep(0.01)
        assert changed.is_set() and calls[:2] == [("https://idp.test", False)] * 2
        assert discovery.configurations(Resources()) == {}  # no longer wanted: its reader stops
    finally:
        discovery.close()
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count


def test_a_changed_discovery_result_yields_the_last_snapshot_again():
    async def run() -> list[str]:
        discovery = OidcDiscovery(lambda i, s: OidcConfiguration())
        stop = asyncio.Event()

        async def source():
            yield "first"
            await stop.wait()

        seen = []
        async for snap in refreshed(source(), discovery):
            seen.append(snap)
            if len(seen) == 1:
                assert discovery.on_change is not None
                threading.Thread(target=discovery.on_change).start()  # as a reader thread calls it
            else:
                break
        stop.set()
        return seen

    assert asyncio.run(run()) == ["first", "first"]
