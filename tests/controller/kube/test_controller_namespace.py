"""A controller pointed at a namespace that does not exist says so — once in its log, with the fix, and in
/readyz — and starts by itself once the namespace is created."""
from __future__ import annotations

import json
import urllib.error

import pytest

from tests.support.kubehelp import apply, http_json, wait_for
from tests.support.procs import Controller

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_missing_namespace_is_named_then_waited_for(apiserver, api, tmp_path):
    ns = "kgw-not-yet"
    ctl = Controller(tmp_path, apiserver.kubeconfig, "ns-probe", namespace=ns)
    try:
        def problem():
            try:
                http_json(ctl.admin + "/readyz")
            except urllib.error.HTTPError as e:  # 503, with the reason in its body
                return json.loads(e.read()).get("problem") if e.code == 503 else None
            except OSError:
                return None
            return None
        message = wait_for(problem, 30, "/readyz naming the missing namespace")
        assert f"namespace '{ns}'" in message and f"kubectl create namespace {ns}" in message
        wait_for(lambda: ctl.logs().count("does not exist") >= 1, 10, "the log line")
        import time
        time.sleep(4.5)  # two more checks (every 2 s) happen meanwhile: still one line, no retry noise
        assert ctl.logs().count("does not exist") == 1, ctl.logs()
        apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        wait_for(ctl.ready, 30, "ready once the namespace exists")
        assert ctl.status()["namespace"] == ns and ctl.status()["problem"] is None
    finally:
        ctl.stop()
