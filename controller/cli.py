"""The `kgw` command. Rule subcommands come from kgw_rules.cli so that kgw_rules never imports us."""
from __future__ import annotations

import argparse
import sys

from kgw_rules import cli as rules_cli

from . import crdgen, status_cli, translate_cli, up
from .kube import cli as kube_cli

# Each module exposes register(subparsers); a subcommand sets `func(args) -> int` as its default.
_REGISTRARS = [rules_cli.register, up.register, crdgen.register, kube_cli.register, translate_cli.register,
               status_cli.register]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgw", description="kgw: Gateway API on Envoy with a rules language")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _REGISTRARS:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
