"""examples/kgateway: every kind's example is accepted, and the rules/Inja/DirectResponse/Static examples
behave as their comments say through a real Envoy."""
import json
import pathlib

import pytest

from kgw_controller.sources.files import load_directory
from kgw_controller.translate import translate

EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "kgateway"


def test_every_example_kind_is_accepted():
    resources, errors = load_directory(EXAMPLE)
    assert errors == []
    t = translate(resources)
    kinds = set()
    for s in t.statuses:
        if not s["apiVersion"].startswith("gateway.kgateway.dev"):
            continue
        kinds.add(s["kind"])
        conds = s["status"].get("conditions") or [c for a in s["status"]["ancestors"] for c in a["conditions"]]
        assert all(c["status"] == "True" for c in conds), s
    assert kinds == {"RoutePolicy", "TrafficPolicy", "DirectResponse", "Backend", "HTTPListenerPolicy",
                     "ListenerPolicy"}
    env = t.gateways["default/kgw-demo"].ext.envoy
    assert (env.log_level, env.concurrency) == ("info", 1)  # GatewayParameters reached the Gateway


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_examples_serve_through_envoy(deployed):
    d = deployed
    for f in EXAMPLE.glob("*.yaml"):
        if f.name in ("gateway.yaml", "echo-service.yaml"):  # the harness defines Gateway gw and Service echo
            continue
        text = f.read_text().replace("port: 3000", f"port: {d.echo_port}").replace("kgw-demo", "gw")
        d.write("example-" + f.name, text)
    d.start()
    status, body, headers = d.get("/rules/v1/x", headers={"x-user": "Alice"})
    echoed = json.loads(body)
    assert status == 200 and echoed["path"] == "/rules/v2/x"
    assert echoed["headers"]["X-User-Lower"] == ["alice"] and headers["x-served-by"] == "kgw rules"
    status, body, headers = d.get("/inja", headers={"x-user": "bob"})
    assert json.loads(body)["headers"]["X-Greeting"] == ["hello bob"] and headers["x-served-by"] == "kgw inja"
    assert d.get("/teapot")[:2] == (418, "short and stout")
    assert json.loads(d.get("/static")[1])["path"] == "/static"
