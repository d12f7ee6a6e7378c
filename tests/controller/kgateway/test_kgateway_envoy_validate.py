"""Envoy itself checks the xDS of every kgateway golden case (access-log sinks, tracers, Backend clusters,
the rules filter over ECDS...), as a static bootstrap in `envoy --mode validate`."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from golden_kgw import TESTDATA, cases
from google.protobuf import json_format

import kgw_rules
from kgw_controller.envoy import find_envoy
from kgw_controller.sources.files import parse_files
from kgw_controller.translate import translate
from kgw_controller.xdsgen import to_xds

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "translate"))
from static_bootstrap import static_bootstrap  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", cases())
def test_envoy_accepts_the_xds_of(name, tmp_path):
    resources, _ = parse_files({f"{name}.in.yaml": (TESTDATA / f"{name}.in.yaml").read_text()})
    gateways = translate(resources).gateways
    if not gateways:
        pytest.skip("the case programs no Gateway")
    for key, ir in gateways.items():
        config = tmp_path / "bootstrap.json"
        config.write_text(json_format.MessageToJson(static_bootstrap(to_xds(ir))))
        # a Native-data-plane case loads the rules module by name, as `kgw up` does
        env = {**os.environ, "ENVOY_DYNAMIC_MODULES_SEARCH_PATH": str(kgw_rules.native_module_dir())}
        proc = subprocess.run([find_envoy(), "--mode", "validate", "-c", str(config), "-l", "error"],
                              capture_output=True, text=True, timeout=30, env=env)
        assert proc.returncode == 0, f"{name} {key}: Envoy rejected the config:\n{proc.stdout}\n{proc.stderr}"
