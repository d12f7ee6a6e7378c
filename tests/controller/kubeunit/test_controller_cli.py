"""`kgw controller` argument handling that needs no cluster."""
import os
import subprocess
import sys
from pathlib import Path

KGW = str(Path(sys.executable).parent / "kgw")


def test_outside_a_pod_a_kubeconfig_is_required():
    env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
    out = subprocess.run([KGW, "controller"], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 2 and "no --kubeconfig" in out.stderr


def test_advertised_address_defaults():
    from kgw_controller.kube.controller import ControllerOptions, default_advertise
    env = dict(os.environ)
    try:
        os.environ.pop("KUBERNETES_SERVICE_HOST", None)
        assert default_advertise(ControllerOptions(xds_bind="0.0.0.0:9977")) == "127.0.0.1:9977"
        assert default_advertise(ControllerOptions(xds_bind="127.0.0.2:1234")) == "127.0.0.2:1234"
        os.environ.update(KUBERNETES_SERVICE_HOST="10.0.0.1", KGW_XDS_SERVICE="kgw")
        assert default_advertise(ControllerOptions(namespace="gw-system")) == "kgw.gw-system.svc:9977"
    finally:
        os.environ.clear()
        os.environ.update(env)
