"""Start a real Envoy 1.40 on loopback with the kgw filter loaded as the controller loads it (bundle keyed
by route name, FAIL_RELOAD, allow_on_headers_stop_iteration, `FilterConfig{disabled: true}` on routes
without rules; or the native dynamic module with per-route programs), collect its log, read its stats,
and always stop it."""
from __future__ import annotations

import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import kgw_rules
from kgw_rules.filter import NATIVE_MODULE_NAME

ENVOY = shutil.which("envoy") or str(pathlib.Path(sys.executable).parent / "envoy")
WASM = "envoy.filters.http.wasm"
T = "type.googleapis.com/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wasm_config(plugin: bytes, code: str | None = None) -> dict:
    """`code`: another module (test-only) under the same plugin settings; default the shipped filter."""
    return {
        "@type": T + "envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {
            "name": "kgw", "root_id": "", "vm_config": {
                "vm_id": "kgw", "runtime": "envoy.wasm.runtime.v8",
                "code": {"local": {"filename": code or str(kgw_rules.filter_wasm_path())}}},
            "configuration": {"@type": T + "google.protobuf.BytesValue", "value": base64.b64encode(plugin).decode()},
            "allow_on_headers_stop_iteration": True,
            "failure_policy": "FAIL_RELOAD",
        },
    }


def kgw_filter(plugin: bytes | None = None, ecds: str | None = None, code: str | None = None) -> dict:
    """The filter inline, or through ECDS from a file (path_config_source), as the controller does over ADS."""
    if ecds is None:
        return {"name": WASM, "typed_config": wasm_config(plugin, code)}
    return {"name": WASM, "config_discovery": {
        "config_source": {"path_config_source": {"path": ecds}, "resource_api_version": "V3"},
        "type_urls": [T + "envoy.extensions.filters.http.wasm.v3.Wasm"]}}


def write_ecds(path: pathlib.Path, plugin: bytes, version: str) -> None:
    """Atomic replace: Envoy's file watcher reacts to the move."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version_info": version, "resources": [{
        "@type": T + "envoy.config.core.v3.TypedExtensionConfig", "name": WASM,
        "typed_config": wasm_config(plugin)}]}))
    tmp.rename(path)


NATIVE = "kgw.native"
_NATIVE_MODULE = {"name": NATIVE_MODULE_NAME, "do_not_close": True}


def native_filter(plugin: bytes = b"") -> dict:
    """The native module: `plugin` runs on every route (empty: each route brings its programs)."""
    cfg = {"@type": T + "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
           "dynamic_module_config": _NATIVE_MODULE, "filter_name": "kgw"}
    if plugin:
        cfg["filter_config"] = {"@type": T + "google.protobuf.BytesValue", "value": base64.b64encode(plugin).decode()}
    return {"name": NATIVE, "typed_config": cfg}


def native_route_programs(plugin: bytes) -> dict:
    """typed_per_filter_config for a route of the native module: its own programs (a bundle)."""
    return {NATIVE: {"@type": T + "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilterPerRoute",
                     "dynamic_module_config": _NATIVE_MODULE, "per_route_config_name": "kgw",
                     "filter_config": {"@type": T + "google.protobuf.BytesValue",
                                       "value": base64.b64encode(plugin).decode()}}}


def skip_filter(name: str = WASM) -> dict:
    """Per-route: routes without rules never enter the filter (`name`: its name in the HCM chain)."""
    return {name: {"@type": T + "envoy.config.route.v3.FilterConfig", "disabled": True}}


def route(name: str, match: dict, cluster: str = "upstream", **extra) -> dict:
    return {"name": name, "match": match, "route": {"cluster": cluster, "timeout": "15s"}, **extra}


def listener(name: str, port: int, routes: list[dict], filters: list[dict], h2: bool = False, **hcm) -> dict:
    router = {"name": "envoy.filters.http.router", "typed_config": {
        "@type": T + "envoy.extensions.filters.http.router.v3.Router", "suppress_envoy_headers": True}}
    cfg = {
        "@type": T + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": name, "codec_type": "AUTO", "generate_request_id": False,
        "server_header_transformation": "PASS_THROUGH",
        "max_request_headers_kb": 1024,
        "common_http_protocol_options": {"max_headers_count": 10000},
        "route_config": {"name": name, "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": routes}]},
        "http_filters": filters + [router], **hcm,
    }
    return {"name": name, "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                            "typed_config": cfg}]}]}


def cluster(name: str, port: int) -> dict:
    return {"name": name, "type": "STATIC", "connect_timeout": "2s",
            "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": T + "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "common_http_protocol_options": {"max_headers_count": 10000},
                "explicit_http_config": {"http_protocol_options": {}}}},
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
                "socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]}}


class Envoy:
    """`with Envoy(listeners, clusters, tmp) as e:`; e.log holds every line so far (stderr, read by a thread)."""

    def __init__(self, listeners: list[dict], clusters: list[dict], workdir: pathlib.Path,
                 log_level: str = "warn", wasm_debug: bool = False, dynamic: dict | None = None,
                 native: bool = False, extra_args: tuple[str, ...] = ()):
        self.admin = free_port()
        self.workdir = workdir
        self.config = {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": self.admin}}},
                       "static_resources": {"listeners": listeners, "clusters": clusters},
                       "node": {"id": "e2e", "cluster": "e2e"}}
        self.args = ["--log-level", log_level, "--concurrency", "1", "--base-id", str(self.admin),
                     "--disable-hot-restart", *extra_args]
        if wasm_debug:  # the filter's skip lines are debug-level, under the component of its build
            self.args += ["--component-log-level", "dynamic_modules:debug" if native else "wasm:debug"]
        self.env = None
        if native:
            self.env = {**os.environ, "ENVOY_DYNAMIC_MODULES_SEARCH_PATH": str(kgw_rules.native_module_dir())}
        self.log: list[str] = []
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Envoy:
        cfg = self.workdir / f"envoy-{self.admin}.json"
        cfg.write_text(json.dumps(self.config))
        self.proc = subprocess.Popen([ENVOY, "-c", str(cfg), *self.args], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=self.env)
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/ready", timeout=1)
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.time() > deadline or self.proc.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("envoy did not start:\n" + "\n".join(self.log[-30:])) from None
                time.sleep(0.1)

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line.decode("utf-8", "replace").rstrip("\n"))

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stats(self, filter_: str = "") -> dict[str, int]:
        url = f"http://127.0.0.1:{self.admin}/stats?filter={filter_}"
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        out = {}
        for line in text.splitlines():
            k, _, v = line.rpartition(": ")
            if v.isdigit():
                out[k] = int(v)
        return out
