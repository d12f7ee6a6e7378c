"""Real Envoy 1.40 (V8) loads the shipped .wasm, accepts a valid configuration, refuses a broken one,
and runs the first program of the spec on a live request (request phase, local response, response
phase on a direct_response route)."""
from __future__ import annotations

import base64
import contextlib
import http.server
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

import kgw_rules
from kgw_rules.wire import BundleRoute, encode_bundle

from .corpus import FIRST_PROGRAM

HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"

pytestmark = pytest.mark.e2e
ENVOY = shutil.which("envoy") or str(pathlib.Path(sys.executable).parent / "envoy")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(plugin: bytes, port: int, admin: int, upstream: int | None = None) -> dict:
    wasm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {
            "name": "kgw", "root_id": "",
            "configuration": {"@type": "type.googleapis.com/google.protobuf.BytesValue",
                              "value": base64.b64encode(plugin).decode()},
            "allow_on_headers_stop_iteration": True,
            "failure_policy": "FAIL_RELOAD",
            "vm_config": {"runtime": "envoy.wasm.runtime.v8",
                          "code": {"local": {"filename": str(kgw_rules.filter_wasm_path())}}},
        },
    }
    hcm = {
        "@type": HCM_TYPE,
        "stat_prefix": "ingress",
        "route_config": {"virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [
            {"name": "kgw-route", "match": {"prefix": "/"},
             **({"route": {"cluster": "echo"}} if upstream else
                {"direct_response": {"status": 503, "body": {"inline_string": "upstream"}}}),
             "response_headers_to_add": [{"header": {"key": "server", "value": "direct"}}]}]}]},
        "http_filters": [{"name": "envoy.filters.http.wasm", "typed_config": wasm},
                         {"name": "envoy.filters.http.router",
                          "typed_config": {"@type": ROUTER_TYPE}}],
    }
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "static_resources": {"clusters": [{
            "name": "echo", "type": "STATIC", "connect_timeout": "1s",
            "load_assignment": {"cluster_name": "echo", "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
                "socket_address": {"address": "127.0.0.1", "port_value": upstream}}}}]}]}}] if upstream else [],
            "listeners": [{"name": "l", "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
                           "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                                           "typed_config": hcm}]}]}]},
    }


def _bundle() -> bytes:
    blob = kgw_rules.compile(FIRST_PROGRAM, "api.kgw").to_bytes(strip=True)
    return encode_bundle({"api": blob}, [BundleRoute(b"kgw-route", b"default/api/0", ("api",))])


def _validate(tmp_path, plugin: bytes) -> subprocess.CompletedProcess:
    cfg = tmp_path / "envoy.json"
    cfg.write_text(json.dumps(_config(plugin, _port(), _port())))
    return subprocess.run([ENVOY, "--mode", "validate", "-c", str(cfg), "--log-level", "error"],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def _need_envoy():
    if not pathlib.Path(ENVOY).exists():
        pytest.skip("envoy is not installed")


def test_envoy_validates_a_configuration_with_the_filter(tmp_path):
    res = _validate(tmp_path, _bundle())
    assert res.returncode == 0, res.stdout + res.stderr


@contextlib.contextmanager
def _envoy(tmp_path, plugin: bytes, upstream: int | None = None):
    port, admin = _port(), _port()
    cfg = tmp_path / "envoy.json"
    cfg.write_text(json.dumps(_config(plugin, port, admin, upstream)))
    proc = subprocess.Popen([ENVOY, "-c", str(cfg), "--log-level", "warn", "--concurrency", "1",
                             "--base-id", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.time() > deadline or proc.poll() is not None:
                    log = proc.stdout.read().decode() if proc.poll() is not None else ""
                    raise AssertionError("envoy did not start: " + log) from None
                time.sleep(0.2)
        yield port, admin
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_envoy_refuses_a_configuration_the_verifier_refuses(tmp_path):
    """proxy_on_configure returning false fails Envoy's startup (over ECDS: a NACK)."""
    broken = bytearray(_bundle())
    broken[-1] ^= 0xFF  # checksum
    cfg = tmp_path / "envoy.json"
    cfg.write_text(json.dumps(_config(bytes(broken), _port(), _port())))
    proc = subprocess.run([ENVOY, "-c", str(cfg), "--log-level", "error", "--base-id", str(_port())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "kgw: configuration refused: bundle: checksum mismatch" in proc.stdout + proc.stderr


def test_envoy_serves_requests_through_the_rules(tmp_path):
    with _envoy(tmp_path, _bundle()) as (port, admin):
        # no credentials: the request phase answers locally
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/users", timeout=5)
        assert err.value.code == 401
        assert err.value.headers["www-authenticate"] == "Bearer"
        assert err.value.read() == b"missing credentials"
        # with credentials: the response phase edits the (direct) response
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/users",
                                     headers={"Authorization": "t", "X-User-Id": " Alice "})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 503
        assert err.value.headers["x-served-for"] == "alice"
        assert err.value.headers["retry-after"] == "5"
        assert err.value.headers["server"] is None or err.value.headers["server"] != "direct"
        stats = urllib.request.urlopen(f"http://127.0.0.1:{admin}/stats?filter=kgw", timeout=5).read().decode()
        assert "kgw.local_responses: 1" in stats, stats
        assert "kgw.programs_run: 3" in stats, stats


class _Echo(http.server.BaseHTTPRequestHandler):
    """Answers with the body it received and what content-length it saw."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("x-got-length", self.headers.get("content-length", "none"))
        self.send_header("x-got-a", self.headers.get("x-a", "none"))
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_envoy_body_rewrites_fix_content_length(tmp_path):
    """Held headers (allow_on_headers_stop_iteration), buffered bodies, replaced bodies and
    content-length kept in step, in both directions, through a real upstream."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    blob = kgw_rules.compile('on request {\n set body = upper(body) + "-extra"\n set header "x-a" = str(len(body))\n}\n'
                             'on response {\n set body = "<{body}>"\n'
                             ' set header "x-seen" = "{path} {request_header("x-a")}"\n}',
                             "b.kgw").to_bytes(strip=True)
    try:
        with _envoy(tmp_path, blob, upstream=server.server_address[1]) as (port, _):
            req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=b"hello body" * 1000, method="POST")
            with urllib.request.urlopen(req, timeout=10) as resp:
                sent = b"HELLO BODY" * 1000 + b"-extra"
                assert resp.headers["x-got-length"] == str(len(sent))
                assert resp.headers["x-got-a"] == str(len(sent))  # a read after the write sees the new body
                assert resp.read() == b"<" + sent + b">"
                assert resp.headers["content-length"] == str(len(sent) + 2)
                # the response phase reads the request as it was sent upstream
                assert resp.headers["x-seen"] == f"/ {len(sent)}"
    finally:
        server.shutdown()
