"""Status writer: patch the status subresource with what the translator computed, only when it differs from
what the object already shows (lastTransitionTime aside), keeping entries other controllers own, tolerating
conflicts (409) and objects deleted meanwhile (404)."""
from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Callable

from .api import Api, ApiError
from .kinds import STATUS_WRITTEN

_BY_KIND = {k.kind: k for k in STATUS_WRITTEN}

log = logging.getLogger("kgw.kube.status")

# Lists of per-parent entries in which another controller may own entries (Gateway API route / policy status).
_SHARED_LISTS = ("parents", "ancestors")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ident(item, index: int) -> str:
    if isinstance(item, dict):
        for key in ("name", "parentRef", "ancestorRef"):
            if key in item:
                return json.dumps(item[key], sort_keys=True)
    return str(index)


def _conditions(tree, path=()) -> dict:
    """(path to the conditions list, condition type) -> condition, over the whole status tree."""
    out = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == "conditions" and isinstance(v, list):
                out.update({(path, c.get("type")): c for c in v if isinstance(c, dict)})
            else:
                out.update(_conditions(v, path + (k,)))
    elif isinstance(tree, list):
        for i, item in enumerate(tree):
            out.update(_conditions(item, path + (_ident(item, i),)))
    return out


def _strip_times(tree):
    if isinstance(tree, dict):
        return {k: _strip_times(v) for k, v in tree.items() if k != "lastTransitionTime"}
    if isinstance(tree, list):
        return [_strip_times(v) for v in tree]
    return tree


def _stamp(desired, current_conds: dict, when: str, path=()):
    """Copy lastTransitionTime from the current condition when its status did not change, else `when`."""
    if isinstance(desired, dict):
        for k, v in desired.items():
            if k == "conditions" and isinstance(v, list):
                for c in v:
                    old = current_conds.get((path, c.get("type")))
                    if old is not None and old.get("status") == c.get("status"):
                        c["lastTransitionTime"] = old.get("lastTransitionTime", when)
                    else:
                        c["lastTransitionTime"] = when
            else:
                _stamp(v, current_conds, when, path + (k,))
    elif isinstance(desired, list):
        for i, item in enumerate(desired):
            _stamp(item, current_conds, when, path + (_ident(item, i),))


def merge_foreign(desired: dict, current: dict, controller_name: str) -> dict:
    """Keep other controllers' entries of status.parents / status.ancestors."""
    out = dict(desired)
    for key in _SHARED_LISTS:
        theirs = [e for e in current.get(key) or [] if e.get("controllerName") != controller_name]
        if theirs:
            out[key] = theirs + list(desired.get(key) or [])
    return out


def desired_status(desired: dict, current: dict, controller_name: str, when: str) -> dict | None:
    """The status to write, or None when the object already shows it."""
    want = merge_foreign(json.loads(json.dumps(desired)), current, controller_name)
    if _strip_times(want) == _strip_times(current):
        return None
    _stamp(want, _conditions(current), when)
    return want


class StatusWriter:
    # Statuses the translator reports unchanged since this writer last wrote or confirmed them are skipped,
    # except in a full pass this often, which also repairs a status someone else changed.
    FULL_PASS_SECONDS = 30.0

    def __init__(self, api: Api, lookup: Callable[[str, str, str], dict | None], controller_name: str):
        self.api, self.lookup, self.controller_name = api, lookup, controller_name
        self.writes = 0  # patches sent, for tests and metrics
        self._settled: dict[tuple[str, str, str], tuple] = {}  # object -> (its uid, the desired status it shows)
        self._full_pass_at = 0.0

    def forget(self) -> None:
        """Lost leadership: whoever writes next starts with a full pass."""
        self._settled.clear()
        self._full_pass_at = 0.0

    def write(self, statuses: list[dict]) -> int:
        """Blocking. Patch every object whose status differs; returns the number of patches sent."""
        sent = 0
        when = now()
        full = time.monotonic() >= self._full_pass_at
        if full:
            self._full_pass_at = time.monotonic() + self.FULL_PASS_SECONDS
        settled: dict[tuple[str, str, str], tuple] = {}
        for entry in statuses:
            kind = _BY_KIND.get(entry["kind"])
            if kind is None:
                continue
            key = (entry["kind"], entry["namespace"], entry["name"])
            current_obj = self.lookup(entry["kind"], entry["namespace"], entry["name"])
            if current_obj is None:  # not (or no longer) in the cache: nothing to write to
                continue
            # keyed by uid too: an object deleted and created again under its name (both seen in one round)
            # has no status yet, even when the translator reports the same one as for the old object
            shown = ((current_obj.get("metadata") or {}).get("uid"), entry["status"])
            if not full and self._settled.get(key) == shown:
                settled[key] = shown
                continue
            current = current_obj.get("status") or {}
            want = desired_status(entry["status"], current, self.controller_name, when)
            if want is None:
                settled[key] = shown
                continue
            # Merge patch: fields we stopped writing are removed explicitly.
            body = {"status": {**{k: None for k in current if k not in want}, **want}}
            try:
                self.api.request("PATCH", kind.path(entry["namespace"], entry["name"], "status"), body=body,
                                 content_type="application/merge-patch+json")
                sent += 1
                settled[key] = shown
            except ApiError as e:
                if e.status in (404, 409):  # deleted meanwhile / changed meanwhile: the next round settles it
                    log.debug("status of %s %s/%s: %s", entry["kind"], entry["namespace"], entry["name"], e)
                    continue
                log.warning("status of %s %s/%s not written: %s %s", entry["kind"], entry["namespace"],
                            entry["name"], e, (e.body or {}).get("message", "") if isinstance(e.body, dict) else "")
        self.writes += sent
        self._settled = settled
        return sent
