"""Leader election with a coordination.k8s.io/v1 Lease, client-go style: the holder renews every
`renew_every`; another candidate takes over once `duration` has passed since the last renewal. Updates carry
the resourceVersion read, so two candidates can never both win one round (the loser gets 409)."""
from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable

from .kube.api import Api, ApiError, Kind

log = logging.getLogger("kgw.leader")
LEASE = Kind("coordination.k8s.io", "v1", "leases", "Lease")


def _micro(t: datetime.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(s: str | None) -> datetime.datetime | None:
    if not s:
        return None
    s = s.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(s, fmt).replace(tzinfo=datetime.UTC)


class LeaderElector:
    def __init__(self, api: Api, namespace: str, name: str, identity: str, duration: float = 15.0,
                 renew_every: float = 5.0, on_change: Callable[[bool], object] = lambda leading: None):
        self.api, self.namespace, self.name, self.identity = api, namespace, name, identity
        self.duration, self.renew_every, self.on_change = duration, renew_every, on_change
        self.leading = False
        self.stop_event = threading.Event()
        self._last_renew = 0.0  # monotonic time of our last successful renewal
        self.thread = threading.Thread(target=self._run, name="leader-election", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, release: bool = True) -> None:
        self.stop_event.set()
        self.thread.join(5)
        if release and self.leading:
            self._release()
        self._set(False)

    def _set(self, leading: bool) -> None:
        if leading != self.leading:
            self.leading = leading
            log.info("%s %s the Lease %s/%s", self.identity, "holds" if leading else "lost", self.namespace,
                     self.name)
            self.on_change(leading)

    def _spec(self, now: datetime.datetime, transitions: int, acquire: datetime.datetime | None) -> dict:
        return {"holderIdentity": self.identity, "leaseDurationSeconds": max(1, int(round(self.duration))),
                "acquireTime": _micro(acquire or now), "renewTime": _micro(now), "leaseTransitions": transitions}

    def try_acquire_or_renew(self) -> bool:
        now = datetime.datetime.now(datetime.UTC)
        path = LEASE.path(self.namespace, self.name)
        try:
            lease = self.api.get(path)
        except ApiError as e:
            if e.status != 404:
                raise
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace}, "spec": self._spec(now, 0, None)}
            try:
                self.api.request("POST", LEASE.path(self.namespace), body=body)
                return True
            except ApiError as e2:
                if e2.status == 409:  # someone else created it first
                    return False
                raise
        spec = lease.get("spec", {})
        holder = spec.get("holderIdentity")
        renewed = _parse(spec.get("renewTime"))
        duration = spec.get("leaseDurationSeconds") or self.duration
        if holder and holder != self.identity and renewed is not None \
                and (now - renewed).total_seconds() < duration:
            return False  # held by a live leader
        transitions = spec.get("leaseTransitions") or 0
        acquire = _parse(spec.get("acquireTime")) if holder == self.identity else None
        lease["spec"] = self._spec(now, transitions if holder == self.identity else transitions + 1, acquire)
        try:
            self.api.request("PUT", path, body=lease)  # carries metadata.resourceVersion: 409 if raced
            return True
        except ApiError as e:
            if e.status == 409:
                return False
            raise

    def _release(self) -> None:
        """Step down at once (clean shutdown) so the next leader need not wait for the Lease to expire."""
        try:
            lease = self.api.get(LEASE.path(self.namespace, self.name))
            if lease.get("spec", {}).get("holderIdentity") == self.identity:
                lease["spec"]["holderIdentity"] = None
                lease["spec"]["leaseDurationSeconds"] = 1
                self.api.request("PUT", LEASE.path(self.namespace, self.name), body=lease)
        except ApiError as e:
            log.debug("release: %s", e)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                ok = self.try_acquire_or_renew()
                if ok:
                    self._last_renew = time.monotonic()
                self._set(ok)
            except ApiError as e:
                log.warning("leader election: %s", e)
                # Cannot reach the server: keep leading only while our last renewal is surely still valid.
                if self.leading and time.monotonic() - self._last_renew > self.duration * 0.8:
                    self._set(False)
            self.stop_event.wait(self.renew_every if self.leading else self.renew_every / 2)
