"""`kgw up` end to end with a real Envoy: traffic, live changes, NACKs, restarts, bad input, shutdown."""
import json
import threading
import time

import pytest
from kgw_harness import pid_alive, route_yaml

from kgw_controller.embedded import EmbeddedUp
from kgw_controller.xdsgen import ROUTE

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


@pytest.mark.parametrize("delta", [True, False], ids=["delta", "sotw"])
def test_traffic_is_routed_and_reported(setup, delta):
    with EmbeddedUp(setup.options(delta=delta)) as kgw:
        status, body, _ = setup.get("/app/x?q=1", headers={"X-Echo-Set-Header": "x-kgw:yes"})
        assert status == 200
        echoed = json.loads(body)
        assert echoed["path"] == "/app/x?q=1" and echoed["service"] == "echo"
        assert setup.get("/app/x", headers={"X-Echo-Set-Header": "x-kgw:yes"})[2]["x-kgw"] == "yes"
        assert setup.get("/other")[0] == 404
        assert setup.admin("/readyz") == (200, {"generation": 1})
        _, doc = setup.admin("/status")
        assert doc["generation"] == doc["ready_generation"] == 1
        kinds = {(o["kind"], o["name"]) for o in doc["objects"]}
        assert {("Gateway", "gw"), ("HTTPRoute", "web"), ("GatewayClass", "kgw")} <= kinds
        gw = doc["gateways"]["default/gw"]
        assert gw["ready"] and gw["xds_streams"] == 1 and gw["envoy_pid"] in kgw.envoy_pids()
        _, metrics = setup.admin("/metrics")
        assert 'kgw_xds_acks_total{gateway="default/gw",type="RDS"} 1.0' in metrics
        assert 'kgw_resources{kind="HTTPRoute"} 1.0' in metrics
        assert "kgw_translation_seconds_count 1.0" in metrics
        assert any(f"try: curl http://127.0.0.1:{setup.gw_port}/app" in line for line in kgw.lines)


def test_route_change_served_within_1s_while_in_flight_request_completes(setup):
    with EmbeddedUp(setup.options()) as kgw:
        slow = {}

        def slow_request():
            slow["result"] = setup.get("/app/slow", headers={"X-Echo-Delay-Ms": "1500"}, timeout=10)

        t = threading.Thread(target=slow_request)
        t.start()
        time.sleep(0.3)  # the slow request is now inside Envoy and the echo server
        t0 = time.monotonic()
        setup.write("route.yaml", route_yaml("web", "/v2"))
        setup.wait_status("/v2/new", 200)
        served = time.monotonic() - t0
        setup.wait_ready(2)
        assert served < 1.0, served
        assert setup.get("/app/x")[0] == 404
        t.join(10)
        assert slow["result"][0] == 200 and json.loads(slow["result"][1])["path"] == "/app/slow"
        assert kgw.call(lambda: kgw.runner.generation) == 2


def _poison_nack_routes(key, xds):
    """Test hook: a route for /nack becomes an invalid RE2 regex, which Envoy rejects (the translator
    itself only produces valid configs)."""
    for rc in xds[ROUTE].values():
        for vh in rc.virtual_hosts:
            for route in vh.routes:
                if route.match.path_separated_prefix == "/nack":
                    route.match.safe_regex.regex = "(unclosed"
    return xds


def test_nack_keeps_previous_config_serving_and_is_reported(setup):
    with EmbeddedUp(setup.options()) as kgw:
        kgw.runner.xds_hook = _poison_nack_routes
        setup.write("route.yaml", route_yaml("web", "/app", "/nack"))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            _, doc = setup.admin("/status")
            if doc["gateways"]["default/gw"]["nacks"]:
                break
            time.sleep(0.02)
        nack = doc["gateways"]["default/gw"]["nacks"]["RDS"]
        assert "regex" in nack["message"].lower() or "unclosed" in nack["message"]
        gateway = next(o for o in doc["objects"] if o["kind"] == "Gateway")
        programmed = next(c for c in gateway["status"]["conditions"] if c["type"] == "Programmed")
        assert programmed["status"] == "False" and "Envoy rejected RDS" in programmed["message"]
        assert doc["generation"] == 2 and doc["ready_generation"] == 1
        assert setup.admin("/readyz")[0] == 503
        assert 'kgw_xds_nacks_total{gateway="default/gw",type="RDS"} 1.0' in setup.admin("/metrics")[1]
        assert setup.get("/app/still")[0] == 200  # previous config keeps serving
        pushes_after_nack = setup.admin("/metrics")[1].count("\n")
        time.sleep(0.3)
        _, metrics = setup.admin("/metrics")
        assert 'kgw_xds_pushes_total{gateway="default/gw",type="RDS"} 2.0' in metrics  # not re-sent
        assert metrics.count("\n") == pushes_after_nack
        # Fixing the input clears the NACK and brings readiness back.
        setup.write("route.yaml", route_yaml("web", "/app", "/fixed"))
        setup.wait_ready(3)
        assert setup.get("/fixed")[0] == 200
        assert setup.admin("/status")[1]["gateways"]["default/gw"]["nacks"] == {}


