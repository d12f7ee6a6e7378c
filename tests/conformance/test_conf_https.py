"""HTTPS listeners: certificates from Secrets over SDS, chosen by SNI (a cross-namespace Secret through a
ReferenceGrant), and 421 Misdirected Request when the Host belongs to another listener (HTTP/1.1 and HTTP/2)."""
import shutil
import subprocess

import pytest
from conf_infra import GATEWAY_ADDRESS

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("sni,cn", [("a.example.org", "a.example.org"), ("b.example.org", "b.example.org")])
def test_sni_selects_certificate(gw, sni, cn):
    resp = gw.https(sni, sni)
    assert resp.status == 200 and resp.echoed()["service"] == "infra-backend-v3"
    assert resp.headers["x-test-peer-cert-cn"] == cn
    assert resp.echoed()["headers"]["X-Forwarded-Proto"] == ["https"]


def test_misdirected_request_http1(gw):
    resp = gw.https("a.example.org", "b.example.org")
    assert resp.status == 421 and resp.headers["x-test-peer-cert-cn"] == "a.example.org"


def test_unknown_host_on_a_hostname_listener_is_misdirected(gw):
    assert gw.https("a.example.org", "elsewhere.example.net").status == 421


@pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")
def test_misdirected_request_http2(gw):
    # An HTTP/2 client that reuses the a.example.org connection for b.example.org must get 421.
    port = gw.port(443)
    out = subprocess.run(
        ["curl", "-s", "--http2", "--cacert", gw.ca_file, "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
         "--resolve", f"a.example.org:{port}:{GATEWAY_ADDRESS}", "-H", "Host: b.example.org",
         f"https://a.example.org:{port}/"], capture_output=True, text=True, timeout=10)
    assert out.stdout == "2 421", out


def test_https_listener_status(gw):
    status = gw.status_of("Gateway", "gateway-conformance-infra", "conformance")
    listeners = {ls["name"]: ls for ls in status["listeners"]}
    for name in ("https-a", "https-b"):
        conds = {c["type"]: (c["status"], c["reason"]) for c in listeners[name]["conditions"]}
        assert conds["ResolvedRefs"] == ("True", "ResolvedRefs") and conds["Programmed"] == ("True", "Programmed")
