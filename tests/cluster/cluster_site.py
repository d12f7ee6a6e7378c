"""Shared by the cluster tests: the run report (timings and request counts, printed at the end of the run),
the installed release, and "sites": a namespace with echo backends behind a Gateway of the kgw class."""
from __future__ import annotations

import time
from dataclasses import dataclass

from cluster_http import GatewayClient
from cluster_kube import condition, wait_for
from cluster_manifests import echo_backend, gateway, namespace

REPORT: list[str] = []  # printed at the end of the run: timings and request counts


def report(line: str) -> None:
    REPORT.append(line)
    print(line)


@dataclass
class Release:
    name: str
    namespace: str
    repository: str
    tag: str


@dataclass
class Site:
    """A namespace with echo backends behind a Gateway; `client` talks to the Gateway's ClusterIP."""
    ns: str
    gateway: str
    port: int
    address: str
    client: GatewayClient


def open_site(cluster, kgw, net, ns: str, gw: str = "gw", port: int = 8080, replicas: int | None = None) -> Site:
    t0 = time.monotonic()
    cluster.apply(namespace(ns))
    cluster.apply(echo_backend(ns, f"{kgw.repository}:{kgw.tag}"))
    cluster.apply(gateway(ns, gw, port=port, replicas=replicas))

    def programmed_address():
        obj = cluster.get("gateway", gw, ns)
        ok = (condition(obj, "Programmed") or {}).get("status") == "True"
        return ok and (obj["status"].get("addresses") or [{}])[0].get("value")

    address = wait_for(programmed_address, 120, f"Gateway {ns}/{gw} Programmed with an address")
    cluster.kubectl("rollout", "status", f"deployment/{gw}", "-n", ns, "--timeout=120s", timeout=150)
    cluster.kubectl("rollout", "status", "deployment/echo", "-n", ns, "--timeout=120s", timeout=150)
    client = GatewayClient(net, address)
    wait_for(lambda: client.request("site.example", "/", port=port).status == 200, 60,
             f"first 200 through {ns}/{gw}")
    report(f"{ns}/{gw}: Gateway applied -> first HTTP 200 through its Service in {time.monotonic() - t0:.1f} s")
    return Site(ns, gw, port, address, client)


def close_site(cluster, ns: str) -> None:
    # Not waited for: namespace deletion includes the proxies' 15 s drain (and 1.20's slow pod deletion).
    cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)
