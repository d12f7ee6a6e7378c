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


class BundleError(ValueError):
    """A plugin configuration the filter would refuse; the message says why."""


MAX_PROGRAMS = 4096
MAX_PROGRAMS_PER_ROUTE = 64


def decode_config(data: bytes):
    """Decode and verify a plugin configuration exactly as the filter's proxy_on_configure does.

    Returns (programs by id, routes); a single program comes back as {"": program} with no routes.
    Raises BundleError (or kgw_rules.VerifyError for a bad program) where the filter refuses.
    """
    from ..bytecode import Program

    data = bytes(data)
    if data[:4] == b"KGWB":
        return {"": Program.from_bytes(data)}, []
    if len(data) < 16 or data[:4] != BUNDLE_MAGIC:
        raise BundleError("configuration is neither a program (KGWB) nor a bundle (KGWS)")
    if data[4] != BUNDLE_VERSION:
        raise BundleError(f"unsupported bundle version {data[4]}")
    if data[5:8] != b"\0\0\0":
        raise BundleError("reserved bytes must be zero")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise BundleError("checksum mismatch")
    end, pos = len(data) - 4, 8

    def take(n: int) -> bytes:
        nonlocal pos
        if n > end - pos:
            raise BundleError("truncated")
        pos += n
        return data[pos - n:pos]

    def u16() -> int:
        return struct.unpack("<H", take(2))[0]

    def text() -> bytes:
        return take(struct.unpack("<I", take(4))[0])

    nprog, nroutes = u16(), u16()
    if nprog > MAX_PROGRAMS:
        raise BundleError("too many programs")
    ids: list[str] = []
    programs = {}
    for _ in range(nprog):
        pid = text()
        if not pid:
            raise BundleError("empty program id")
        if pid in ids:
            raise BundleError("duplicate program id")
        ids.append(pid)
        programs[pid.decode("utf-8", "surrogateescape")] = Program.from_bytes(text())
    routes: list[BundleRoute] = []
    for _ in range(nroutes):
        name = text()
        if any(r.xds_name == name for r in routes):
            raise BundleError("duplicate route name")
        route = text()
        n = u16()
        if n > MAX_PROGRAMS_PER_ROUTE:
            raise BundleError("too many programs on one route")
        indexes = [u16() for _ in range(n)]
        if any(i >= nprog for i in indexes):
            raise BundleError("program index out of range")
        routes.append(BundleRoute(name, route, tuple(ids[i].decode("utf-8", "surrogateescape") for i in indexes)))
    if pos != end:
        raise BundleError("bytes left over")
    return programs, routes
