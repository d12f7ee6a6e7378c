"""TrafficPolicy oauth2 through a real Envoy, in both modes, against a loopback OpenID Connect provider
(oidc_provider.py): the whole authorization-code flow as a browser walks it (redirect to the provider with
client_id, redirect_uri, state and a PKCE challenge; the provider's redirect back; the code exchanged at the
token endpoint with the client secret from the Secret; session cookies), the access token forwarded upstream,
tampered cookies refused, logout, a 401 instead of a redirect for API callers, the client secret rotated by
editing its Secret, sessions ended by a new cookie key, a missing Secret reported by field with the route
answering 500, no secret in any status; and endpoints discovered from the issuer by the control plane,
retried until the provider answers, its access tokens then verified by a jwtAuth policy on the same route."""
from __future__ import annotations

import base64
import http.client
import json
import secrets
import ssl
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from oidc_provider import OidcProvider

from tests.support.manifests import prefix_rules_route, traffic_policy_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CLIENT_ID = "web-app"


@pytest.fixture
def idp():
    provider = OidcProvider(CLIENT_ID, "client-secret-" + secrets.token_hex(8))
    yield provider
    provider.close()


def manifests(idp: OidcProvider, client_secret: str, hmac_key: bytes) -> str:
    policies = "".join("---\n" + traffic_policy_yaml(name, "web", name, body) for name, body in (
        ("disc", "  oauth2: {extensionRef: {name: discovered}}\n  jwtAuth: {extensionRef: {name: idp-jwt}}\n"),
        ("app", "  oauth2: {extensionRef: {name: sso}}\n"),
        ("bad", "  oauth2: {extensionRef: {name: broken}}\n")))
    return prefix_rules_route("web", ("app", "open", "bad", "disc")) + f"""\
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {{name: idp, namespace: default}}
spec:
  type: Static
  static:
    hosts: [{{host: 127.0.0.1, port: {idp.port}}}]
    tls: {{insecureSkipVerify: true}}
---
apiVersion: v1
kind: Secret
metadata: {{name: idp-client, namespace: default}}
stringData: {{client-secret: {client_secret}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: oauth2-hmac-secret, namespace: default}}
data: {{hmac-secret: {base64.b64encode(hmac_key).decode()}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: sso, namespace: default}}
spec:
  type: OAuth2
  oauth2:
    backendRef: {{group: gateway.kgateway.dev, kind: Backend, name: idp}}
    authorizationEndpoint: {idp.url}/authorize
    tokenEndpoint: {idp.url}/token
    endSessionEndpoint: {idp.url}/logout
    redirectURI: "%REQ(x-forwarded-proto)%://%REQ(:authority)%/app/callback"
    logoutPath: /app/logout
    forwardAccessToken: true
    scopes: [openid, email]
    credentials: {{clientID: {CLIENT_ID}, clientSecretRef: {{name: idp-client}}}}
    denyRedirect: {{headers: [{{name: X-Requested-With, value: XMLHttpRequest}}]}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: broken, namespace: default}}
spec:
  oauth2:
    backendRef: {{group: gateway.kgateway.dev, kind: Backend, name: idp}}
    authorizationEndpoint: {idp.url}/authorize
    tokenEndpoint: {idp.url}/token
    credentials: {{clientID: {CLIENT_ID}, clientSecretRef: {{name: nowhere}}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: discovered, namespace: default}}
spec:
  oauth2:
    backendRef: {{group: gateway.kgateway.dev, kind: Backend, name: idp}}
    issuerURI: {idp.url}
    scopes: [openid]
    redirectURI: "%REQ(x-forwarded-proto)%://%REQ(:authority)%/disc/callback"
    forwardAccessToken: true
    credentials: {{clientID: {CLIENT_ID}, clientSecretRef: {{name: idp-client}}}}
---
# the provider's access tokens verified as JWTs: jwtAuth runs after oauth2, on the token it forwards
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: idp-jwt, namespace: default}}
spec:
  jwt:
    providers:
    - name: idp
      issuer: {idp.url}
      audiences: [{CLIENT_ID}]
      claimsToHeaders: [{{name: sub, header: x-sub}}]
      jwks: {{local: {{inline: {json.dumps(json.dumps(idp.key.jwks()))}}}}}
""" + policies


