"""`kgw controller`: run against a Kubernetes cluster (from outside with --kubeconfig, or in a pod)."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys


def _in_pod() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "controller", help="run the controller against a Kubernetes cluster",
        description="Watch Gateway API and kgateway resources, serve xDS (mTLS) to the proxies, and, while "
                    "holding the leader Lease, deploy one Envoy per Gateway and write statuses.")
    p.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig file (default: in-cluster config)")
    p.add_argument("--xds-bind", default="0.0.0.0:9977", metavar="ADDR:PORT", help="xDS listen address")
    p.add_argument("--xds-advertise", metavar="HOST:PORT",
                   help="xDS address written into proxy bootstraps (default: the controller Service's DNS name "
                        "in a pod, the bind address outside one)")
    p.add_argument("--admin", default="0.0.0.0:9095", metavar="ADDR:PORT", help="/healthz /readyz /status /metrics")
    p.add_argument("--namespace",
                   help="namespace of the leader Lease, the xDS CA Secret and the last good programs ConfigMap "
                        "(default: $POD_NAMESPACE, else the pod's service account namespace, else the kubeconfig "
                        "context's namespace, else default)")
    p.add_argument("--identity", default=os.environ.get("POD_NAME", ""), help="leader election identity")
    p.add_argument("--listener-address", default="0.0.0.0",
                   help="address Gateway listeners bind inside the proxy (default %(default)s)")
    p.add_argument("--proxy-image", help="default Envoy image for proxies")
    p.add_argument("--kgw-image", help="the kgw image (the controller's own), whose native module an init "
                                       "container copies for proxies with dataPlane: Native")
    p.add_argument("--port-offset", type=int, default=0, metavar="N",
                   help="add N to every listener port, as `kgw up --port-offset` (several gateways on one host)")
    p.add_argument("--no-leader-election", action="store_true", help="act as leader unconditionally")
    p.add_argument("--lease-duration", type=float, default=15.0, metavar="SECONDS")
    p.add_argument("--lease-renew", type=float, default=5.0, metavar="SECONDS")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.set_defaults(func=run)


def run(args) -> int:
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from .controller import ClusterController, ControllerOptions
    from .namespace import resolve_namespace
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname).1s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("grpc", "asyncio", "kubernetes"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # urllib3 warns on every retry while the API server is away; our watchers log one line per failure.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    if not args.kubeconfig and not _in_pod():
        print("kgw controller: no --kubeconfig and not running in a pod", file=sys.stderr)
        return 2
    namespace, source = resolve_namespace(args.namespace, os.environ, args.kubeconfig)
    opts = ControllerOptions(kubeconfig=args.kubeconfig, xds_bind=args.xds_bind, xds_advertise=args.xds_advertise,
                             admin=args.admin, namespace=namespace, namespace_source=source,
                             port_offset=args.port_offset, identity=args.identity,
                             listener_address=args.listener_address, leader_election=not args.no_leader_election,
                             lease_duration=args.lease_duration, lease_renew=args.lease_renew,
                             proxy_image=args.proxy_image, kgw_image=args.kgw_image)

    async def main() -> int:
        ctl = ClusterController(opts)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, ctl.request_stop)
        return await ctl.run()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130
