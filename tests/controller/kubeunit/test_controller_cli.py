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


def _kubeconfig(tmp_path, namespace: str | None) -> str:
    import yaml
    ctx = {"cluster": "c", "user": "u", **({"namespace": namespace} if namespace else {})}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "here",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "here", "context": ctx}]}))
    return str(path)


def test_namespace_resolution_order(tmp_path):
    from kgw_controller.kube.namespace import resolve_namespace
    sa = tmp_path / "sa-namespace"
    sa.write_text("from-sa\n")
    kc = _kubeconfig(tmp_path, "from-context")
    env = {"POD_NAMESPACE": "from-env"}
    assert resolve_namespace("from-flag", env, kc, sa) == ("from-flag", "--namespace")
    assert resolve_namespace(None, env, kc, sa) == ("from-env", "$POD_NAMESPACE")
    assert resolve_namespace(None, {}, kc, sa) == ("from-sa", str(sa))
    missing = tmp_path / "no-such-file"
    assert resolve_namespace(None, {}, kc, missing) == ("from-context", "kubeconfig context 'here'")
    assert resolve_namespace(None, {}, _kubeconfig(tmp_path, None), missing) == ("default", "default")
    assert resolve_namespace(None, {}, None, missing) == ("default", "default")
    assert resolve_namespace(None, {"POD_NAMESPACE": ""}, None, missing) == ("default", "default")


def test_missing_namespace_is_recognised_from_the_servers_answer():
    from kgw_controller.kube.api import ApiError
    from kgw_controller.kube.namespace import missing_namespace_message, namespace_missing
    body = {"kind": "Status", "reason": "NotFound", "message": 'namespaces "kgw-system" not found',
            "details": {"name": "kgw-system", "kind": "namespaces"}, "code": 404}
    assert namespace_missing(ApiError(404, "Not Found", body))
    secret_missing = {**body, "details": {"name": "kgw-xds-ca", "kind": "secrets"}}
    assert not namespace_missing(ApiError(404, "Not Found", secret_missing))
    assert not namespace_missing(ApiError(0, "ConnectionRefusedError"))
    msg = missing_namespace_message("kgw-system", "$POD_NAMESPACE")
    assert "kubectl create namespace kgw-system" in msg and "--namespace" in msg
