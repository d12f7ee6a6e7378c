"""List+watch of one kind in a thread: resourceVersion-correct resumption, bookmarks, 410 Gone -> relist,
exponential backoff while the server is away. The cache it keeps is the desired state of that kind.

Each object is kept with a fingerprint of what the translator reads of it (`fingerprint`); an event that
leaves the fingerprint unchanged — above all our own status writes — updates the cache (the status writer
and the deployer read it) without announcing a change, so it never causes another translation."""
from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable

from .api import Api, ApiError, Kind

log = logging.getLogger("kgw.kube.watch")

BACKOFF_START, BACKOFF_MAX = 0.2, 30.0
MISSING_RETRY = 10.0  # a kind whose CRD is not installed yet is looked for again this often


_VOLATILE_METADATA = ("resourceVersion", "managedFields")


def fingerprint(obj: dict, keep_status: bool) -> str:
    """What the translator can read of an object, as text: everything but the server's bookkeeping and,
    for kinds whose status is ours to write (`keep_status` False), the status."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _VOLATILE_METADATA}
    body = {k: v for k, v in obj.items() if k != "metadata" and (keep_status or k != "status")}
    return json.dumps([meta, body], sort_keys=True, separators=(",", ":"))


class KindWatcher:
    def __init__(self, api: Api, kind: Kind, on_change: Callable[[], None], stop: threading.Event,
                 convert: Callable[[dict], dict] | None = None, watch_timeout: int = 240,
                 status_is_ours: bool = False):
        self.api, self.kind, self.on_change, self.stop = api, kind, on_change, stop
        self.convert = convert
        self.watch_timeout = watch_timeout
        self.keep_status = not status_is_ours
        self.objects: dict[tuple[str, str], dict] = {}
        self.fingerprints: dict[tuple[str, str], str] = {}
        self.dirty = False  # a fingerprint changed since the source last took a snapshot
        self.lock = threading.Lock()
        self.synced = threading.Event()  # listed at least once (or known absent)
        self.resource_version = ""
        self.relists = 0  # counted for tests and /status: 410 Gone and errors both relist
        self.errors = 0
        self.bookmarks = 0
        self.thread = threading.Thread(target=self._run, name=f"watch-{kind.plural}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def snapshot(self) -> tuple[list[tuple[dict, str]], str]:
        """(object, fingerprint) pairs and the resourceVersion they are current at (the newest event applied)."""
        with self.lock:
            self.dirty = False
            return [(o, self.fingerprints[k]) for k, o in self.objects.items()], self.resource_version

    def current_for_translation(self, snapshot_version: str) -> str:
        """The newest resourceVersion a translation of the snapshot taken at `snapshot_version` is current
        at: later events that changed nothing the translator reads (status writes) do not make it stale."""
        with self.lock:
            return snapshot_version if self.dirty else self.resource_version

    def _prepare(self, obj: dict) -> dict:
        obj.setdefault("apiVersion", self.kind.api_version)
        obj.setdefault("kind", self.kind.kind)
        obj.get("metadata", {}).pop("managedFields", None)  # big and never read
        return self.convert(obj) if self.convert else obj

    @staticmethod
    def _key(obj: dict) -> tuple[str, str]:
        meta = obj.get("metadata", {})
        return meta.get("namespace", ""), meta.get("name", "")

    def _list(self) -> None:
        doc = self.api.get(self.kind.path())
        items = {self._key(o): self._prepare(o) for o in doc.get("items", [])}
        prints = {k: fingerprint(o, self.keep_status) for k, o in items.items()}
        with self.lock:
            changed = prints != self.fingerprints
            self.dirty = self.dirty or changed
            self.objects, self.fingerprints = items, prints
            self.resource_version = doc.get("metadata", {}).get("resourceVersion", "")
        self.relists += 1
        log.debug("%s: listed %d at resourceVersion %s", self.kind.plural, len(items), self.resource_version)
        self.synced.set()
        if changed:
            self.on_change()

    def _watch(self) -> bool:
        """Follow events from resource_version. False when the version is too old (410): relist."""
        query = {"resourceVersion": self.resource_version}
        log.debug("%s: watching from resourceVersion %s", self.kind.plural, self.resource_version)
        for event in self.api.watch_lines(self.kind.path(), query, self.watch_timeout):
            if self.stop.is_set():
                return True
            etype, obj = event.get("type"), event.get("object") or {}
            if etype == "ERROR":
                if obj.get("code") == 410:
                    log.info("%s: resourceVersion %s expired; relisting", self.kind.plural, self.resource_version)
                    return False
                raise ApiError(obj.get("code", 0), obj.get("message", "watch error"))
            rv = obj.get("metadata", {}).get("resourceVersion")
            log.debug("%s: %s at resourceVersion %s", self.kind.plural, etype, rv)
            if etype == "BOOKMARK":  # only a newer version to resume from, no object change
                self.resource_version = rv or self.resource_version
                self.bookmarks += 1
                continue
            obj = self._prepare(obj)
            key = self._key(obj)
            with self.lock:
                if etype == "DELETED":
                    self.objects.pop(key, None)
                    changed = self.fingerprints.pop(key, None) is not None
                else:
                    print_ = fingerprint(obj, self.keep_status)
                    changed = self.fingerprints.get(key) != print_
                    self.objects[key], self.fingerprints[key] = obj, print_
                self.resource_version = rv or self.resource_version
                self.dirty = self.dirty or changed
            if changed:
                self.on_change()
        return True

    def _run(self) -> None:
        delay = BACKOFF_START
        need_list = True
        while not self.stop.is_set():
            try:
                if need_list:
                    self._list()
                    need_list = False
                need_list = not self._watch()
                delay = BACKOFF_START  # a watch that ran to its timeout is healthy
            except ApiError as e:
                if e.status == 404:  # the CRD is not installed (yet): nothing of this kind exists
                    with self.lock:
                        had = bool(self.objects)
                        self.objects, self.fingerprints = {}, {}
                        self.dirty = self.dirty or had
                    self.synced.set()
                    if had:
                        self.on_change()
                    need_list = True
                    self.stop.wait(MISSING_RETRY)
                    continue
                if e.status == 410:
                    need_list = True
                    continue
                self.errors += 1
                log.warning("%s: %s; retrying in %.1fs", self.kind.plural, e, delay)
                # Keep the resourceVersion: after a server restart the watch resumes where it stopped;
                # if it is too old by then, the server answers 410 and we relist.
                self.stop.wait(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, BACKOFF_MAX)
            except Exception:  # a bug must not end the watch for good
                log.exception("%s: unexpected error", self.kind.plural)
                self.stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                need_list = True