def test_controller_restart_envoy_keeps_serving_and_resyncs_without_churn(setup):
    with EmbeddedUp(setup.options()) as kgw:
        pid = kgw.envoy_pids()[0]
        _, before = setup.admin("/metrics")
        kgw.call(kgw.runner.restart_xds)
        assert setup.get("/app/during")[0] == 200  # Envoy serves from its last config meanwhile
        deadline = time.monotonic() + 10
        while setup.admin("/status")[1]["gateways"]["default/gw"]["xds_streams"] != 1:
            assert time.monotonic() < deadline, "Envoy did not reconnect"
            time.sleep(0.05)
        setup.wait_ready(1)
        _, after = setup.admin("/metrics")
        pushes = [line for line in after.splitlines() if line.startswith("kgw_xds_pushes_total")]
        assert pushes == [line for line in before.splitlines() if line.startswith("kgw_xds_pushes_total")]
        assert kgw.envoy_pids() == [pid]
        setup.write("route.yaml", route_yaml("web", "/after"))  # the new server really drives Envoy
        setup.wait_ready(2)
        assert setup.get("/after")[0] == 200


def test_deleting_a_file_removes_its_routes_and_a_gateway_its_envoy(setup):
    setup.write("extra.yaml", route_yaml("extra", "/extra"))
    with EmbeddedUp(setup.options()) as kgw:
        assert setup.get("/extra")[0] == 200
        (setup.dir / "extra.yaml").unlink()
        setup.wait_ready(2)
        assert setup.get("/extra")[0] == 404 and setup.get("/app")[0] == 200
        names = {o["name"] for o in setup.admin("/status")[1]["objects"]}
        assert "extra" not in names and "web" in names
        pid = kgw.envoy_pids()[0]
        (setup.dir / "gateway.yaml").unlink()
        setup.wait_ready(3)
        deadline = time.monotonic() + 5
        while pid_alive(pid):
            assert time.monotonic() < deadline, "Envoy of a deleted Gateway still runs"
            time.sleep(0.05)
        assert setup.admin("/status")[1]["gateways"] == {}


def test_bad_manifests_are_reported_and_the_rest_keeps_serving(setup):
    with EmbeddedUp(setup.options()):
        setup.write("broken.yaml", "kind: [unclosed\n")
        setup.write("invalid.yaml", route_yaml("bad", "/bad").replace("port: 80", "port: 99999"))
        setup.write("more.yaml", route_yaml("more", "/more"))  # last: once served, all three were read
        setup.wait_status("/more", 200)
        setup.wait_ready(2)
        _, doc = setup.admin("/status")
        texts = [e["text"] for e in doc["errors"]]
        assert any("broken.yaml:2:1: invalid YAML" in t for t in texts), texts
        assert any("invalid.yaml" in t and "backendRefs[0].port" in t for t in texts), texts
        assert setup.get("/more")[0] == 200 and setup.get("/app")[0] == 200
        assert "kgw_source_errors 2.0" in setup.admin("/metrics")[1]


def test_failed_translation_keeps_the_last_good_config(setup):
    def explode(key, xds):
        if any(vh.routes and any(r.match.path_separated_prefix == "/boom" for r in vh.routes)
               for rc in xds[ROUTE].values() for vh in rc.virtual_hosts):
            raise RuntimeError("translator bug")
        return xds

    with EmbeddedUp(setup.options()) as kgw:
        kgw.runner.xds_hook = explode
        setup.write("route.yaml", route_yaml("web", "/boom"))
        deadline = time.monotonic() + 5
        while not setup.admin("/status")[1]["translation_error"]:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        _, doc = setup.admin("/status")
        assert "RuntimeError: translator bug" in doc["translation_error"]
        assert doc["generation"] == doc["ready_generation"] == 1
        assert setup.get("/app")[0] == 200 and setup.get("/boom")[0] == 404
        assert "kgw_translation_failures_total 1.0" in setup.admin("/metrics")[1]
        setup.write("route.yaml", route_yaml("web", "/ok"))
        setup.wait_ready(2)
        assert setup.admin("/status")[1]["translation_error"] is None and setup.get("/ok")[0] == 200
