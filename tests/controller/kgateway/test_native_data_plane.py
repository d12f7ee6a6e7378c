"""The native data plane under `kgw up`: `--data-plane native` (UpOptions.data_plane) and GatewayParameters
`dataPlane` choose the build; the native module runs the programs per route and a refused program keeps
the last good route configuration serving (Envoy rejects the route update), as in the wasm build."""
import json
import urllib.request

import pytest
from kgw_harness import gateway_yaml

from kgw_controller.embedded import EmbeddedUp

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

POLICY = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: RoutePolicy
metadata: {{name: stamp, namespace: default}}
spec:
  targetRef: {{group: gateway.networking.k8s.io, kind: HTTPRoute, name: web}}
  transformation:
    rules: |
      on request {{
        set header x-stamp = "{value}:" + route
      }}
      on response {{
        set header x-seen = request_header("x-stamp")
      }}
"""

PARAMS = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {{name: params, namespace: default}}
spec:
  dataPlane: {plane}
"""


def _filters(setup) -> list[str]:
    """HTTP filter names of the Gateway's listener, from Envoy's own config dump."""
    admin = setup.admin("/status")[1]["gateways"]["default/gw"]["envoy_admin"]
    dump = json.loads(urllib.request.urlopen(f"{admin}/config_dump?resource=dynamic_listeners", timeout=5).read())
    text = json.dumps(dump)
    return [name for name in ("kgw.native", "kgw.rules") if f'"name": "{name}"' in text]


def _echoed(setup, path="/app"):
    status, body, headers = setup.get(path)
    return status, json.loads(body)["headers"], headers


def test_kgw_up_data_plane_native_runs_programs_in_the_native_module(setup):
    setup.write("policy.yaml", POLICY.format(value="one"))
    with EmbeddedUp(setup.options(data_plane="native")):
        setup.wait_status("/app", 200, timeout=15)
        status, up, headers = _echoed(setup)
        assert status == 200 and up.get("X-Stamp") == ["one:default/web/0"]
        assert headers.get("x-seen") == "one:default/web/0"  # response phase, request as sent upstream
        assert _filters(setup) == ["kgw.native"]
        # a rule change is a route update (per-route programs): served without restarting Envoy
        pid = setup.admin("/status")[1]["gateways"]["default/gw"]["envoy_pid"]
        setup.write("policy.yaml", POLICY.format(value="two"))
        setup.wait_ready(2, timeout=10)
        for _ in range(100):
            if _echoed(setup)[1].get("X-Stamp") == ["two:default/web/0"]:
                break
        assert _echoed(setup)[1].get("X-Stamp") == ["two:default/web/0"]
        assert setup.admin("/status")[1]["gateways"]["default/gw"]["envoy_pid"] == pid


def test_gateway_parameters_data_plane_overrides_the_default(setup):
    setup.write("policy.yaml", POLICY.format(value="p"))
    setup.write("params.yaml", PARAMS.format(plane="Wasm"))
    setup.write("gateway.yaml", gateway_yaml(parameters="params"))
    with EmbeddedUp(setup.options(data_plane="native")):
        setup.wait_status("/app", 200, timeout=15)
        assert _echoed(setup)[1].get("X-Stamp") == ["p:default/web/0"]
        assert _filters(setup) == ["kgw.rules"]
