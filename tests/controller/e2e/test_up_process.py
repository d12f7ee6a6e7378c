"""`kgw up` as users run it: a child process, the bundled quickstart, signals and exit codes."""
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
from kgw_harness import free_port, http_get, pid_alive

from kgw_controller import cli
from kgw_controller.up import DEFAULT_ECHO, options_from_args, quickstart_dir

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


def kgw_up(*args, state_dir):
    return subprocess.Popen([sys.executable, "-m", "kgw_controller.cli", "up", *args, "--state-dir", str(state_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(admin_port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            status, body, _ = http_get(admin_port, "/readyz", timeout=1)
            if status == 200:
                return json.loads(body)
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("kgw up never became ready")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])  # SIGINT: Ctrl-C, as in scripts/run
def test_quickstart_serves_and_a_signal_stops_everything(tmp_path, stop):
    """The shipped quickstart (its echo port moved to a free one) through a real `kgw up` process."""
    manifests = tmp_path / "quickstart"
    shutil.copytree(quickstart_dir(), manifests, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    echo_port, gw_port, admin_port = free_port(), free_port(), free_port()
    svc = manifests / "echo-service.yaml"
    svc.write_text(svc.read_text().replace("3000", str(echo_port)))
    proc = kgw_up(str(manifests), "--admin", f"127.0.0.1:{admin_port}", "--port-offset", str(gw_port - 8080),
                  "--echo", f"127.0.0.1:{echo_port}", state_dir=tmp_path / "state")
    try:
        assert wait_ready(admin_port, proc) == {"generation": 1}
        status, body, _ = http_get(gw_port, "/hello")
        assert status == 200 and json.loads(body)["path"] == "/hello"
        assert json.loads(body)["host"] == f"127.0.0.1:{gw_port}"  # as the client sent it (README's promise)
        _, body, _ = http_get(admin_port, "/status")
        envoy_pid = json.loads(body)["gateways"]["default/quickstart"]["envoy_pid"]
        assert pid_alive(envoy_pid)
        parent_pid = int(pathlib.Path(f"/proc/{envoy_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert parent_pid == proc.pid  # a child
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert not pid_alive(envoy_pid)
    assert f"try: curl http://127.0.0.1:{gw_port}/" in out
    assert re.search(r"gateway default/quickstart: Envoy started \(pid \d+", out)
    # progress in the order it happens, even when Envoy ACKs before its admin address has been read
    assert out.index("Envoy started") < out.index("gateway default/quickstart: configured (") < out.index("ready in")
    assert f"http://127.0.0.1:{admin_port}/status" in out and "kgw: stopped" in out
    with socket.socket() as s:  # every port was released
        s.bind(("127.0.0.1", gw_port))


def test_startup_failure_exits_non_zero_with_the_reason(tmp_path):
    (tmp_path / "m").mkdir()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = kgw_up(str(tmp_path / "m"), "--admin", f"127.0.0.1:{port}", state_dir=tmp_path / "state")
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert f"startup failed: cannot serve admin on 127.0.0.1:{port}" in err
    proc = kgw_up(str(tmp_path / "missing"), state_dir=tmp_path / "state")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and "is not a directory" in err


def test_no_dir_means_the_bundled_quickstart_with_its_echo_upstream():
    args = cli.build_parser().parse_args(["up"])
    opts = options_from_args(args)
    assert opts.directory == quickstart_dir() and opts.echo == DEFAULT_ECHO
    assert {p.name for p in opts.directory.glob("*.yaml")} == {"gateway.yaml", "route.yaml", "echo-service.yaml"}
    assert "port: 3000" in (opts.directory / "echo-service.yaml").read_text()
    assert options_from_args(cli.build_parser().parse_args(["up", "--no-echo"])).echo is None
    assert options_from_args(cli.build_parser().parse_args(["up", "somewhere"])).echo is None
    assert os.path.isdir(opts.directory)


def test_envoy_does_not_outlive_a_killed_kgw_up(tmp_path):
    manifests = tmp_path / "m"
    shutil.copytree(quickstart_dir(), manifests, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    gw_port, admin_port = free_port(), free_port()
    proc = kgw_up(str(manifests), "--admin", f"127.0.0.1:{admin_port}", "--port-offset", str(gw_port - 8080),
                  state_dir=tmp_path / "state")
    try:
        wait_ready(admin_port, proc)
        _, body, _ = http_get(admin_port, "/status")
        envoy_pid = json.loads(body)["gateways"]["default/quickstart"]["envoy_pid"]
        proc.kill()  # no cleanup code runs: the parent-death signal must stop Envoy
        proc.communicate(timeout=10)
        deadline = time.monotonic() + 10
        while pid_alive(envoy_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = pid_alive(envoy_pid)
        if alive:
            os.kill(envoy_pid, signal.SIGKILL)
        assert not alive, "Envoy outlived kgw up"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
