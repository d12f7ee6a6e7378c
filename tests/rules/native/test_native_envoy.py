"""Real Envoy 1.40 loads the shipped native module (ABI v0.2.0), runs a listener-level program (its
`route` read from the xds.route_name attribute, client_ip from source.address), counts in
dynamicmodulescustom.kgw.*, and rejects a configuration the verifier refuses, naming why."""
from __future__ import annotations

import pathlib
import subprocess
import urllib.request

import pytest

import kgw_rules
import kgw_rules.harness.native
from tests.e2e import envoy as E

pytestmark = pytest.mark.e2e

PROGRAM = '''on request {
  set header x-route = route
  set header x-ip = client_ip
  if header("x-deny") == "1" { respond 403 "no" }
}
on response { set header x-seen = request_header("x-route") }'''


def _upstream(port: int) -> dict:
    echo = [{"header": {"key": "x-echo-" + h, "value": f"%REQ({h})%"}} for h in ("x-route", "x-ip")]
    return E.listener("up", port, [{"name": "ok", "match": {"prefix": "/"}, "response_headers_to_add": echo,
                                    "direct_response": {"status": 200, "body": {"inline_string": "ok"}}}], [])


def test_envoy_runs_a_listener_level_program_and_counts(tmp_path):
    if not pathlib.Path(E.ENVOY).exists():
        pytest.skip("envoy is not installed")
    blob = kgw_rules.compile(PROGRAM, "smoke.kgw").to_bytes(strip=True)
    port, up = E.free_port(), E.free_port()
    lis = E.listener("l", port, [E.route("kgw-route", {"prefix": "/"})], [E.native_filter(blob)])
    with E.Envoy([lis, _upstream(up)], [E.cluster("upstream", up)], tmp_path, log_level="info", native=True) as e:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/x", timeout=5) as r:
            assert r.headers["x-echo-x-route"] == "kgw-route" and r.headers["x-echo-x-ip"] == "127.0.0.1"
            assert r.headers["x-seen"] == "kgw-route"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/x", headers={"x-deny": "1"})
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(req, timeout=5)
        assert denied.value.code == 403 and denied.value.read() == b"no"
        stats = e.stats("dynamicmodulescustom.kgw")
        assert stats["dynamicmodulescustom.kgw.programs_run"] == 3  # two phases, then one request phase
        assert stats["dynamicmodulescustom.kgw.local_responses"] == 1
        assert any("Dynamic module ABI version v0.2.0 matched" in line for line in e.log)


def test_envoy_rejects_a_configuration_the_verifier_refuses(tmp_path):
    if not pathlib.Path(E.ENVOY).exists():
        pytest.skip("envoy is not installed")
    blob = bytearray(kgw_rules.compile(PROGRAM, "smoke.kgw").to_bytes(strip=True))
    blob[-1] ^= 0xFF  # checksum
    port = E.free_port()
    route = E.route("r", {"prefix": "/"}, typed_per_filter_config=E.native_route_programs(bytes(blob)))
    lis = E.listener("l", port, [route], [E.native_filter()])
    with pytest.raises(RuntimeError) as failed, E.Envoy([lis], [], tmp_path, native=True):
        pass
    assert "kgw: configuration refused: checksum mismatch" in str(failed.value)
    assert "Failed to initialize per-route dynamic module" in str(failed.value)


def test_the_module_exports_the_abi_and_imports_only_envoy_and_a_little_libc():
    path = kgw_rules.native_module_path("x86_64")
    dyn = subprocess.run(["nm", "-D", str(path)], capture_output=True, text=True, check=True).stdout
    undefined = {line.split()[-1].split("@")[0] for line in dyn.splitlines() if " U " in line or " w " in line}
    envoy = {u for u in undefined if u.startswith("envoy_dynamic_module_callback_")}
    assert undefined - envoy == {"__tls_get_addr", "abort", "dlsym", "free", "getenv", "getrandom", "malloc"}
    defined = {line.split()[-1] for line in dyn.splitlines() if " T " in line}
    assert "envoy_dynamic_module_on_program_init" in defined
    assert {"envoy_dynamic_module_on_http_filter_per_route_config_new",
            "envoy_dynamic_module_on_http_filter_request_headers"} <= defined


def test_envoy_workers_share_the_module_under_concurrent_load(tmp_path):
    """Four workers, four clients: configurations are shared across threads (atomic reference counts),
    scratch memory and stream pools are per thread. Every request is transformed, none is lost."""
    import http.client
    import threading

    if not pathlib.Path(E.ENVOY).exists():
        pytest.skip("envoy is not installed")
    blob = kgw_rules.compile(PROGRAM, "smoke.kgw").to_bytes(strip=True)
    port, up = E.free_port(), E.free_port()
    route = E.route("kgw-route", {"prefix": "/"}, typed_per_filter_config=E.native_route_programs(
        kgw_rules.harness.native.route_bundle([blob], b"ns/r/0")))
    lis = E.listener("l", port, [route], [E.native_filter()])
    proxy = E.Envoy([lis, _upstream(up)], [E.cluster("upstream", up)], tmp_path, native=True)
    proxy.args[proxy.args.index("--concurrency") + 1] = "4"
    bad: list[object] = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(300):
            conn.request("GET", "/x")
            r = conn.getresponse()
            r.read()
            if r.status != 200 or r.getheader("x-echo-x-route") != "ns/r/0":
                bad.append((r.status, r.getheader("x-echo-x-route")))
        conn.close()

    with proxy as e:
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert bad == [] and e.proc.poll() is None
        assert e.stats("dynamicmodulescustom.kgw")["dynamicmodulescustom.kgw.programs_run"] == 2 * 1200
