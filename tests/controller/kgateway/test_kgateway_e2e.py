"""kgateway's kinds with a real Envoy, in both modes (`kgw up`, and `kgw controller` against the API server):
RoutePolicy (Inja and rules, identical results, a broken edit keeps the last good program across controller
restarts), DirectResponse, Static and Lambda Backends, access logs, listener buffer limits."""
import json
import time
import urllib.request

import pytest
from kgw_manifests import INJA_POLICY, RULES, kinds_yaml, rules_policy
from lambda_emulator import LambdaEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


def _accepted(status) -> dict:
    return status["ancestors"][0]["conditions"][0]


def _echo(setup, path, **headers):
    status, body, resp = setup.get(path, headers=headers)
    assert status == 200, (status, body)
    return json.loads(body), resp


def _wait(pred, timeout=5.0, why=lambda: ""):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"condition not met in time {why()}")


@pytest.fixture
def emulator():
    lam = LambdaEmulator("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", {"hello"})
    yield lam
    lam.close()


def test_kgateway_kinds_end_to_end(deployed, emulator, tmp_path):
    d = deployed
    log = tmp_path / "access.log"
    d.write("kinds.yaml", kinds_yaml(d.echo_port, emulator.port, str(log)))
    d.write("inja.yaml", INJA_POLICY)
    d.write("rules.yaml", rules_policy(RULES))
    d.start()
    # Inja form and rules program: identical effects on the request and the response
    for user in ("alice", None):
        hdrs = {"x-secret": "s"} | ({"x-user": user} if user else {})
        a, ra = _echo(d, "/inja/x", **hdrs)
        b, rb = _echo(d, "/rules/x", **hdrs)
        for key in ("X-Greeting", "X-B64", "X-Secret"):  # the echo title-cases names
            assert a["headers"].get(key) == b["headers"].get(key), key
        assert ra.get("x-served") == rb.get("x-served") == "kgw-application/json"
        assert a["headers"]["X-Greeting"] == [f"hello {user or 'stranger'}"]
        assert "X-Secret" not in a["headers"]

    # DirectResponse, Static Backend
    status, body, _ = d.get("/dr")
    assert (status, body) == (418, "short and stout")
    assert _echo(d, "/static/y")[0]["path"] == "/static/y"

    # AWS Lambda: signed with SigV4 (the emulator checks it), invoke path, payload, proxy response
    status, body, resp = d.get("/lambda/z?q=1")
    assert emulator.rejections == [] and status == 200, (status, body, emulator.rejections)
    assert resp.get("x-lambda") == "emulated"
    inv = emulator.invocations[-1]
    assert inv["function"] == "arn:aws:lambda:us-west-2:000000000000:function:hello:live"
    assert json.loads(body)["path"] == "/lambda/z?q=1" and json.loads(body)["method"] == "GET"
    assert inv["payload"]["query_string_parameters"] == {"q": "1"}

    # access log: a JSON line for every request above
    _wait(lambda: log.exists() and len(log.read_text().splitlines()) >= 7, timeout=4,
          why=lambda: log.read_text() if log.exists() else "no log file")
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert {"path": "/dr", "status": 418} in lines

    # statuses: everything accepted
    assert _accepted(d.status_of("RoutePolicy", "default", "rules"))["status"] == "True"
    assert d.status_of("Backend", "default", "fn")["conditions"][0]["status"] == "True"

    # ListenerPolicy reached Envoy's listener
    admin = d.envoy_admin("default/gw")
    dump = urllib.request.urlopen(f"{admin}/config_dump?resource=dynamic_listeners").read().decode()
    assert '"per_connection_buffer_limit_bytes": 65536' in dump

    # a broken edit: status names line and column, the last good program keeps serving
    d.write("rules.yaml", rules_policy("on request {\n  set header x-greeting = lowr(path)\n}\n"))
    accepted = _accepted(d.status_of("RoutePolicy", "default", "rules"))
    assert accepted["status"] == "False"
    assert "spec.transformation.rules:2:27" in accepted["message"] and "last good" in accepted["message"]
    assert _echo(d, "/rules/x", **{"x-user": "bob"})[0]["headers"]["X-Greeting"] == ["hello bob"]

    # a restarted controller (the same state dir / programs ConfigMap) still serves the last good program
    d.restart()
    assert _echo(d, "/rules/x", **{"x-user": "carol"})[0]["headers"]["X-Greeting"] == ["hello carol"]
    assert "last good" in _accepted(d.status_of("RoutePolicy", "default", "rules"))["message"]
    # a policy that never compiled: its route answers 500, never runs without its rules
    d.write("inja.yaml", INJA_POLICY.replace("name: inja, namespace", "name: inja2, namespace")
            .replace("{{ header(\"x-user\") }}", "{{ nosuch(\"HOME\") }}"))
    d.wait_status("/inja/x", 500)
    assert "nosuch()" in _accepted(d.status_of("TrafficPolicy", "default", "inja2"))["message"]
