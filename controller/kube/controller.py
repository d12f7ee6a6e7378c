"""`kgw controller`: the cluster mode. Kubernetes source -> the shared pipeline (pipeline.py) -> xDS (mTLS) for
the proxies of every Gateway of our class; the Lease holder also writes statuses, deploys the proxies and
keeps the last good programs in a ConfigMap. Every replica serves xDS, so proxies stay configured whichever
replica they reach."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass

from ..admin import AdminServer, Metrics, json_response
from ..ads import SnapshotCache, XdsServer
from ..deployer.apply import Deployer, gateway_address
from ..deployer.render import DeployOptions
from ..leader import LeaderElector
from ..oidc_discovery import refreshed
from ..pipeline import Pipeline
from ..translate import TranslateOptions
from ..xds_auth import AuthenticatedAdsServicer, server_credentials
from .api import Api, ApiError, load_config
from .ca import load_or_create_ca
from .namespace import missing_namespace_message, namespace_missing
from .programs import ConfigMapPrograms
from .source import KubeSource
from .status import StatusWriter

log = logging.getLogger("kgw.controller")


@dataclass
class ControllerOptions:
    kubeconfig: str | None = None
    xds_bind: str = "0.0.0.0:9977"
    xds_advertise: str | None = None  # host:port written into proxy bootstraps
    admin: str = "0.0.0.0:9095"
    namespace: str = "default"  # where the Lease, the CA Secret and the programs ConfigMap live
    namespace_source: str = "default"  # how it was chosen (kube/namespace.py), for messages
    port_offset: int = 0  # added to every listener port, as `kgw up --port-offset`
    identity: str = ""
    listener_address: str = "0.0.0.0"
    leader_election: bool = True
    lease_duration: float = 15.0
    lease_renew: float = 5.0
    controller_name: str = "kgateway.dev/kgateway"
    proxy_image: str | None = None
    kgw_image: str | None = None
    watch_timeout: int = 240


def default_advertise(opts: ControllerOptions) -> str:
    host, _, port = opts.xds_bind.rpartition(":")
    if os.environ.get("KUBERNETES_SERVICE_HOST"):  # in a pod: the controller Service's DNS name
        return f"{os.environ.get('KGW_XDS_SERVICE', 'kgw')}.{opts.namespace}.svc:{port}"
    return f"{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"


class ClusterController:
    def __init__(self, opts: ControllerOptions):
        self.opts = opts
        self.identity = opts.identity or f"{socket.gethostname()}-{os.getpid()}"
        self.metrics = Metrics()
        self.cache = SnapshotCache([self.metrics])
        self.api = Api(load_config(opts.kubeconfig))
        self.source = KubeSource(self.api, watch_timeout=opts.watch_timeout)
        self.programs = ConfigMapPrograms(self.api, opts.namespace)
        self.pipeline = Pipeline(TranslateOptions(default_address=opts.listener_address,
                                                  controller_name=opts.controller_name,
                                                  port_offset=opts.port_offset, shift_privileged_ports=True),
                                 self.programs, self.cache, self.metrics)
        self.admin = AdminServer({"/healthz": self.healthz, "/readyz": self.readyz, "/status": self.status,
                                  "/metrics": lambda: (200, "text/plain; version=0.0.4", self.metrics.render())},
                                 opts.admin)
        self.xds: XdsServer | None = None
        self.elector: LeaderElector | None = None
        self.deployer: Deployer | None = None
        self.writer = StatusWriter(self.api, self._lookup, opts.controller_name)
        self.problem: str | None = None  # what keeps this replica from starting, for /readyz
        self.status_generation = 0  # the newest generation whose statuses (and programs) the leader wrote
        self._stop = asyncio.Event()
        self._work = asyncio.Event()  # leader work (deploy + status + programs) is due

    @property
    def generation(self) -> int:
        return self.pipeline.generation

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def leading(self) -> bool:
        return self.elector.leading if self.elector else not self.opts.leader_election

    def _lookup(self, kind: str, namespace: str, name: str) -> dict | None:
        return self.source.objects(kind).get((namespace, name))

    async def _with_retry(self, what: str, fn, *args):
        delay = 0.2
        while not self._stop.is_set():
            try:
                return await asyncio.to_thread(fn, *args)
            except ApiError as e:
                if namespace_missing(e):
                    if self.problem is None:  # one line with the fix, then wait quietly
                        self.problem = missing_namespace_message(self.opts.namespace, self.opts.namespace_source)
                        log.error("%s", self.problem)
                    delay = 2.0
                else:
                    log.warning("%s: %s; retrying in %.1fs", what, e, delay)
                    delay = min(delay * 2, 10)
                await asyncio.sleep(delay)
        return None

    async def run(self) -> int:
        o = self.opts
        await self.admin.start()  # /healthz answers while we wait for the API server
        try:
            log.info("controller namespace %s (from %s)", o.namespace, o.namespace_source)
            ca = await self._with_retry("xDS CA", load_or_create_ca, self.api, o.namespace)
            if ca is None:
                return 0
            if self.problem:
                log.info("namespace %s exists now; starting", o.namespace)
                self.problem = None
            advertise = o.xds_advertise or default_advertise(o)
            adv_host, _, adv_port = advertise.rpartition(":")
            self.xds = XdsServer(self.cache, o.xds_bind, credentials=server_credentials(ca, [adv_host]),
                                 servicer=AuthenticatedAdsServicer)
            await self.xds.start()
            pdb = await self._with_retry("discovery", self.api.has_api, "policy/v1", "poddisruptionbudgets")
            self.deployer = Deployer(self.api, self.source.objects, ca, DeployOptions(
                xds_host=adv_host, xds_port=int(adv_port) or self.xds.port,
                pdb_api_version="policy/v1" if pdb else "policy/v1beta1",
                **({"default_image": o.proxy_image} if o.proxy_image else {}),
                **({"kgw_image": o.kgw_image} if o.kgw_image else {})), o.controller_name)
            if o.leader_election:
                loop = asyncio.get_running_loop()
                self.elector = LeaderElector(self.api, o.namespace, "kgw-controller", self.identity,
                                             o.lease_duration, o.lease_renew,
                                             on_change=lambda leading: loop.call_soon_threadsafe(self._leadership))
                self.elector.start()
            log.info("controller %s: xDS on %s (advertised %s), admin %s", self.identity, self.xds.address,
                     advertise, self.admin.url)
            tasks = [asyncio.create_task(self._follow()), asyncio.create_task(self._leader_loop()),
                     asyncio.create_task(self._stop.wait())]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                t.cancel()
            for t in done:
                if not t.cancelled() and (failure := t.exception()):
                    raise failure
            return 0
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        self.source.stop()
        await asyncio.to_thread(self.pipeline.discovery.close)
        if self.elector:
            await asyncio.to_thread(self.elector.stop)
        if self.xds:
            await self.xds.stop(0.2)
        await self.admin.stop()

    def _leadership(self) -> None:
        if self.leading:
            self._work.set()
        else:
            self.writer.forget()
            if self.deployer:
                self.deployer.forget()

    # --- following the cluster -----------------------------------------------------------------------
    async def _follow(self) -> None:
        async for snap in refreshed(self.source, self.pipeline.discovery):
            if await self.pipeline.apply(snap) is None:
                # e.g. the programs ConfigMap could not be read: try the same inputs again soon
                asyncio.get_running_loop().call_later(2.0, self.source.poke)
                continue
            self._work.set()

    # --- leader work: deploy proxies, write statuses -------------------------------------------------
    def _statuses_with_addresses(self) -> list[dict]:
        """Gateways are reached through their proxy Service, not the address Envoy binds inside the pod — unless
        the Gateway asks for addresses (spec.addresses with values): then the proxy binds those (for a proxy on
        the host's network), and the translator reports the ones it could use."""
        services = self.source.objects("Service")
        gateways = self.pipeline.resources.gateways if self.pipeline.resources is not None else {}
        out = []
        for entry in self.pipeline.statuses:  # shared with /status: Gateways get copies, the rest is read only
            gw = gateways.get((entry["namespace"], entry["name"])) if entry["kind"] == "Gateway" else None
            if gw is not None and any(a.value for a in gw.spec.addresses):
                out.append(entry)
                continue
            if entry["kind"] == "Gateway":
                status = {k: v for k, v in entry["status"].items() if k != "addresses"}
                addr = gateway_address(services.get((entry["namespace"], entry["name"])))
                if addr:
                    status["addresses"] = [addr]
                entry = {**entry, "status": status}
            out.append(entry)
        return out

    def _leader_round(self) -> None:
        resources, generation = self.pipeline.resources, self.pipeline.generation
        if resources is not None:
            assert self.deployer is not None  # run() creates it before the leader loop starts
            self.deployer.sync(resources)
            self.writer.write(self._statuses_with_addresses())
            self.programs.flush()
            self.status_generation = generation

    async def _leader_loop(self) -> None:
        delay = 0.2
        while True:
            await self._work.wait()
            self._work.clear()
            if not self.leading or self.pipeline.resources is None:
                continue
            try:
                await asyncio.to_thread(self._leader_round)
                delay = 0.2
            except Exception as e:  # the server is away, or a bug: never the end of the controller
                if isinstance(e, ApiError):
                    log.warning("leader work: %s; retrying in %.1fs", e, delay)
                else:
                    log.exception("leader work failed; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
                self._work.set()

    # --- admin -----------------------------------------------------------------------------------------
    def healthz(self):
        return json_response(200, {"ok": True})

    def _served_revisions(self) -> dict[str, str]:
        """What the served configuration is current at, per kind: the applied snapshot's resourceVersions,
        moved on past later events that changed nothing translation reads — but only while that snapshot is
        the newest the source took (one still being translated would be newer)."""
        applied = dict(self.pipeline.revisions)
        if not applied or applied != self.source.last_revisions:
            return applied
        return self.source.current_revisions(applied)

    def readyz(self):
        serving = self.xds is not None and self.xds._server is not None
        if self.source.synced and serving and self.generation:
            return json_response(200, {"generation": self.generation})
        body = {"synced": self.source.synced, "xds_serving": serving}
        if self.problem:
            body["problem"] = self.problem
        return json_response(503, body)

    def status(self):
        p = self.pipeline
        return json_response(200, {
            "generation": p.generation, "status_generation": self.status_generation if self.leading else None,
            "revisions": self._served_revisions(), "identity": self.identity, "leader": self.leading,
            "namespace": self.opts.namespace, "problem": self.problem,
            "objects": p.statuses, "translation_error": p.translate_error,
            "gateways": {key: p.gateway_xds_state(key) for key in sorted(p.gateways)},
            "status_writes": self.writer.writes, "program_writes": self.programs.writes,
            "deployer": {"applies": self.deployer.applies, "deletes": self.deployer.deletes} if self.deployer else None,
            "watch": {k: {"relists": w.relists, "errors": w.errors, "resourceVersion": w.resource_version}
                      for k, w in self.source.watchers.items()},
        })
