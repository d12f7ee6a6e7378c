"""A loopback OpenID Connect identity provider for the OAuth2 end-to-end tests: HTTPS on 127.0.0.1 with a
certificate made in the test, `/authorize` (no login page: it sends the browser straight back with a code and
the state), `/token` (the authorization-code grant: checks the client id and secret and the PKCE verifier,
answers an opaque access token and an RS256-signed ID token), `/logout` (RP-initiated logout) and the
discovery document `/.well-known/openid-configuration` (404 while `discoverable` is False). Every request is
kept in `requests` for the test to inspect."""
from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwt_keys import KeyPair, claims


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str
    method: str


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kgw test idp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "idp.crt", directory / "idp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _pkce(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OidcProvider:
    def __init__(self, client_id: str, client_secret: str):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = KeyPair.rsa("idp-1")
        self.grants: dict[str, Grant] = {}
        self.issued: list[tuple[str, str]] = []  # (access token, ID token) handed out
        self.requests: list[Seen] = []
        self.discoverable = True
        self.jwt_access_tokens = False  # opaque access tokens unless set: then signed like the ID token
        self.lock = threading.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="kgw-idp-")
        cert, key = _certificate(Path(self._dir.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def token_requests(self) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == "/token"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
        self._dir.cleanup()

    # what the endpoints answer: (status, headers, body)
    def authorize(self, q: dict[str, str]) -> tuple[int, dict, bytes]:
        if q.get("response_type") != "code" or q.get("client_id") != self.client_id:
            return 400, {}, b"bad authorization request"
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.grants[code] = Grant(q["client_id"], q.get("redirect_uri", ""), q.get("scope", ""),
                                      q.get("code_challenge", ""), q.get("code_challenge_method", ""))
        back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        return 302, {"Location": back}, b""

    def discovery(self) -> tuple[int, dict, bytes]:
        if not self.discoverable:
            return 404, {}, b""
        doc = {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
               "token_endpoint": f"{self.url}/token", "end_session_endpoint": f"{self.url}/logout",
               "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"]}
        return 200, {"Content-Type": "application/json"}, json.dumps(doc).encode()

    def token(self, form: dict[str, str], headers: dict[str, str]) -> tuple[int, dict, bytes]:
        def error(status: int, what: str) -> tuple[int, dict, bytes]:
            return status, {"Content-Type": "application/json"}, json.dumps({"error": what}).encode()

        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return error(401, "invalid_client")
        with self.lock:
            grant = self.grants.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code" \
                or form.get("redirect_uri") != grant.redirect_uri:
            return error(400, "invalid_grant")
        if grant.challenge and (grant.method != "S256" or _pkce(form.get("code_verifier", "")) != grant.challenge):
            return error(400, "invalid_grant")  # PKCE: the verifier must hash to the challenge
        access = (self.key.sign(claims(self.url, self.client_id, sub="alice", scope=grant.scope))
                  if self.jwt_access_tokens else "at-" + secrets.token_urlsafe(24))
        id_token = self.key.sign(claims(self.url, self.client_id, sub="alice", email="alice@example.test"))
        with self.lock:
            self.issued.append((access, id_token))
        body = {"access_token": access, "id_token": id_token, "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": "rt-" + secrets.token_urlsafe(16)}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _handler(idp: OidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: the test inspects `requests`
            pass

        def _answer(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _seen(self, form: dict[str, str] | None = None) -> Seen:
            url = urlsplit(self.path)
            seen = Seen(self.command, url.path, {k: v[0] for k, v in parse_qs(url.query).items()}, form or {},
                        {k.lower(): v for k, v in self.headers.items()})
            with idp.lock:
                idp.requests.append(seen)
            return seen

        def do_GET(self):
            seen = self._seen()
            if seen.path == "/authorize":
                self._answer(*idp.authorize(seen.query))
            elif seen.path == "/.well-known/openid-configuration":
                self._answer(*idp.discovery())
            elif seen.path == "/logout":
                self._answer(200, {"Content-Type": "text/plain"}, b"logged out at the identity provider")
            else:
                self._answer(404, {}, b"")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            seen = self._seen(form)
            if seen.path == "/token":
                self._answer(*idp.token(form, seen.headers))
            else:
                self._answer(404, {}, b"")

    return Handler
