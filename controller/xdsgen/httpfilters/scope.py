"""What an HTTP filter module sees of one HttpConnectionManager."""
from __future__ import annotations

from dataclasses import dataclass

from ...ir import RouteIR


@dataclass(frozen=True)
class HcmScope:
    routes: list[RouteIR]  # every route of its virtual hosts
    listeners: tuple[str, ...]  # the Gateway listeners it serves (several HTTP listeners can share a port)
