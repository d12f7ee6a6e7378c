"""`kgw translate DIR|FILE|-`: what a set of manifests turns into, offline — every object's status and the xDS
resources per Gateway, from the same reader and translator `kgw up` and `kgw controller` run. Exits 1 when a
manifest has an error or any object has a failing condition, so CI can run it on a pull request."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from .ads.types import CLUSTER, ENDPOINT, EXTENSION_CONFIG, LISTENER, ROUTE, SECRET
from .conditions_report import rows
from .sources.files import load_directory, parse_files
from .translate import TranslateOptions, translate
from .xdsgen import to_xds, xds_to_dict

TYPES = {"listener": LISTENER, "route": ROUTE, "cluster": CLUSTER, "endpoint": ENDPOINT, "secret": SECRET,
         "extension": EXTENSION_CONFIG}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "translate", help="print the statuses and xDS a set of manifests turns into (offline, no Envoy)",
        description="Translate manifests as kgw up and kgw controller would, without running anything: every "
                    "object's status and, per Gateway, its xDS resources. Exit status 1 when a manifest has "
                    "an error or an object is not accepted/programmed.")
    p.add_argument("source", metavar="DIR|FILE|-", help="a directory of manifests (recursive), one file, or - "
                                                        "for standard input")
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    p.add_argument("--type", action="append", choices=sorted(TYPES), metavar="TYPE",
                   help=f"only these xDS types ({', '.join(sorted(TYPES))}); repeatable")
    p.add_argument("--cluster", action="store_true",
                   help="as `kgw controller` translates (listeners on 0.0.0.0, ports below 1024 served on "
                        "port + 10000); default: as `kgw up`")
    p.add_argument("--port-offset", type=int, default=0, metavar="N", help="as `kgw up --port-offset`")
    p.set_defaults(func=run)


def _load(source: str):
    if source == "-":
        return parse_files({"<stdin>": sys.stdin.read()})
    path = Path(source)
    if path.is_dir():
        return load_directory(path)
    if path.is_file():
        return parse_files({str(path): path.read_text(encoding="utf-8", errors="replace")})
    raise FileNotFoundError(f"{source}: no such file or directory")


def translation_doc(resources, errors, opts: TranslateOptions, types: list[str] | None = None) -> dict:
    result = translate(resources, opts)
    wanted = {TYPES[t] for t in types} if types else None
    gateways = {}
    for key, ir in result.gateways.items():
        xds = xds_to_dict(to_xds(ir))
        gateways[key] = {t: by_name for t, by_name in xds.items() if wanted is None or t in wanted}
    return {"errors": [str(e) for e in errors], "statuses": result.statuses, "gateways": gateways}


def run(args) -> int:
    try:
        resources, errors = _load(args.source)
    except OSError as e:
        print(f"kgw translate: {e}", file=sys.stderr)
        return 2
    opts = (TranslateOptions(port_offset=args.port_offset, default_address="0.0.0.0", shift_privileged_ports=True)
            if args.cluster else TranslateOptions(port_offset=args.port_offset))
    doc = translation_doc(resources, errors, opts, args.type)
    if args.output == "json":
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        yaml.safe_dump(doc, sys.stdout, sort_keys=False, default_flow_style=False, width=120)
    failing = [r for r in rows(doc["statuses"]) if r.failing]
    for error in doc["errors"]:
        print(f"error: {error}", file=sys.stderr)
    for r in failing:
        where = f" ({r.where})" if r.where else ""
        print(f"{r.kind} {r.name}{where}: {r.type}={r.status} ({r.reason}): {r.message}", file=sys.stderr)
    return 1 if doc["errors"] or failing else 0
