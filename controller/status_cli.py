"""`kgw status`: the objects a running `kgw up` or `kgw controller` computed statuses for, as a table of their
conditions, failing ones first (from its admin endpoint's /status). Exit status 1 when a condition fails."""
from __future__ import annotations

import json
import shutil
import sys
import urllib.error
import urllib.request

from .conditions_report import rows, table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "status", help="conditions of every object, failing first, from a running kgw up or controller",
        description="Read /status from the admin endpoint of `kgw up` or `kgw controller` and print every "
                    "object's conditions, failing ones first. Exit status 1 when any condition fails.")
    p.add_argument("--admin", default="http://127.0.0.1:9095", metavar="URL",
                   help="admin endpoint (default %(default)s, kgw up's)")
    p.add_argument("--failing", action="store_true", help="only failing conditions")
    p.add_argument("-o", "--output", choices=("table", "json"), default="table")
    p.set_defaults(func=run)


def fetch(admin: str) -> dict:
    url = admin if "://" in admin else f"http://{admin}"
    with urllib.request.urlopen(url.rstrip("/") + "/status", timeout=10) as resp:
        return json.loads(resp.read())


def run(args) -> int:
    try:
        doc = fetch(args.admin)
    except (OSError, ValueError) as e:
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        print(f"kgw status: cannot read {args.admin}/status: {reason}", file=sys.stderr)
        return 2
    report = rows(doc.get("objects") or [])
    failing = [r for r in report if r.failing]
    shown = failing if args.failing else report
    if args.output == "json":
        json.dump([r.__dict__ | {"failing": r.failing} for r in shown], sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(table(shown, shutil.get_terminal_size((160, 20)).columns))
        problems = [e.get("text", "") for e in doc.get("errors") or []]
        if doc.get("translation_error"):
            problems.append(f"translation failed (serving the last good configuration): {doc['translation_error']}")
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
    return 1 if failing or doc.get("errors") or doc.get("translation_error") else 0