class Browser:
    """Just enough of a browser: a cookie jar (name -> value; the attributes of the last Set-Cookie kept for the
    test to read) and GETs that report every header, Set-Cookie lines included."""

    def __init__(self, gw_port: int):
        self.gw_port = gw_port
        self.jar: dict[str, str] = {}
        self.attributes: dict[str, str] = {}

    def get(self, url_or_path: str, headers: dict | None = None) -> tuple[int, str, dict[str, list[str]]]:
        url = urlsplit(url_or_path)
        target = url.path + (f"?{url.query}" if url.query else "")
        if url.scheme == "https":  # the identity provider: its certificate is the test's own
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                url.hostname, url.port, timeout=5, context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", url.port or self.gw_port, timeout=10)
        sent = dict(headers or {})
        if self.jar and url.scheme != "https":
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        try:
            conn.request("GET", target, headers=sent)
            resp = conn.getresponse()
            body = resp.read().decode(errors="replace")
            out: dict[str, list[str]] = {}
            for k, v in resp.getheaders():
                out.setdefault(k.lower(), []).append(v)
        finally:
            conn.close()
        if url.scheme != "https":
            for line in out.get("set-cookie", ()):
                pair, _, attrs = line.partition(";")
                name, _, value = pair.strip().partition("=")
                self.attributes[name] = attrs.lower()
                if "max-age=0" in attrs.lower() or "1970" in attrs or value == "deleted":
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = value
        return resp.status, body, out


def login(b: Browser, idp: OidcProvider, path: str, callback: str = "/app/callback") -> dict[str, str]:
    """Walk the flow from `path` to the page itself; returns the authorization request's query."""
    status, _, headers = b.get(path)
    assert status == 302, status
    authorize = urlsplit(headers["location"][0])
    assert f"https://127.0.0.1:{idp.port}/authorize" == f"{authorize.scheme}://{authorize.netloc}{authorize.path}"
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    status, _, headers = b.get(headers["location"][0])  # the provider sends the browser back with a code
    assert status == 302, status
    back = headers["location"][0]
    assert back.startswith(f"http://127.0.0.1:{b.gw_port}{callback}?code="), back
    status, body, headers = b.get(back)  # Envoy exchanges the code, sets its cookies, back to the page
    assert status == 302, (status, body)
    assert headers["location"][0].endswith(path), headers["location"]
    return query


def _upstream_headers(body: str) -> dict:
    return {k.lower(): v for k, v in json.loads(body)["headers"].items()}


