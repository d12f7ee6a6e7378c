"""`kgw translate` prints what the translate goldens hold (statuses; xDS per Gateway) and fails on broken or
rejected input; `kgw status` reads a running `kgw up` and puts failing conditions first."""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from kgw_controller import cli
from kgw_controller.embedded import EmbeddedUp
from tests.xds_golden import _factor, hcm_defaults

ROOT = pathlib.Path(__file__).resolve().parents[3]
TESTDATA = ROOT / "tests" / "controller" / "translate" / "testdata"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in TESTDATA.glob("*.in.yaml"))


def _translate(capsys, *argv) -> tuple[int, dict, str]:
    code = cli.main(["translate", *argv, "-o", "json"])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


@pytest.mark.parametrize("name", CASES)
def test_translate_prints_the_goldens(capsys, name):
    path = TESTDATA / f"{name}.in.yaml"
    first = path.read_text().splitlines()[0]
    extra = []
    if first.startswith("# options:"):
        extra = ["--port-offset", str(yaml.safe_load(first.removeprefix("# options:"))["port_offset"])]
    code, doc, _ = _translate(capsys, str(path), *extra)
    doc = json.loads(json.dumps(doc).replace(str(path), f"{name}.in.yaml"))  # goldens name the file alone
    golden_ir = yaml.safe_load((TESTDATA / f"{name}.ir.yaml").read_text())
    golden_xds = yaml.safe_load((TESTDATA / f"{name}.xds.yaml").read_text())
    assert doc["errors"] == golden_ir["errors"]
    assert doc["statuses"] == golden_ir["statuses"]
    defaults = hcm_defaults()
    assert {k: _factor(v, defaults) for k, v in doc["gateways"].items()} == golden_xds
    assert code == (1 if golden_ir["errors"] or _any_failing(golden_ir["statuses"]) else 0)


def _any_failing(node) -> bool:
    """Independently of kgw: some condition says something is wrong."""
    if isinstance(node, dict):
        if "type" in node and "status" in node and "reason" in node:
            return (node["status"] == "True") == (node["type"] in ("Conflicted", "PartiallyInvalid"))
        return any(_any_failing(v) for v in node.values())
    if isinstance(node, list):
        return any(_any_failing(v) for v in node)
    return False


def test_translate_exits_1_naming_file_line_and_field(capsys, tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"
                                     "spec:\n  rules:\n  - backendRefs: [{name: a, port: 70000}]\n")
    code, doc, err = _translate(capsys, str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'a.yaml'}:6:" in err and "spec.rules[0].backendRefs[0].port" in err


def test_translate_reads_stdin_and_filters_types(capsys, monkeypatch):
    import io
    text = "---\n".join((ROOT / "examples" / "quickstart" / f).read_text()
                         for f in ("gateway.yaml", "route.yaml", "echo-service.yaml"))
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, doc, _ = _translate(capsys, "-", "--type", "listener")
    assert code == 0 and doc["errors"] == []
    (gw,) = doc["gateways"].values()
    assert list(gw) == ["type.googleapis.com/envoy.config.listener.v3.Listener"]


def test_translate_as_the_controller_shifts_privileged_ports(capsys):
    code, doc, _ = _translate(capsys, str(ROOT / "examples" / "quickstart"), "--cluster", "--type", "listener")
    ports = [lis["address"]["socketAddress"]["portValue"]
             for gw in doc["gateways"].values() for lis in next(iter(gw.values())).values()]
    assert ports and all(p >= 1024 for p in ports)


@pytest.mark.e2e
def test_status_reads_a_running_kgw_up_failing_first(capsys, tmp_path):
    import sys
    sys.path.insert(0, str(ROOT / "tests" / "controller" / "e2e"))
    from kgw_harness import Setup, route_yaml
    setup = Setup(tmp_path)
    try:
        setup.write("broken.yaml", route_yaml("broken", "/b", backend="missing"))
        with EmbeddedUp(setup.options()):
            code = cli.main(["status", "--admin", f"http://127.0.0.1:{setup.admin_port}"])
            out = capsys.readouterr().out.splitlines()
            assert code == 1
            assert out[0].split()[:4] == ["KIND", "NAME", "WHERE", "CONDITION"]
            assert out[1].split()[:1] == ["HTTPRoute"] and "default/broken" in out[1]
            assert "ResolvedRefs" in out[1] and "BackendNotFound" in out[1]
            assert any("default/web" in line and "Accepted" in line and "True" in line for line in out[2:])
            code = cli.main(["status", "--admin", f"127.0.0.1:{setup.admin_port}", "--failing", "-o", "json"])
            rows = json.loads(capsys.readouterr().out)
            assert code == 1 and rows and all(r["failing"] for r in rows)
    finally:
        setup.close()


def test_status_says_why_it_cannot_read(capsys):
    assert cli.main(["status", "--admin", "http://127.0.0.1:9"]) == 2
    assert "cannot read http://127.0.0.1:9/status" in capsys.readouterr().err
