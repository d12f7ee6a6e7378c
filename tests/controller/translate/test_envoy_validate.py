"""Envoy itself checks our xDS: every golden case's resources, as a static bootstrap, in `--mode validate`.

Catches proto mistakes (bad enum, regex Envoy's RE2 refuses, duplicate domains...) that unit tests miss.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from golden_cases import cases, run_case
from google.protobuf import json_format
from static_bootstrap import static_bootstrap

ENVOY = shutil.which("envoy") or (os.path.join(os.path.dirname(sys.executable), "envoy"))


@pytest.mark.e2e
@pytest.mark.skipif(not os.path.exists(ENVOY), reason="envoy binary not installed")
@pytest.mark.parametrize("name", cases())
def test_envoy_accepts_xds(name, tmp_path):
    _, _, xds = run_case(name)
    if not xds:
        pytest.skip("case programs no Gateway")
    for key, resources in xds.items():
        config = tmp_path / "bootstrap.json"
        config.write_text(json_format.MessageToJson(static_bootstrap(resources)))
        proc = subprocess.run([ENVOY, "--mode", "validate", "-c", str(config), "-l", "error"],
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, f"{name} {key}: Envoy rejected the config:\n{proc.stdout}\n{proc.stderr}"


def test_static_bootstrap_inlines_routes_and_endpoints():
    # the validation above is only meaningful if the bootstrap really carries our routes and endpoints
    _, _, xds = run_case("weights")
    boot = static_bootstrap(xds["default/gw"])
    assert [c.name for c in boot.static_resources.clusters] == ["default/a/80", "default/b/80"]
    assert boot.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints
    assert len(boot.static_resources.listeners) == 1
