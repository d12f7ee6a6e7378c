"""GatewayParameters changes to Envoy process settings restart that Gateway's Envoy make-before-break:
a new Envoy takes the same ports, the old one drains and stops, and no request fails meanwhile."""
import threading
import time

import pytest
from kgw_harness import gateway_yaml, pid_alive

from kgw_controller.embedded import EmbeddedUp

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

PARAMS = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {{name: params, namespace: default}}
spec:
  kube:
    envoyContainer:
      bootstrap: {{logLevel: {level}}}
"""

GATEWAY = gateway_yaml(parameters="params")


def _envoy_pid(setup):
    return setup.admin("/status")[1]["gateways"]["default/gw"]["envoy_pid"]


def test_log_level_change_restarts_envoy_without_failed_requests(setup):
    setup.write("params.yaml", PARAMS.format(level="info"))
    setup.write("gateway.yaml", GATEWAY)
    with EmbeddedUp(setup.options()):
        setup.wait_status("/app", 200, timeout=10)
        first = _envoy_pid(setup)
        results: list[int | str] = []
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    results.append(setup.get("/app", timeout=5)[0])
                except OSError as err:  # a refused or reset connection is a dropped request
                    results.append(repr(err))

        worker = threading.Thread(target=load)
        worker.start()
        try:
            time.sleep(0.3)
            setup.write("params.yaml", PARAMS.format(level="debug"))
            deadline = time.monotonic() + 20
            while _envoy_pid(setup) == first and time.monotonic() < deadline:
                time.sleep(0.05)
            second = _envoy_pid(setup)
            time.sleep(0.5)  # keep the load on while the old Envoy drains
        finally:
            stop.set()
            worker.join()
        assert second != first, "Envoy was not restarted for the new log level"
        failures = [r for r in results if r != 200]
        assert len(results) > 20 and not failures, failures[:5]
        deadline = time.monotonic() + 15
        while pid_alive(first) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not pid_alive(first), "the old Envoy was not stopped"
