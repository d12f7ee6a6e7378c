"""The filter's plugin configuration: one program, or a bundle of programs keyed by id with a route
table (format in docs/data-plane.md). The controller writes bundles; tests and `kgw test` too."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

BUNDLE_MAGIC = b"KGWS"
BUNDLE_VERSION = 1


@dataclass(frozen=True)
class BundleRoute:
    xds_name: bytes  # Envoy's route name (property xds.route_name); b"" = every route not listed
    route: bytes  # the `route` value the programs see: namespace/name/rule-index
    programs: tuple[str, ...]  # program ids, in run order (Gateway, route, rule)


def _str(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def encode_bundle(programs: dict[str, bytes], routes: list[BundleRoute]) -> bytes:
    """Programs are stripped bytecode blobs keyed by id; routes refer to them by id."""
    ids = list(programs)
    index = {pid: i for i, pid in enumerate(ids)}
    out = bytearray(BUNDLE_MAGIC + bytes((BUNDLE_VERSION, 0, 0, 0)))
    out += struct.pack("<HH", len(ids), len(routes))
    for pid in ids:
        out += _str(pid.encode()) + _str(programs[pid])
    for r in routes:
        out += _str(r.xds_name) + _str(r.route) + struct.pack("<H", len(r.programs))
        out += b"".join(struct.pack("<H", index[p]) for p in r.programs)
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)
