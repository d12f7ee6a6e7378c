"""`kgw up [DIR]`: run the controller and one Envoy per Gateway on this machine, reconfigured live from DIR."""
from __future__ import annotations

import os

# gRPC core logs fork() notices to stderr each time an Envoy is started; keep the terminal for what matters.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import asyncio  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from importlib import resources  # noqa: E402
from pathlib import Path  # noqa: E402

DEFAULT_ECHO = "127.0.0.1:3000"


def quickstart_dir() -> Path:
    """examples/quickstart, shipped in the wheel as kgw_controller.quickstart."""
    return Path(str(resources.files("kgw_controller.quickstart")))


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "up", help="run the controller and one Envoy per Gateway, configured from a directory of manifests",
        description="Serve the Gateways described by the manifests in DIR (default: the bundled quickstart, "
                    "with its echo upstream). Edits to DIR apply live.")
    p.add_argument("directory", nargs="?", metavar="DIR", help="directory of Kubernetes manifests (recursive)")
    p.add_argument("--admin", default="127.0.0.1:9095", metavar="ADDR:PORT",
                   help="admin endpoints /readyz /status /metrics (default %(default)s)")
    p.add_argument("--xds", default="127.0.0.1:0", metavar="ADDR:PORT",
                   help="xDS gRPC server for the Envoys (default %(default)s: a free port)")
    p.add_argument("--port-offset", type=int, default=0, metavar="N",
                   help="add N to every Gateway listener port (run several copies side by side)")
    p.add_argument("--state-dir", type=Path, metavar="PATH",
                   help="state kept across restarts (default $XDG_STATE_HOME/kgw/<hash of DIR>)")
    p.add_argument("--echo", nargs="?", const=DEFAULT_ECHO, metavar="ADDR:PORT",
                   help=f"also serve the echo upstream (default address {DEFAULT_ECHO}); on by default "
                        "without DIR")
    p.add_argument("--no-echo", action="store_true", help="do not start the echo upstream for the quickstart")
    p.add_argument("--xds-protocol", choices=("delta", "sotw"), default="delta",
                   help="xDS variant the Envoys use (default %(default)s)")
    p.add_argument("--data-plane", choices=("wasm", "native"), default="wasm",
                   help="how Envoy runs rules programs for Gateways whose GatewayParameters do not say (default "
                        "%(default)s: the sandboxed wasm filter; native: the same interpreter as an Envoy dynamic "
                        "module, faster, unsandboxed; docs/data-plane.md)")
    p.add_argument("--envoy-log-level", default="warning",
                   choices=("trace", "debug", "info", "warning", "error", "critical", "off"))
    p.add_argument("--ready-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="how long startup waits for every Envoy to accept its first config")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.set_defaults(func=run)


def options_from_args(args):
    from .runner import UpOptions
    directory = Path(args.directory) if args.directory else quickstart_dir()
    echo = args.echo
    if args.directory is None and echo is None and not args.no_echo:
        echo = DEFAULT_ECHO
    return UpOptions(directory=directory, admin=args.admin, xds=args.xds, port_offset=args.port_offset,
                     state_dir=args.state_dir, echo=echo, delta=args.xds_protocol == "delta",
                     envoy_log_level=args.envoy_log_level, ready_timeout=args.ready_timeout,
                     data_plane=args.data_plane)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname).1s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("watchfiles", "grpc", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def say(line: str) -> None:
    print(line, flush=True)


async def _main(opts) -> int:
    from .runner import Runner
    runner = Runner(opts, say=say)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.request_stop)
    code = await runner.run()
    if runner.failure:
        print(f"kgw: startup failed: {runner.failure}", file=sys.stderr, flush=True)
    else:
        say("kgw: stopped")
    return code


def run(args) -> int:
    _setup_logging(args.verbose)
    try:
        return asyncio.run(_main(options_from_args(args)))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130