def test_authorization_code_flow(deployed, idp):
    d = deployed
    client_secret, hmac_key = idp.client_secret, secrets.token_bytes(32)
    d.write("oauth2.yaml", manifests(idp, client_secret, hmac_key))
    d.start()
    d.wait_status("/open", 200)

    b = Browser(d.gw_port)
    before = len(d.echo.seen)
    status, _, headers = b.get("/app/page?x=1")  # no session: off to the identity provider
    assert status == 302 and len(d.echo.seen) == before
    query = {k: v[0] for k, v in parse_qs(urlsplit(headers["location"][0]).query).items()}
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["redirect_uri"] == f"http://127.0.0.1:{d.gw_port}/app/callback"
    assert query["scope"] == "openid email" and query["state"]
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    # an API caller gets a 401, not a login page
    assert b.get("/app/page", headers={"X-Requested-With": "XMLHttpRequest"})[0] == 401

    b = Browser(d.gw_port)
    query = login(b, idp, "/app/page?x=1")
    bearer_cookie = next(n for n in b.jar if n.startswith("AccessToken-"))
    [token] = idp.token_requests()
    assert token.form["client_id"] == CLIENT_ID and token.form["client_secret"] == client_secret
    assert token.form["grant_type"] == "authorization_code"
    assert token.form["redirect_uri"] == query["redirect_uri"]
    assert token.form.get("code_verifier")  # the provider checked it against the challenge

    status, body, _ = b.get("/app/page?x=1")
    assert status == 200, body
    seen = _upstream_headers(body)
    access, id_token = idp.issued[-1]
    assert seen["authorization"] == [f"Bearer {access}"]  # forwardAccessToken
    # upstream, the tokens are in their cookies in clear; the browser's jar holds them encrypted
    assert f"{bearer_cookie}={access}" in seen["cookie"][0] and id_token in seen["cookie"][0]
    assert access not in b.jar[bearer_cookie]
    assert "secure" in b.attributes[bearer_cookie] and "httponly" in b.attributes[bearer_cookie]
    assert b.get("/open")[0] == 200  # routes without the policy never enter the filter

    # a tampered cookie starts the flow again; nothing reaches the backend
    hmac_cookie = next(n for n in b.jar if n.startswith("OauthHMAC-"))
    for name in (hmac_cookie, bearer_cookie):
        forged = Browser(d.gw_port)
        forged.jar = dict(b.jar)
        value = forged.jar[name]
        forged.jar[name] = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
        before = len(d.echo.seen)
        status, _, headers = forged.get("/app/page")
        assert status == 302 and "/authorize" in headers["location"][0], (name, status)
        assert len(d.echo.seen) == before, name

    # logout clears the session and goes on to the provider's end-session endpoint
    status, _, headers = b.get("/app/logout")
    assert status == 302 and headers["location"][0].startswith(f"{idp.url}/logout"), headers.get("location")
    assert not any(n.startswith(("OauthHMAC-", "AccessToken-")) for n in b.jar), b.jar
    assert b.get("/app/page")[0] == 302

    # the broken extension: its routes answer 500 and its status names the field
    assert b.get("/bad/x")[0] == 500
    ext = d.status_of("GatewayExtension", "default", "broken")["conditions"][0]
    assert ext["status"] == "False"
    assert "spec.oauth2.credentials.clientSecretRef: Secret default/nowhere not found" in ext["message"]
    policy = d.status_of("TrafficPolicy", "default", "bad")["ancestors"][0]["conditions"][0]
    assert policy["status"] == "False" and "GatewayExtension default/broken is invalid" in policy["message"]
    ok = d.status_of("GatewayExtension", "default", "sso")["conditions"][0]
    assert (ok["type"], ok["status"]) == ("Accepted", "True")

    # the client secret rotated at the provider: the exchange fails until the Secret is edited (no restart)
    idp.client_secret = "rotated-" + secrets.token_hex(8)
    b = Browser(d.gw_port)
    status, _, headers = b.get("/app/page")
    status, _, headers = b.get(headers["location"][0])
    status, _, _ = b.get(headers["location"][0])
    assert status == 401 and not any(n.startswith("OauthHMAC-") for n in b.jar)
    d.write("oauth2.yaml", manifests(idp, idp.client_secret, hmac_key))
    d.settle()
    b = Browser(d.gw_port)
    login(b, idp, "/app/page")
    assert idp.token_requests()[-1].form["client_secret"] == idp.client_secret
    assert b.get("/app/page")[0] == 200
    # a new cookie key ends every session
    old_key, hmac_key = hmac_key, secrets.token_bytes(32)
    d.write("oauth2.yaml", manifests(idp, idp.client_secret, hmac_key))
    d.settle()
    d.wait_status("/open", 200)
    deadline = time.monotonic() + 10  # SDS delivers the new key
    while b.get("/app/page")[0] != 302:
        assert time.monotonic() < deadline, "the session outlived its cookie key"
        time.sleep(0.05)

    # no secret in any status (nor, under kgw up, anywhere in /status)
    text = json.dumps([d.status_of(k, "default", n) for k, n in (
        ("GatewayExtension", "sso"), ("GatewayExtension", "broken"), ("TrafficPolicy", "app"),
        ("TrafficPolicy", "bad"))])
    if d.mode.name == "up":
        text += json.dumps(d.mode.admin("/status")[1])
    for secret in (client_secret, idp.client_secret, *(base64.b64encode(k).decode() for k in (old_key, hmac_key))):
        assert secret not in text


def test_endpoints_discovered_from_the_issuer(deployed, idp):
    d = deployed
    idp.discoverable = False  # the provider does not answer discovery at first
    idp.jwt_access_tokens = True
    d.start()  # the policies arrive at a running Gateway (its Envoy fetches the new SDS secrets)
    d.write("oauth2.yaml", manifests(idp, idp.client_secret, secrets.token_bytes(32)))
    d.settle()
    d.wait_status("/open", 200)
    assert d.get("/disc/x")[0] == 500  # never served unprotected while the endpoints are unknown
    ext = d.status_of("GatewayExtension", "default", "discovered")["conditions"][0]
    assert ext["status"] == "False" and ext["message"] == (
        f"spec.oauth2.issuerURI: OpenID discovery failed: {idp.url}/.well-known/openid-configuration answered 404 "
        "(retried)"), ext

    idp.discoverable = True  # retried with backoff: picked up without any change to the manifests
    d.wait_status("/disc/x", 302, timeout=20)
    b = Browser(d.gw_port)
    query = login(b, idp, "/disc/x", callback="/disc/callback")
    assert query["redirect_uri"] == f"http://127.0.0.1:{d.gw_port}/disc/callback"
    status, body, _ = b.get("/disc/x")
    assert status == 200 and _upstream_headers(body)["x-sub"] == ["alice"], body  # the JWT filter verified it
    # a request bringing its own (unsigned) token but no session never reaches the JWT filter: off to log in
    assert Browser(d.gw_port).get("/disc/x", headers={"Authorization": "Bearer x.y.z"})[0] == 302
    d.settle()
    ext = d.status_of("GatewayExtension", "default", "discovered")["conditions"][0]
    assert (ext["type"], ext["status"]) == ("Accepted", "True"), ext
