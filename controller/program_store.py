"""Last good RoutePolicy programs, kept in the state directory so a restarted `kgw up` still serves them.

One JSON file `programs.json`: {program id: base64 bytecode}. Written atomically (temp file + rename)
whenever the set of programs in use changes; read once at startup. A broken policy edit therefore keeps
its last good program across restarts, and a policy deleted from the inputs is forgotten.
"""
from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger("kgw.programs")


class ProgramStore:
    """The `kgw up` ProgramKeeper (pipeline.py): one JSON file in the state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.current: dict[str, bytes] = {}

    def load(self) -> dict[str, bytes]:
        try:
            raw = json.loads(self.path.read_text())
            self.current = {k: base64.b64decode(v) for k, v in raw.items()}
        except FileNotFoundError:
            self.current = {}
        except (ValueError, AttributeError) as e:  # a damaged file must not stop the gateway
            log.error("ignoring unreadable %s: %s", self.path, e)
            self.current = {}
        return self.current

    def last_good(self) -> Mapping[str, bytes]:
        return dict(self.current)

    def remember(self, programs: Mapping[str, bytes]) -> None:
        if programs == self.current:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: base64.b64encode(v).decode() for k, v in sorted(programs.items())}, indent=1))
        os.replace(tmp, self.path)
        self.current = dict(programs)
